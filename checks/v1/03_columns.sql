-- v1 column sets: caption_bandit_stats 15 columns, holiday_calendar exactly 2 (holiday_date,
-- name), active_caption_assignments 11 (no deactivation columns), etl_job_runs the live 18.
-- A missing table shows as all of its columns missing.
-- caption_bandit_stats: 15 columns
-- holiday_calendar: 2 columns
-- active_caption_assignments: 11 columns
-- etl_job_runs: 18 columns
WITH expected AS (
  SELECT table_name, column_name, data_type, is_nullable
  FROM UNNEST(ARRAY<STRUCT<table_name STRING, column_name STRING, data_type STRING, is_nullable STRING>>[
    ('caption_bandit_stats', 'caption_id', 'INT64', 'NO'),
    ('caption_bandit_stats', 'page_name', 'STRING', 'NO'),
    ('caption_bandit_stats', 'successes', 'INT64', 'YES'),
    ('caption_bandit_stats', 'failures', 'INT64', 'YES'),
    ('caption_bandit_stats', 'total_observations', 'INT64', 'YES'),
    ('caption_bandit_stats', 'total_revenue', 'FLOAT64', 'YES'),
    ('caption_bandit_stats', 'avg_conversion_rate', 'FLOAT64', 'YES'),
    ('caption_bandit_stats', 'avg_emv', 'FLOAT64', 'YES'),
    ('caption_bandit_stats', 'last_emv_observed', 'FLOAT64', 'YES'),
    ('caption_bandit_stats', 'confidence_lower_bound', 'FLOAT64', 'YES'),
    ('caption_bandit_stats', 'confidence_upper_bound', 'FLOAT64', 'YES'),
    ('caption_bandit_stats', 'exploration_score', 'FLOAT64', 'YES'),
    ('caption_bandit_stats', 'last_used', 'TIMESTAMP', 'YES'),
    ('caption_bandit_stats', 'last_updated', 'TIMESTAMP', 'YES'),
    ('caption_bandit_stats', 'performance_percentile', 'INT64', 'YES'),
    ('holiday_calendar', 'holiday_date', 'DATE', 'NO'),
    ('holiday_calendar', 'name', 'STRING', 'YES'),
    ('active_caption_assignments', 'page_name', 'STRING', 'NO'),
    ('active_caption_assignments', 'caption_id', 'INT64', 'NO'),
    ('active_caption_assignments', 'caption_text', 'STRING', 'NO'),
    ('active_caption_assignments', 'assigned_date', 'DATE', 'NO'),
    ('active_caption_assignments', 'scheduled_send_date', 'DATE', 'YES'),
    ('active_caption_assignments', 'scheduled_send_hour', 'INT64', 'YES'),
    ('active_caption_assignments', 'price_tier', 'STRING', 'YES'),
    ('active_caption_assignments', 'is_active', 'BOOL', 'YES'),
    ('active_caption_assignments', 'assigned_at', 'TIMESTAMP', 'YES'),
    ('active_caption_assignments', 'assignment_key', 'STRING', 'YES'),
    ('active_caption_assignments', 'schedule_id', 'STRING', 'YES'),
    ('etl_job_runs', 'run_id', 'STRING', 'NO'),
    ('etl_job_runs', 'job_name', 'STRING', 'NO'),
    ('etl_job_runs', 'started_at', 'TIMESTAMP', 'NO'),
    ('etl_job_runs', 'completed_at', 'TIMESTAMP', 'YES'),
    ('etl_job_runs', 'status', 'STRING', 'NO'),
    ('etl_job_runs', 'messages_found', 'INT64', 'YES'),
    ('etl_job_runs', 'messages_processed', 'INT64', 'YES'),
    ('etl_job_runs', 'messages_failed', 'INT64', 'YES'),
    ('etl_job_runs', 'rows_loaded', 'INT64', 'YES'),
    ('etl_job_runs', 'duplicates_skipped', 'INT64', 'YES'),
    ('etl_job_runs', 'latest_data_timestamp', 'TIMESTAMP', 'YES'),
    ('etl_job_runs', 'data_date_range_start', 'TIMESTAMP', 'YES'),
    ('etl_job_runs', 'data_date_range_end', 'TIMESTAMP', 'YES'),
    ('etl_job_runs', 'error_message', 'STRING', 'YES'),
    ('etl_job_runs', 'error_details', 'STRING', 'YES'),
    ('etl_job_runs', 'environment', 'STRING', 'YES'),
    ('etl_job_runs', 'execution_duration_seconds', 'FLOAT64', 'YES'),
    ('etl_job_runs', 'cloud_run_job_execution_id', 'STRING', 'YES')
  ])
),
actual AS (
  SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.COLUMNS` AS c
  WHERE c.table_name IN ('caption_bandit_stats', 'holiday_calendar', 'active_caption_assignments', 'etl_job_runs')
),
compared AS (
  SELECT
    COALESCE(e.table_name, a.table_name) AS table_name,
    COALESCE(e.column_name, a.column_name) AS column_name,
    CASE
      WHEN a.column_name IS NULL THEN 'missing'
      WHEN e.column_name IS NULL THEN 'unexpected'
      WHEN a.data_type != e.data_type OR a.is_nullable != e.is_nullable
        THEN CONCAT('is ', a.data_type, IF(a.is_nullable = 'NO', ' NOT NULL', ''))
      ELSE 'ok'
    END AS state
  FROM expected AS e
  FULL OUTER JOIN actual AS a
    ON a.table_name = e.table_name
   AND a.column_name = e.column_name
)
SELECT
  CONCAT('v1.columns.', x.table_name) AS check_id,
  CONCAT(x.table_name, ' has exactly the expected ', CAST(COUNTIF(x.state != 'unexpected') AS STRING), ' columns, types and nullability') AS description,
  COUNTIF(x.state != 'ok') = 0 AS passed,
  COALESCE(
    STRING_AGG(IF(x.state = 'ok', NULL, CONCAT(x.column_name, ': ', x.state)), '; ' ORDER BY x.column_name),
    'all columns match'
  ) AS detail
FROM compared AS x
GROUP BY x.table_name
