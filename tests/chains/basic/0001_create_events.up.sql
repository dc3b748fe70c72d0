-- A partitioned table of events.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.events` (
  event_id STRING NOT NULL,
  kind STRING,
  happened_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(happened_at)
CLUSTER BY kind;
