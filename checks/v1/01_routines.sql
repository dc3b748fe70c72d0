-- v1 routines: the v1 set exists with the routine_type BigQuery reports (D-24), and the
-- routines that only v2 adds are absent. One row per routine; a missing v1 routine and a
-- present v2-only routine are failing rows.
WITH expected AS (
  SELECT name, routine_type, present
  FROM UNNEST(ARRAY<STRUCT<name STRING, routine_type STRING, present BOOL>>[
    ('caption_key', 'FUNCTION', TRUE),
    ('la_date', 'FUNCTION', TRUE),
    ('la_hour', 'FUNCTION', TRUE),
    ('la_dayofweek', 'FUNCTION', TRUE),
    ('wilson_score_bounds', 'FUNCTION', TRUE),
    ('wilson_sample', 'FUNCTION', TRUE),
    ('analyze_creator_performance', 'PROCEDURE', TRUE),
    ('update_caption_performance', 'PROCEDURE', TRUE),
    ('lock_caption_assignments', 'PROCEDURE', TRUE),
    ('select_captions_for_creator', 'PROCEDURE', TRUE),
    ('caption_key_v2', 'FUNCTION', FALSE),
    ('run_daily_automation', 'PROCEDURE', FALSE),
    ('sweep_expired_caption_locks', 'PROCEDURE', FALSE)
  ])
)
SELECT
  CONCAT('v1.routine.', e.name) AS check_id,
  IF(e.present, CONCAT(e.name, ' exists as ', e.routine_type), CONCAT(e.name, ' (v2 only) is absent')) AS description,
  IF(e.present, COALESCE(r.routine_type = e.routine_type, FALSE), r.routine_name IS NULL) AS passed,
  COALESCE(CONCAT('routine_type=', r.routine_type), 'absent') AS detail
FROM expected AS e
LEFT JOIN `${project}.${dataset}.INFORMATION_SCHEMA.ROUTINES` AS r
  ON r.routine_name = e.name
