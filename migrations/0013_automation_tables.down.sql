-- 0013 automation_tables: down. Drops the four bookkeeping tables and the eight v2 columns of
-- etl_job_runs (the live 18 columns and their rows stay).

-- eros-migrate: allow destructive: reverting 0013 removes the table it created, with its log rows
DROP TABLE IF EXISTS `${project}.${dataset}.lock_sweep_log`;
-- eros-migrate: allow destructive: reverting 0013 removes the table it created, with its alerts
DROP TABLE IF EXISTS `${project}.${dataset}.automation_alerts`;
-- eros-migrate: allow destructive: reverting 0013 removes the table it created, with its queue rows
DROP TABLE IF EXISTS `${project}.${dataset}.schedule_generation_queue`;
-- eros-migrate: allow destructive: reverting 0013 removes the table it created, with its error rows
DROP TABLE IF EXISTS `${project}.${dataset}.creator_processing_errors`;

-- eros-migrate: allow destructive: reverting 0013 removes the eight v2 columns it added
ALTER TABLE `${project}.${dataset}.etl_job_runs`
  DROP COLUMN IF EXISTS job_duration_seconds,
  DROP COLUMN IF EXISTS creators_failed,
  DROP COLUMN IF EXISTS creators_processed,
  DROP COLUMN IF EXISTS execution_date,
  DROP COLUMN IF EXISTS job_status,
  DROP COLUMN IF EXISTS job_end_time,
  DROP COLUMN IF EXISTS job_start_time,
  DROP COLUMN IF EXISTS job_id;
