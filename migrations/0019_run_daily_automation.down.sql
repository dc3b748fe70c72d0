-- 0019 run_daily_automation: down. Drops the procedure.

DROP PROCEDURE IF EXISTS `${project}.${dataset}.run_daily_automation`;
