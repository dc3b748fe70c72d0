-- v2 column sets (original tests 3.1, 3.3 columns, 3.4, 4.1, extended): for each table or
-- view, every expected column with its type and nullability, and no unexpected column. A
-- missing table shows as all of its columns missing (the expected side drives the rows, D-27).
-- The eight v2 columns of etl_job_runs are NULLABLE (BigQuery cannot add REQUIRED columns).
-- caption_bandit_stats: 15 columns
-- holiday_calendar: 5 columns
-- schedule_export_log: 9 columns
-- schedule_recommendations_messages: 18 columns
-- etl_job_runs: 26 columns
-- active_caption_assignments: 13 columns
-- creator_processing_errors: 5 columns
-- schedule_generation_queue: 8 columns
-- automation_alerts: 9 columns
-- lock_sweep_log: 6 columns
-- caption_performance_message_log: 8 columns
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
    ('holiday_calendar', 'holiday_name', 'STRING', 'NO'),
    ('holiday_calendar', 'holiday_type', 'STRING', 'YES'),
    ('holiday_calendar', 'is_major_holiday', 'BOOL', 'YES'),
    ('holiday_calendar', 'saturation_impact_factor', 'FLOAT64', 'YES'),
    ('schedule_export_log', 'schedule_id', 'STRING', 'NO'),
    ('schedule_export_log', 'page_name', 'STRING', 'NO'),
    ('schedule_export_log', 'export_timestamp', 'TIMESTAMP', 'NO'),
    ('schedule_export_log', 'message_count', 'INT64', 'YES'),
    ('schedule_export_log', 'execution_time_seconds', 'FLOAT64', 'YES'),
    ('schedule_export_log', 'status', 'STRING', 'YES'),
    ('schedule_export_log', 'error_message', 'STRING', 'YES'),
    ('schedule_export_log', 'export_format', 'STRING', 'YES'),
    ('schedule_export_log', 'exported_by', 'STRING', 'YES'),
    ('schedule_recommendations_messages', 'schedule_id', 'STRING', 'YES'),
    ('schedule_recommendations_messages', 'page_name', 'STRING', 'YES'),
    ('schedule_recommendations_messages', 'day_of_week', 'INT64', 'YES'),
    ('schedule_recommendations_messages', 'scheduled_send_time', 'TIMESTAMP', 'YES'),
    ('schedule_recommendations_messages', 'message_type', 'STRING', 'YES'),
    ('schedule_recommendations_messages', 'caption_id', 'INT64', 'YES'),
    ('schedule_recommendations_messages', 'caption_text', 'STRING', 'YES'),
    ('schedule_recommendations_messages', 'price_tier', 'STRING', 'YES'),
    ('schedule_recommendations_messages', 'content_category', 'STRING', 'YES'),
    ('schedule_recommendations_messages', 'has_urgency', 'BOOL', 'YES'),
    ('schedule_recommendations_messages', 'performance_score', 'FLOAT64', 'YES'),
    ('schedule_recommendations_messages', 'confidence_lower_bound', 'FLOAT64', 'YES'),
    ('schedule_recommendations_messages', 'confidence_upper_bound', 'FLOAT64', 'YES'),
    ('schedule_recommendations_messages', 'total_observations', 'INT64', 'YES'),
    ('schedule_recommendations_messages', 'caption_last_updated', 'TIMESTAMP', 'YES'),
    ('schedule_recommendations_messages', 'schedule_created_at', 'TIMESTAMP', 'YES'),
    ('schedule_recommendations_messages', 'schedule_is_active', 'BOOL', 'YES'),
    ('schedule_recommendations_messages', 'time_slot_rank', 'INT64', 'YES'),
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
    ('etl_job_runs', 'cloud_run_job_execution_id', 'STRING', 'YES'),
    ('etl_job_runs', 'job_id', 'STRING', 'YES'),
    ('etl_job_runs', 'job_start_time', 'TIMESTAMP', 'YES'),
    ('etl_job_runs', 'job_end_time', 'TIMESTAMP', 'YES'),
    ('etl_job_runs', 'job_status', 'STRING', 'YES'),
    ('etl_job_runs', 'execution_date', 'DATE', 'YES'),
    ('etl_job_runs', 'creators_processed', 'INT64', 'YES'),
    ('etl_job_runs', 'creators_failed', 'INT64', 'YES'),
    ('etl_job_runs', 'job_duration_seconds', 'FLOAT64', 'YES'),
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
    ('active_caption_assignments', 'deactivated_at', 'TIMESTAMP', 'YES'),
    ('active_caption_assignments', 'deactivation_reason', 'STRING', 'YES'),
    ('creator_processing_errors', 'job_id', 'STRING', 'NO'),
    ('creator_processing_errors', 'page_name', 'STRING', 'NO'),
    ('creator_processing_errors', 'execution_date', 'DATE', 'YES'),
    ('creator_processing_errors', 'error_message', 'STRING', 'YES'),
    ('creator_processing_errors', 'error_time', 'TIMESTAMP', 'NO'),
    ('schedule_generation_queue', 'page_name', 'STRING', 'NO'),
    ('schedule_generation_queue', 'execution_date', 'DATE', 'NO'),
    ('schedule_generation_queue', 'saturation_pct', 'FLOAT64', 'YES'),
    ('schedule_generation_queue', 'queued_at', 'TIMESTAMP', 'NO'),
    ('schedule_generation_queue', 'processed_at', 'TIMESTAMP', 'YES'),
    ('schedule_generation_queue', 'status', 'STRING', 'NO'),
    ('schedule_generation_queue', 'schedule_id', 'STRING', 'YES'),
    ('schedule_generation_queue', 'error_message', 'STRING', 'YES'),
    ('automation_alerts', 'alert_id', 'STRING', 'YES'),
    ('automation_alerts', 'alert_time', 'TIMESTAMP', 'NO'),
    ('automation_alerts', 'alert_level', 'STRING', 'NO'),
    ('automation_alerts', 'alert_source', 'STRING', 'NO'),
    ('automation_alerts', 'alert_message', 'STRING', 'YES'),
    ('automation_alerts', 'job_id', 'STRING', 'YES'),
    ('automation_alerts', 'acknowledged', 'BOOL', 'YES'),
    ('automation_alerts', 'acknowledged_at', 'TIMESTAMP', 'YES'),
    ('automation_alerts', 'acknowledged_by', 'STRING', 'YES'),
    ('lock_sweep_log', 'sweep_id', 'STRING', 'NO'),
    ('lock_sweep_log', 'sweep_time', 'TIMESTAMP', 'NO'),
    ('lock_sweep_log', 'locks_expired_stale', 'INT64', 'YES'),
    ('lock_sweep_log', 'locks_expired_past_date', 'INT64', 'YES'),
    ('lock_sweep_log', 'total_locks_cleaned', 'INT64', 'YES'),
    ('lock_sweep_log', 'sweep_duration_seconds', 'FLOAT64', 'YES'),
    ('caption_performance_message_log', 'message_key', 'STRING', 'NO'),
    ('caption_performance_message_log', 'page_name', 'STRING', 'NO'),
    ('caption_performance_message_log', 'caption_id', 'INT64', 'NO'),
    ('caption_performance_message_log', 'sending_time', 'TIMESTAMP', 'YES'),
    ('caption_performance_message_log', 'emv', 'FLOAT64', 'YES'),
    ('caption_performance_message_log', 'page_median_emv', 'FLOAT64', 'YES'),
    ('caption_performance_message_log', 'is_success', 'BOOL', 'YES'),
    ('caption_performance_message_log', 'counted_at', 'TIMESTAMP', 'NO')
  ])
),
actual AS (
  SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.COLUMNS` AS c
  WHERE c.table_name IN ('caption_bandit_stats', 'holiday_calendar', 'schedule_export_log', 'schedule_recommendations_messages', 'etl_job_runs', 'active_caption_assignments', 'creator_processing_errors', 'schedule_generation_queue', 'automation_alerts', 'lock_sweep_log', 'caption_performance_message_log')
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
  CONCAT('v2.columns.', x.table_name) AS check_id,
  CONCAT(x.table_name, ' has exactly the expected ', CAST(COUNTIF(x.state != 'unexpected') AS STRING), ' columns, types and nullability') AS description,
  COUNTIF(x.state != 'ok') = 0 AS passed,
  COALESCE(
    STRING_AGG(IF(x.state = 'ok', NULL, CONCAT(x.column_name, ': ', x.state)), '; ' ORDER BY x.column_name),
    'all columns match'
  ) AS detail
FROM compared AS x
GROUP BY x.table_name
