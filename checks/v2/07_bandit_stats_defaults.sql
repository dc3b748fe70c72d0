-- v2 caption_bandit_stats has no column defaults (INFORMATION_SCHEMA.COLUMNS.column_default is
-- the string 'NULL' when a column has none): the seven v1 defaults were dropped by ALTER, with
-- the data kept. One row per column that had a default at v1; missing table -> failing rows.
WITH expected AS (
  SELECT column_name
  FROM UNNEST(['successes', 'failures', 'total_observations', 'total_revenue', 'avg_conversion_rate', 'avg_emv', 'last_updated']) AS column_name
)
SELECT
  CONCAT('v2.default.caption_bandit_stats.', e.column_name) AS check_id,
  CONCAT('caption_bandit_stats.', e.column_name, ' has no default') AS description,
  COALESCE(c.column_default IS NULL OR UPPER(c.column_default) = 'NULL', FALSE) AND c.column_name IS NOT NULL AS passed,
  IF(c.column_name IS NULL, 'column missing', CONCAT('column_default=', COALESCE(c.column_default, 'NULL'))) AS detail
FROM expected AS e
LEFT JOIN `${project}.${dataset}.INFORMATION_SCHEMA.COLUMNS` AS c
  ON c.table_name = 'caption_bandit_stats'
 AND c.column_name = e.column_name
