-- v2 routine bodies, as INFORMATION_SCHEMA.ROUTINES.routine_definition reports them: the
-- defining traits of each v2 change are present (and the v1 traits gone). A routine that is
-- missing, or whose definition is not reported, gives a failing row.
WITH expected AS (
  SELECT name, description, must_match, must_not_match
  FROM UNNEST(ARRAY<STRUCT<name STRING, description STRING, must_match STRING, must_not_match STRING>>[
    ('caption_key', 'caption_key delegates to caption_key_v2', r'caption_key_v2', r'MD5'),
    ('caption_key_v2', 'caption_key_v2 hashes with SHA256 and keeps Unicode letters', r'SHA256[\s\S]*\\p\{L\}', NULL),
    ('wilson_score_bounds', 'wilson_score_bounds divides with SAFE_DIVIDE only', r'SAFE_DIVIDE', r'[^*]\s/\s'),
    ('update_caption_performance', 'update_caption_performance: INFO alert instead of RAISE, message log, one exploration formula', r'caption_performance_message_log[\s\S]*exploration_bonus', r'\bRAISE\b'),
    ('run_daily_automation', 'run_daily_automation copies execution_date into v_execution_date and counts consecutive failures', r'v_execution_date[\s\S]*v_consecutive_failures', NULL),
    ('sweep_expired_caption_locks', 'sweep_expired_caption_locks handles NULL send dates', r'NO_SEND_DATE_7DAY', NULL),
    ('select_captions_for_creator', 'select_captions_for_creator returns its result without a temp table', r'tier_rank', r'caption_selection_results')
  ])
)
SELECT
  CONCAT('v2.body.', e.name) AS check_id,
  e.description,
  COALESCE(
    REGEXP_CONTAINS(r.routine_definition, e.must_match)
      AND (e.must_not_match IS NULL OR NOT REGEXP_CONTAINS(r.routine_definition, e.must_not_match)),
    FALSE
  ) AS passed,
  CASE
    WHEN r.routine_name IS NULL THEN 'routine missing'
    WHEN r.routine_definition IS NULL THEN 'routine_definition not reported'
    ELSE CONCAT(CAST(LENGTH(r.routine_definition) AS STRING), ' characters of definition')
  END AS detail
FROM expected AS e
LEFT JOIN `${project}.${dataset}.INFORMATION_SCHEMA.ROUTINES` AS r
  ON r.routine_name = e.name
