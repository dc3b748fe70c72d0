-- eros-migrate: allow destructive: undoes the table created by the up migration
DROP TABLE IF EXISTS `${project}.${dataset}.readings`;
