-- v2 partitioning and clustering, checked SEPARATELY (the original grouped both into one row
-- that could never pass, D-25/D-26): one row for the partitioning column
-- (INFORMATION_SCHEMA.COLUMNS.is_partitioning_column) and one for the clustering columns in
-- order (clustering_ordinal_position) of each table. Missing table -> failing rows.
-- holiday_calendar is partitioned by DATE_TRUNC(holiday_date, YEAR), reported on holiday_date.
WITH expected AS (
  SELECT table_name, partition_column, clustering
  FROM UNNEST(ARRAY<STRUCT<table_name STRING, partition_column STRING, clustering STRING>>[
    ('caption_bandit_stats', 'last_updated', 'page_name, caption_id, last_used'),
    ('holiday_calendar', 'holiday_date', ''),
    ('schedule_export_log', 'export_timestamp', 'page_name, status'),
    ('etl_job_runs', 'started_at', 'job_name, status'),
    ('creator_processing_errors', 'error_time', 'job_id, page_name'),
    ('schedule_generation_queue', 'execution_date', 'status, page_name'),
    ('automation_alerts', 'alert_time', 'alert_level, alert_source, acknowledged'),
    ('lock_sweep_log', 'sweep_time', 'sweep_time'),
    ('caption_performance_message_log', 'counted_at', 'page_name, caption_id, message_key')
  ])
),
tables AS (
  SELECT t.table_name
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.TABLES` AS t
),
partitioning AS (
  SELECT
    c.table_name,
    STRING_AGG(IF(c.is_partitioning_column = 'YES', c.column_name, NULL), ', ') AS partition_column,
    STRING_AGG(
      IF(c.clustering_ordinal_position IS NOT NULL, c.column_name, NULL),
      ', ' ORDER BY c.clustering_ordinal_position
    ) AS clustering
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.COLUMNS` AS c
  GROUP BY c.table_name
)
SELECT
  CONCAT('v2.partitioning.', e.table_name) AS check_id,
  IF(
    e.partition_column = '',
    CONCAT(e.table_name, ' is not partitioned'),
    CONCAT(e.table_name, ' is partitioned on ', e.partition_column)
  ) AS description,
  t.table_name IS NOT NULL AND COALESCE(p.partition_column, '') = e.partition_column AS passed,
  IF(t.table_name IS NULL, 'table missing', CONCAT('partitioning column: ', COALESCE(p.partition_column, '(none)'))) AS detail
FROM expected AS e
LEFT JOIN tables AS t
  ON t.table_name = e.table_name
LEFT JOIN partitioning AS p
  ON p.table_name = e.table_name
UNION ALL
SELECT
  CONCAT('v2.clustering.', e.table_name) AS check_id,
  IF(
    e.clustering = '',
    CONCAT(e.table_name, ' is not clustered'),
    CONCAT(e.table_name, ' is clustered by ', e.clustering)
  ) AS description,
  t.table_name IS NOT NULL AND COALESCE(p.clustering, '') = e.clustering AS passed,
  IF(t.table_name IS NULL, 'table missing', CONCAT('clustering: ', COALESCE(p.clustering, '(none)'))) AS detail
FROM expected AS e
LEFT JOIN tables AS t
  ON t.table_name = e.table_name
LEFT JOIN partitioning AS p
  ON p.table_name = e.table_name
