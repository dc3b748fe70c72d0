-- 0007 caption_bandit_infrastructure: down. Removes the two UDFs and caption_bandit_stats.

DROP FUNCTION IF EXISTS `${project}.${dataset}.wilson_sample`;
DROP FUNCTION IF EXISTS `${project}.${dataset}.wilson_score_bounds`;
-- eros-migrate: allow destructive: reverting 0007 removes the table it created, with its statistics
DROP TABLE IF EXISTS `${project}.${dataset}.caption_bandit_stats`;
