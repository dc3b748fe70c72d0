DROP VIEW IF EXISTS `${project}.${dataset}.rounded_readings`;
