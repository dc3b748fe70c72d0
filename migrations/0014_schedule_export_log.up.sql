-- 0014 schedule_export_log (v1 -> v2)
-- Creates schedule_export_log, the audit log of schedule generation and export operations, in
-- the v2 shape (spec B.2.2.3): schedule_id, page_name, export_timestamp (all NOT NULL),
-- message_count, execution_time_seconds, status (SUCCESS, FAILED, PARTIAL), error_message,
-- export_format (CSV, SHEETS, JSON), exported_by (USER or SYSTEM). Partitioned by
-- DATE(export_timestamp), clustered by page_name, status; description and labels system=eros,
-- component=telemetry, retention=90d.
-- Changed from the original: the label says 90 days but nothing enforced it (D-33); the
-- partitions now expire after 90 days. (The archived Apps Script exporter wrote another,
-- incompatible column set; this is the PI shape.)

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.schedule_export_log` (
  schedule_id STRING NOT NULL,
  page_name STRING NOT NULL,
  export_timestamp TIMESTAMP NOT NULL,
  message_count INT64,
  execution_time_seconds FLOAT64,
  status STRING OPTIONS (description = 'SUCCESS, FAILED or PARTIAL'),
  error_message STRING,
  export_format STRING OPTIONS (description = 'CSV, SHEETS or JSON'),
  exported_by STRING OPTIONS (description = 'USER or SYSTEM')
)
PARTITION BY DATE(export_timestamp)
CLUSTER BY page_name, status
OPTIONS (
  description = 'Audit log for schedule generation and export operations',
  partition_expiration_days = 90,
  labels = [('system', 'eros'), ('component', 'telemetry'), ('retention', '90d')]
);
