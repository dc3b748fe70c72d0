DELETE FROM `${project}.${dataset}.events` WHERE event_id = 'seed-1';
DROP PROCEDURE IF EXISTS `${project}.${dataset}.count_events`;
