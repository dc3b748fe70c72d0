-- 0009 caption_key_v2: down. Restores the MD5 caption_key exactly as 0004 created it, writes
-- the saved MD5 keys back into caption_bank (captions added since get the MD5 key of their
-- text), then drops the backup table and caption_key_v2.

CREATE OR REPLACE FUNCTION `${project}.${dataset}.caption_key`(message STRING)
RETURNS STRING
AS (
  TO_HEX(MD5(LOWER(TRIM(message))))
);

UPDATE `${project}.${dataset}.caption_bank` AS cb
SET caption_key = b.caption_key
FROM `${project}.${dataset}.caption_key_md5_backup` AS b
WHERE cb.caption_id = b.caption_id;

UPDATE `${project}.${dataset}.caption_bank` AS cb
SET caption_key = TO_HEX(MD5(LOWER(TRIM(cb.caption_text))))
WHERE cb.caption_id NOT IN (
  SELECT b.caption_id FROM `${project}.${dataset}.caption_key_md5_backup` AS b
);

-- eros-migrate: allow destructive: the backup was created by 0009 and its values are restored above
DROP TABLE IF EXISTS `${project}.${dataset}.caption_key_md5_backup`;
DROP FUNCTION IF EXISTS `${project}.${dataset}.caption_key_v2`;
