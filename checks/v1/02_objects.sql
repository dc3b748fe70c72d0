-- v1 tables and views: the v1 set exists with its table_type, and the tables and the view that
-- only v2 adds are absent. One row per object.
WITH expected AS (
  SELECT name, table_type, present
  FROM UNNEST(ARRAY<STRUCT<name STRING, table_type STRING, present BOOL>>[
    ('mass_messages', 'BASE TABLE', TRUE),
    ('caption_bank', 'BASE TABLE', TRUE),
    ('captions', 'BASE TABLE', TRUE),
    ('schedule_recommendations', 'BASE TABLE', TRUE),
    ('active_caption_assignments', 'BASE TABLE', TRUE),
    ('creator_caption_restrictions', 'BASE TABLE', TRUE),
    ('creator_content_inventory', 'BASE TABLE', TRUE),
    ('active_creators', 'BASE TABLE', TRUE),
    ('etl_job_runs', 'BASE TABLE', TRUE),
    ('holiday_calendar', 'BASE TABLE', TRUE),
    ('feature_flags', 'BASE TABLE', TRUE),
    ('audit_log', 'BASE TABLE', TRUE),
    ('caption_bandit_stats', 'BASE TABLE', TRUE),
    ('caption_bank_enriched', 'VIEW', TRUE),
    ('available_captions', 'VIEW', TRUE),
    ('active_creator_caption_restrictions_v', 'VIEW', TRUE),
    ('schedule_export_log', 'BASE TABLE', FALSE),
    ('creator_processing_errors', 'BASE TABLE', FALSE),
    ('schedule_generation_queue', 'BASE TABLE', FALSE),
    ('automation_alerts', 'BASE TABLE', FALSE),
    ('lock_sweep_log', 'BASE TABLE', FALSE),
    ('caption_performance_message_log', 'BASE TABLE', FALSE),
    ('caption_key_md5_backup', 'BASE TABLE', FALSE),
    ('schedule_recommendations_messages', 'VIEW', FALSE)
  ])
)
SELECT
  CONCAT('v1.object.', e.name) AS check_id,
  IF(e.present, CONCAT(e.name, ' exists as ', e.table_type), CONCAT(e.name, ' (v2 only) is absent')) AS description,
  IF(e.present, COALESCE(t.table_type = e.table_type, FALSE), t.table_name IS NULL) AS passed,
  COALESCE(CONCAT('table_type=', t.table_type), 'absent') AS detail
FROM expected AS e
LEFT JOIN `${project}.${dataset}.INFORMATION_SCHEMA.TABLES` AS t
  ON t.table_name = e.name
