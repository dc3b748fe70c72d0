-- v2 routines: each exists with the routine_type BigQuery reports (FUNCTION / PROCEDURE, not
-- SCALAR_FUNCTION: D-24) and, for functions, the declared return type. One row per routine;
-- a missing routine is a failing row (D-27). Covers original tests 1.1, 1.4, 5.1-5.4.
WITH expected AS (
  SELECT name, routine_type, return_type
  FROM UNNEST(ARRAY<STRUCT<name STRING, routine_type STRING, return_type STRING>>[
    ('caption_key_v2', 'FUNCTION', 'STRING'),
    ('caption_key', 'FUNCTION', 'STRING'),
    ('wilson_score_bounds', 'FUNCTION', 'STRUCT<lower_bound FLOAT64, upper_bound FLOAT64, exploration_bonus FLOAT64>'),
    ('wilson_sample', 'FUNCTION', 'FLOAT64'),
    ('la_date', 'FUNCTION', 'DATE'),
    ('la_hour', 'FUNCTION', 'INT64'),
    ('la_dayofweek', 'FUNCTION', 'INT64'),
    ('update_caption_performance', 'PROCEDURE', NULL),
    ('run_daily_automation', 'PROCEDURE', NULL),
    ('sweep_expired_caption_locks', 'PROCEDURE', NULL),
    ('select_captions_for_creator', 'PROCEDURE', NULL),
    ('lock_caption_assignments', 'PROCEDURE', NULL),
    ('analyze_creator_performance', 'PROCEDURE', NULL)
  ])
),
actual AS (
  SELECT r.routine_name, r.routine_type, r.data_type
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.ROUTINES` AS r
)
SELECT
  CONCAT('v2.routine.', e.name) AS check_id,
  CONCAT(e.name, ' exists as ', e.routine_type, IF(e.return_type IS NULL, '', CONCAT(' returning ', e.return_type))) AS description,
  COALESCE(
    a.routine_type = e.routine_type
      AND (e.return_type IS NULL OR REPLACE(a.data_type, ' ', '') = REPLACE(e.return_type, ' ', '')),
    FALSE
  ) AS passed,
  IF(
    a.routine_name IS NULL,
    'missing',
    CONCAT('routine_type=', COALESCE(a.routine_type, 'NULL'), ', data_type=', COALESCE(a.data_type, 'NULL'))
  ) AS detail
FROM expected AS e
LEFT JOIN actual AS a
  ON a.routine_name = e.name
