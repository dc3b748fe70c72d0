-- v2 tables and views exist with the right table_type (original tests 1.2 and 1.3, extended to
-- every object the v2 procedures read or write). One row per object; missing -> failing row.
WITH expected AS (
  SELECT name, table_type
  FROM UNNEST(ARRAY<STRUCT<name STRING, table_type STRING>>[
    ('caption_bandit_stats', 'BASE TABLE'),
    ('holiday_calendar', 'BASE TABLE'),
    ('schedule_export_log', 'BASE TABLE'),
    ('schedule_recommendations_messages', 'VIEW'),
    ('etl_job_runs', 'BASE TABLE'),
    ('creator_processing_errors', 'BASE TABLE'),
    ('schedule_generation_queue', 'BASE TABLE'),
    ('automation_alerts', 'BASE TABLE'),
    ('lock_sweep_log', 'BASE TABLE'),
    ('caption_performance_message_log', 'BASE TABLE'),
    ('caption_key_md5_backup', 'BASE TABLE'),
    ('mass_messages', 'BASE TABLE'),
    ('caption_bank', 'BASE TABLE'),
    ('captions', 'BASE TABLE'),
    ('schedule_recommendations', 'BASE TABLE'),
    ('active_caption_assignments', 'BASE TABLE'),
    ('creator_caption_restrictions', 'BASE TABLE'),
    ('creator_content_inventory', 'BASE TABLE'),
    ('active_creators', 'BASE TABLE'),
    ('feature_flags', 'BASE TABLE'),
    ('audit_log', 'BASE TABLE'),
    ('caption_bank_enriched', 'VIEW'),
    ('available_captions', 'VIEW'),
    ('active_creator_caption_restrictions_v', 'VIEW')
  ])
)
SELECT
  CONCAT('v2.object.', e.name) AS check_id,
  CONCAT(e.name, ' exists as ', e.table_type) AS description,
  COALESCE(t.table_type = e.table_type, FALSE) AS passed,
  COALESCE(CONCAT('table_type=', t.table_type), 'missing') AS detail
FROM expected AS e
LEFT JOIN `${project}.${dataset}.INFORMATION_SCHEMA.TABLES` AS t
  ON t.table_name = e.name
