-- A table of readings.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.readings` (
  reading_id STRING NOT NULL,
  value FLOAT64
);
