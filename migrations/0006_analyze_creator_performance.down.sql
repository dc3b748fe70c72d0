-- 0006 analyze_creator_performance: down. Removes the procedure.

DROP PROCEDURE IF EXISTS `${project}.${dataset}.analyze_creator_performance`;
