-- v2 table options (INFORMATION_SCHEMA.TABLE_OPTIONS): descriptions and labels of the tables
-- whose v2 DDL sets them. One row per expected option; missing table or option -> failing row.
-- Labels are matched per key/value pair, whatever their order in option_value.
WITH expected AS (
  SELECT table_name, option_name, pattern, shown
  FROM UNNEST(ARRAY<STRUCT<table_name STRING, option_name STRING, pattern STRING, shown STRING>>[
    ('caption_bandit_stats', 'description', r'^"Caption performance statistics for Thompson sampling algorithm"$', 'Caption performance statistics for Thompson sampling algorithm'),
    ('caption_bandit_stats', 'labels', r'"system", "eros"', 'system=eros'),
    ('caption_bandit_stats', 'labels', r'"component", "caption_selection"', 'component=caption_selection'),
    ('caption_bandit_stats', 'labels', r'"update_freq", "6h"', 'update_freq=6h'),
    ('holiday_calendar', 'description', r'^"US holiday calendar for scheduling and saturation analysis"$', 'US holiday calendar for scheduling and saturation analysis'),
    ('holiday_calendar', 'labels', r'"system", "eros"', 'system=eros'),
    ('holiday_calendar', 'labels', r'"component", "scheduling"', 'component=scheduling'),
    ('holiday_calendar', 'labels', r'"update_freq", "annual"', 'update_freq=annual'),
    ('schedule_export_log', 'description', r'^"Audit log for schedule generation and export operations"$', 'Audit log for schedule generation and export operations'),
    ('schedule_export_log', 'labels', r'"component", "telemetry"', 'component=telemetry'),
    ('schedule_export_log', 'labels', r'"retention", "90d"', 'retention=90d'),
    ('schedule_export_log', 'partition_expiration_days', r'^90(\.0)?$', '90')
  ])
)
SELECT
  CONCAT('v2.option.', e.table_name, '.', e.option_name, IF(e.option_name = 'labels', CONCAT('.', SPLIT(e.shown, '=')[OFFSET(0)]), '')) AS check_id,
  CONCAT(e.table_name, ' ', e.option_name, ': ', e.shown) AS description,
  COUNTIF(REGEXP_CONTAINS(o.option_value, e.pattern)) > 0 AS passed,
  COALESCE(ANY_VALUE(o.option_value), 'option not set (or table missing)') AS detail
FROM expected AS e
LEFT JOIN `${project}.${dataset}.INFORMATION_SCHEMA.TABLE_OPTIONS` AS o
  ON o.table_name = e.table_name
 AND o.option_name = e.option_name
GROUP BY e.table_name, e.option_name, e.pattern, e.shown
