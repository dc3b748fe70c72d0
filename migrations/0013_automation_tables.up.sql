-- 0013 automation_tables (v1 -> v2)
-- Creates the bookkeeping tables of the v2 procedures up front, in the v2 shapes of spec
-- B.2.5, instead of lazily inside the procedures (spec A.5):
--   creator_processing_errors  one row per creator (or SYSTEM_CLEANUP) that failed in a run
--   schedule_generation_queue  creators queued for schedule generation (PENDING, PROCESSING,
--                              COMPLETED, FAILED)
--   automation_alerts          INFO / WARNING / CRITICAL alerts of daily_automation,
--                              lock_cleanup and caption_performance
--   lock_sweep_log             one row per lock sweep
-- and gives etl_job_runs the v2 columns.
-- etl_job_runs decision (D-13): the live table keeps its 18 columns and its rows; the eight v2
-- columns it lacks are ADDed (job_id, job_start_time, job_end_time, job_status,
-- execution_date, creators_processed, creators_failed, job_duration_seconds; job_name and
-- error_message already exist). BigQuery cannot add REQUIRED columns, so they are NULLABLE;
-- run_daily_automation fills them and, for the existing REQUIRED columns, run_id = job_id,
-- started_at = job_start_time, status = job_status. analyze_creator_performance keeps writing
-- the live columns, so both writers work on one table.

-- One ALTER for the eight columns: one metadata update of the table instead of eight (BigQuery
-- allows five per table in ten seconds), so the migration runs as one job.
ALTER TABLE `${project}.${dataset}.etl_job_runs`
  ADD COLUMN IF NOT EXISTS job_id STRING,
  ADD COLUMN IF NOT EXISTS job_start_time TIMESTAMP,
  ADD COLUMN IF NOT EXISTS job_end_time TIMESTAMP,
  ADD COLUMN IF NOT EXISTS job_status STRING,
  ADD COLUMN IF NOT EXISTS execution_date DATE,
  ADD COLUMN IF NOT EXISTS creators_processed INT64,
  ADD COLUMN IF NOT EXISTS creators_failed INT64,
  ADD COLUMN IF NOT EXISTS job_duration_seconds FLOAT64;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.creator_processing_errors` (
  job_id STRING NOT NULL,
  page_name STRING NOT NULL,
  execution_date DATE,
  error_message STRING,
  error_time TIMESTAMP NOT NULL
)
PARTITION BY DATE(error_time)
CLUSTER BY job_id, page_name;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.schedule_generation_queue` (
  page_name STRING NOT NULL,
  execution_date DATE NOT NULL,
  saturation_pct FLOAT64,
  queued_at TIMESTAMP NOT NULL,
  processed_at TIMESTAMP,
  status STRING NOT NULL OPTIONS (description = 'PENDING, PROCESSING, COMPLETED or FAILED'),
  schedule_id STRING,
  error_message STRING
)
PARTITION BY execution_date
CLUSTER BY status, page_name;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.automation_alerts` (
  alert_id STRING DEFAULT GENERATE_UUID(),
  alert_time TIMESTAMP NOT NULL,
  alert_level STRING NOT NULL OPTIONS (description = 'INFO, WARNING or CRITICAL'),
  alert_source STRING NOT NULL OPTIONS (description = 'daily_automation, lock_cleanup or caption_performance'),
  alert_message STRING,
  job_id STRING,
  acknowledged BOOL DEFAULT FALSE,
  acknowledged_at TIMESTAMP,
  acknowledged_by STRING
)
PARTITION BY DATE(alert_time)
CLUSTER BY alert_level, alert_source, acknowledged;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.lock_sweep_log` (
  sweep_id STRING NOT NULL,
  sweep_time TIMESTAMP NOT NULL,
  locks_expired_stale INT64,
  locks_expired_past_date INT64,
  total_locks_cleaned INT64,
  sweep_duration_seconds FLOAT64
)
PARTITION BY DATE(sweep_time)
CLUSTER BY sweep_time;
