DROP VIEW IF EXISTS `${project}.${dataset}.labelled_events`;
DROP FUNCTION IF EXISTS `${project}.${dataset}.kind_label`;
