-- 0003 operational_tables (v1 baseline)
-- Creates the operational tables that exist at v1:
--   etl_job_runs      the LIVE 18-column job log (run_id, started_at, status, ...), written by
--                     the gmail ETL and by analyze_creator_performance. Decision (D-13): v1 keeps
--                     this shape; v2 (0013) ADDs the v2 columns (job_id, job_start_time,
--                     job_status, ...) so both writers keep working and no row is lost.
--   holiday_calendar  as at v1: 2 columns (holiday_date, name), empty. v2 (0012) recreates it.
--   feature_flags     runtime switches; seeded with caption_restrictions_enabled = TRUE.
--   audit_log         generic audit trail (empty at v1).

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.etl_job_runs` (
  run_id STRING NOT NULL,
  job_name STRING NOT NULL,
  started_at TIMESTAMP NOT NULL,
  completed_at TIMESTAMP,
  status STRING NOT NULL,
  messages_found INT64,
  messages_processed INT64,
  messages_failed INT64,
  rows_loaded INT64,
  duplicates_skipped INT64,
  latest_data_timestamp TIMESTAMP,
  data_date_range_start TIMESTAMP,
  data_date_range_end TIMESTAMP,
  error_message STRING,
  error_details STRING,
  environment STRING,
  execution_duration_seconds FLOAT64,
  cloud_run_job_execution_id STRING
)
PARTITION BY DATE(started_at)
CLUSTER BY job_name, status
OPTIONS (description = 'ETL job execution tracking for intelligent freshness checking');

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.holiday_calendar` (
  holiday_date DATE NOT NULL,
  name STRING
)
CLUSTER BY holiday_date;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.feature_flags` (
  flag STRING,
  is_enabled BOOL,
  updated_at TIMESTAMP,
  updated_by STRING
)
CLUSTER BY flag;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.audit_log` (
  action STRING NOT NULL,
  entity_type STRING NOT NULL,
  entity_id STRING NOT NULL,
  page_name STRING,
  details STRING,
  `timestamp` TIMESTAMP NOT NULL,
  user_agent STRING,
  error_message STRING
)
PARTITION BY DATE(`timestamp`)
CLUSTER BY entity_type, page_name;

MERGE `${project}.${dataset}.feature_flags` AS t
USING (SELECT 'caption_restrictions_enabled' AS flag) AS s
ON t.flag = s.flag
WHEN NOT MATCHED THEN
  INSERT (flag, is_enabled, updated_at, updated_by)
  VALUES (s.flag, TRUE, CURRENT_TIMESTAMP(), 'eros-migrate');
