-- v1 caption_bandit_stats carries no description and no labels (the BIS DDL had no OPTIONS;
-- the live audit showed none). The row fails if the table is missing or either option is set.
WITH tbl AS (
  SELECT COUNT(*) AS n
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.TABLES` AS t
  WHERE t.table_name = 'caption_bandit_stats'
),
opts AS (
  SELECT
    COUNTIF(o.option_name = 'description') AS descriptions,
    COUNTIF(o.option_name = 'labels') AS labels,
    STRING_AGG(CONCAT(o.option_name, '=', o.option_value), '; ') AS shown
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.TABLE_OPTIONS` AS o
  WHERE o.table_name = 'caption_bandit_stats'
    AND o.option_name IN ('description', 'labels')
)
SELECT
  'v1.option.caption_bandit_stats' AS check_id,
  'caption_bandit_stats exists without description and labels' AS description,
  tbl.n = 1 AND opts.descriptions = 0 AND opts.labels = 0 AS passed,
  IF(tbl.n = 0, 'table missing', COALESCE(opts.shown, 'no description, no labels')) AS detail
FROM tbl CROSS JOIN opts
