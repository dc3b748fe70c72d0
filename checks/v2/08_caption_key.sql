-- caption_key_v2 and caption_key behaviour (original tests 2.1, 2.2, 5.5 first part), with the
-- D-32 fixes: keys are 64-char lower-case hex; three different texts give three keys; an
-- emoji-wrapped text keys like the bare text; accented letters are kept (cafe != café);
-- NULL -> NULL; caption_key equals caption_key_v2; stored caption_bank keys were recomputed.
WITH samples AS (
  SELECT
    `${project}.${dataset}.caption_key_v2`('Test message 123') AS k1,
    `${project}.${dataset}.caption_key_v2`('Hello World!') AS k2,
    `${project}.${dataset}.caption_key_v2`('🔥 Special offer 🔥') AS k3,
    `${project}.${dataset}.caption_key_v2`('special offer') AS k3_plain,
    `${project}.${dataset}.caption_key_v2`('café') AS accented,
    `${project}.${dataset}.caption_key_v2`('cafe') AS unaccented,
    `${project}.${dataset}.caption_key_v2`(CAST(NULL AS STRING)) AS null_key,
    `${project}.${dataset}.caption_key_v2`('Test') = `${project}.${dataset}.caption_key`('Test') AS eq1,
    `${project}.${dataset}.caption_key_v2`('Hello World') = `${project}.${dataset}.caption_key`('Hello World') AS eq2,
    `${project}.${dataset}.caption_key_v2`('💋 Just for you 💋') = `${project}.${dataset}.caption_key`('💋 Just for you 💋') AS eq3
),
bank AS (
  SELECT
    COUNT(*) AS total,
    COUNTIF(cb.caption_key IS DISTINCT FROM `${project}.${dataset}.caption_key_v2`(cb.caption_text)) AS stale
  FROM `${project}.${dataset}.caption_bank` AS cb
)
SELECT 'v2.caption_key_v2.format' AS check_id,
  'caption_key_v2 returns 64 lower-case hex characters' AS description,
  COALESCE(REGEXP_CONTAINS(s.k1, r'^[0-9a-f]{64}$'), FALSE) AS passed,
  COALESCE(s.k1, 'NULL') AS detail
FROM samples AS s
UNION ALL
SELECT 'v2.caption_key_v2.distinct',
  'caption_key_v2 gives 3 distinct keys for 3 different texts (test 2.1)',
  ARRAY_LENGTH(ARRAY(SELECT DISTINCT k FROM UNNEST([s.k1, s.k2, s.k3]) AS k WHERE k IS NOT NULL)) = 3,
  CONCAT(CAST(ARRAY_LENGTH(ARRAY(SELECT DISTINCT k FROM UNNEST([s.k1, s.k2, s.k3]) AS k WHERE k IS NOT NULL)) AS STRING), ' distinct keys')
FROM samples AS s
UNION ALL
SELECT 'v2.caption_key_v2.emoji_edges',
  'an emoji-wrapped text has the key of the bare text (D-32: trim after symbol removal)',
  COALESCE(s.k3 = s.k3_plain, FALSE),
  IF(COALESCE(s.k3 = s.k3_plain, FALSE), 'equal', 'keys differ')
FROM samples AS s
UNION ALL
SELECT 'v2.caption_key_v2.unicode_letters',
  'accented letters are kept: café and cafe differ (D-32: Unicode letters, not ASCII \\w)',
  COALESCE(s.accented != s.unaccented, FALSE),
  IF(COALESCE(s.accented != s.unaccented, FALSE), 'distinct', 'same key')
FROM samples AS s
UNION ALL
SELECT 'v2.caption_key_v2.null',
  'caption_key_v2(NULL) is NULL',
  s.null_key IS NULL,
  COALESCE(s.null_key, 'NULL')
FROM samples AS s
UNION ALL
SELECT 'v2.caption_key.delegates',
  'caption_key equals caption_key_v2 for 3 texts (test 2.2)',
  COALESCE(s.eq1 AND s.eq2 AND s.eq3, FALSE),
  CONCAT(CAST(COUNTIF(x) AS STRING), ' of 3 match')
FROM samples AS s, UNNEST([s.eq1, s.eq2, s.eq3]) AS x
GROUP BY s.eq1, s.eq2, s.eq3
UNION ALL
SELECT 'v2.caption_bank.keys_recomputed',
  'every caption_bank.caption_key equals caption_key_v2(caption_text) (D-18)',
  b.stale = 0,
  CONCAT(CAST(b.stale AS STRING), ' of ', CAST(b.total AS STRING), ' stored keys differ')
FROM bank AS b
