-- 0003 operational_tables: down. Removes the four tables (and the seeded flag with them).

-- eros-migrate: allow destructive: reverting 0003 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.audit_log`;
-- eros-migrate: allow destructive: reverting 0003 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.feature_flags`;
-- eros-migrate: allow destructive: reverting 0003 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.holiday_calendar`;
-- eros-migrate: allow destructive: reverting 0003 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.etl_job_runs`;
