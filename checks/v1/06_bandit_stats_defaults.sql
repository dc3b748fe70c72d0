-- v1 caption_bandit_stats column defaults (INFORMATION_SCHEMA.COLUMNS.column_default):
-- successes 1, failures 1, total_observations 0, total_revenue / avg_conversion_rate / avg_emv
-- 0.0, last_updated CURRENT_TIMESTAMP(). Compared without spaces and case; missing -> failing.
WITH expected AS (
  SELECT column_name, default_value
  FROM UNNEST(ARRAY<STRUCT<column_name STRING, default_value STRING>>[
    ('successes', '1'),
    ('failures', '1'),
    ('total_observations', '0'),
    ('total_revenue', '0.0'),
    ('avg_conversion_rate', '0.0'),
    ('avg_emv', '0.0'),
    ('last_updated', 'CURRENT_TIMESTAMP()')
  ])
)
SELECT
  CONCAT('v1.default.caption_bandit_stats.', e.column_name) AS check_id,
  CONCAT('caption_bandit_stats.', e.column_name, ' defaults to ', e.default_value) AS description,
  COALESCE(UPPER(REPLACE(c.column_default, ' ', '')) = UPPER(e.default_value), FALSE) AS passed,
  IF(c.column_name IS NULL, 'column missing', CONCAT('column_default=', COALESCE(c.column_default, 'NULL'))) AS detail
FROM expected AS e
LEFT JOIN `${project}.${dataset}.INFORMATION_SCHEMA.COLUMNS` AS c
  ON c.table_name = 'caption_bandit_stats'
 AND c.column_name = e.column_name
