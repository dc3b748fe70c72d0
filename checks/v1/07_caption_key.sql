-- v1 caption_key is the MD5 hex of LOWER(TRIM(text)) (spec A.3, SAR):
-- caption_key('test') = '098f6bcd4621d373cade4e832627b4f6', and case and outer spaces do not
-- change the key.
SELECT 'v1.caption_key.md5' AS check_id,
  'caption_key(''test'') = 098f6bcd4621d373cade4e832627b4f6 (MD5)' AS description,
  COALESCE(`${project}.${dataset}.caption_key`('test') = '098f6bcd4621d373cade4e832627b4f6', FALSE) AS passed,
  COALESCE(`${project}.${dataset}.caption_key`('test'), 'NULL') AS detail
UNION ALL
SELECT 'v1.caption_key.normalisation',
  'caption_key(''  TeSt '') equals caption_key(''test'') (lower-cased, trimmed)',
  COALESCE(`${project}.${dataset}.caption_key`('  TeSt ') = `${project}.${dataset}.caption_key`('test'), FALSE),
  COALESCE(`${project}.${dataset}.caption_key`('  TeSt '), 'NULL')
