-- v2 routine signatures from INFORMATION_SCHEMA.PARAMETERS (the original tests never checked
-- them, D-27): mode, name and type of every parameter, in order. A routine without parameters
-- must exist and have none. Missing routine -> failing row.
WITH expected AS (
  SELECT name, signature
  FROM UNNEST(ARRAY<STRUCT<name STRING, signature STRING>>[
    ('run_daily_automation', 'IN execution_date DATE'),
    ('select_captions_for_creator', 'IN normalized_page_name STRING, IN behavioral_segment STRING, IN num_budget_needed INT64, IN num_mid_needed INT64, IN num_premium_needed INT64, IN num_bump_needed INT64'),
    ('update_caption_performance', ''),
    ('sweep_expired_caption_locks', ''),
    ('analyze_creator_performance', 'IN p_page_name STRING, OUT performance_report STRING'),
    ('lock_caption_assignments', 'IN schedule_id STRING, IN page_name STRING, IN caption_assignments ARRAY<STRUCT<caption_id INT64, scheduled_send_date DATE, scheduled_send_hour INT64>>'),
    ('caption_key_v2', 'IN message STRING'),
    ('caption_key', 'IN message STRING'),
    ('wilson_score_bounds', 'IN successes INT64, IN failures INT64'),
    ('wilson_sample', 'IN successes INT64, IN failures INT64')
  ])
),
routines AS (
  SELECT r.routine_name
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.ROUTINES` AS r
),
actual AS (
  SELECT
    p.specific_name,
    STRING_AGG(
      CONCAT(COALESCE(p.parameter_mode, 'IN'), ' ', p.parameter_name, ' ', p.data_type),
      ', ' ORDER BY p.ordinal_position
    ) AS signature
  FROM `${project}.${dataset}.INFORMATION_SCHEMA.PARAMETERS` AS p
  WHERE p.ordinal_position > 0
  GROUP BY p.specific_name
)
SELECT
  CONCAT('v2.parameters.', e.name) AS check_id,
  CONCAT(e.name, '(', e.signature, ')') AS description,
  r.routine_name IS NOT NULL
    AND REPLACE(COALESCE(a.signature, ''), ' ', '') = REPLACE(e.signature, ' ', '') AS passed,
  IF(r.routine_name IS NULL, 'routine missing', CONCAT('actual: (', COALESCE(a.signature, ''), ')')) AS detail
FROM expected AS e
LEFT JOIN routines AS r
  ON r.routine_name = e.name
LEFT JOIN actual AS a
  ON a.specific_name = e.name
