-- 0009 caption_key_v2 (v1 -> v2)
-- Adds caption_key_v2(message) and makes caption_key(message) delegate to it (spec A.3).
-- caption_key_v2 = lower-case hex SHA-256 (64 chars) of the normalised text. NULL in, NULL out.
-- Normalisation, in order:
--   1. NORMALIZE(NFKC) then LOWER: compatibility forms fold (full-width letters, ligatures,
--      no-break spaces become plain ones), and LOWER is Unicode-aware.
--   2. Delete symbols: Unicode So, Sk, Sm, Sc (emoji, modifiers incl. skin tones, math,
--      currency) and the emoji glue characters (variation selectors U+FE00-FE0F, zero-width
--      joiner U+200D, combining keycap U+20E3).
--   3. Delete every remaining character that is not a letter, mark, digit, underscore or
--      whitespace (punctuation, controls). Whitespace is RE2's \s (tab, line feed, form feed,
--      carriage return, space) plus vertical tab, U+0085 and every Unicode separator (\p{Z}:
--      spaces NFKC keeps, such as U+1680, and the line and paragraph separators U+2028 and
--      U+2029), so words split by any of them stay apart instead of running together.
--   4. Collapse whitespace runs to one space, THEN trim.
-- Changes from the original (D-32): step 3 keeps Unicode letters/marks/digits (\p{L}\p{M}\p{N})
-- where the original's RE2 \w kept only ASCII, so accented and non-Latin captions no longer
-- collapse onto one another; trimming happens last, so a caption that starts or ends with an
-- emoji gets the same key as the bare text. For plain ASCII text the key equals the original's.
-- D-18 (keys silently change): caption_bank.caption_key stores keys computed by the MD5
-- caption_key; they are recomputed with caption_key_v2 here so joins on caption_key keep
-- matching. The previous values are saved in caption_key_md5_backup first; the down migration
-- writes them back and drops the backup. available_captions.caption_key_norm follows the
-- function automatically. SQL UDFs carry no LANGUAGE clause (D-31).

CREATE OR REPLACE FUNCTION `${project}.${dataset}.caption_key_v2`(message STRING)
RETURNS STRING
AS (
  TO_HEX(SHA256(
    TRIM(
      REGEXP_REPLACE(
        REGEXP_REPLACE(
          REGEXP_REPLACE(
            LOWER(NORMALIZE(message, NFKC)),
            r'[\p{So}\p{Sk}\p{Sm}\p{Sc}\x{FE00}-\x{FE0F}\x{200D}\x{20E3}]',
            ''
          ),
          r'[^\p{L}\p{M}\p{N}_\s\x{0B}\x{85}\p{Z}]',
          ''
        ),
        r'[\s\x{0B}\x{85}\p{Z}]+',
        ' '
      )
    )
  ))
);

CREATE OR REPLACE FUNCTION `${project}.${dataset}.caption_key`(message STRING)
RETURNS STRING
AS (
  `${project}.${dataset}.caption_key_v2`(message)
);

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.caption_key_md5_backup` (
  caption_id INT64 NOT NULL,
  caption_key STRING,
  backed_up_at TIMESTAMP NOT NULL
)
CLUSTER BY caption_id
OPTIONS (description = 'caption_bank.caption_key values before migration 0009 (MD5 keys); read by its down migration');

INSERT INTO `${project}.${dataset}.caption_key_md5_backup` (caption_id, caption_key, backed_up_at)
SELECT cb.caption_id, ANY_VALUE(cb.caption_key), CURRENT_TIMESTAMP()
FROM `${project}.${dataset}.caption_bank` AS cb
WHERE NOT EXISTS (
  SELECT 1
  FROM `${project}.${dataset}.caption_key_md5_backup` AS b
  WHERE b.caption_id = cb.caption_id
)
GROUP BY cb.caption_id;

-- eros-migrate: allow destructive: recomputes every stored key with caption_key_v2 (D-18); old values are in caption_key_md5_backup
UPDATE `${project}.${dataset}.caption_bank`
SET caption_key = `${project}.${dataset}.caption_key_v2`(caption_text)
WHERE TRUE;
