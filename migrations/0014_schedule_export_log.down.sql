-- 0014 schedule_export_log: down. Drops the table.

-- eros-migrate: allow destructive: reverting 0014 removes the table it created, with its log rows
DROP TABLE IF EXISTS `${project}.${dataset}.schedule_export_log`;
