-- v1 routine bodies, as INFORMATION_SCHEMA.ROUTINES.routine_definition reports them: the traits
-- that tell the v1 definitions from the v2 ones. Missing routine or unreported definition ->
-- failing row.
WITH expected AS (
  SELECT name, description, must_match, must_not_match
  FROM UNNEST(ARRAY<STRUCT<name STRING, description STRING, must_match STRING, must_not_match STRING>>[
    ('caption_key', 'caption_key is MD5 of LOWER(TRIM(message))', r'MD5\s*\(\s*LOWER\s*\(\s*TRIM', r'caption_key_v2'),
    ('wilson_score_bounds', 'wilson_score_bounds divides plainly (no SAFE_DIVIDE)', r'1\.96', r'SAFE_DIVIDE'),
    ('wilson_sample', 'wilson_sample draws uniformly between the Wilson bounds (BIS variant)', r'wilson_score_bounds[\s\S]*RAND\(\)', r'LN\s*\('),
    ('update_caption_performance', 'update_caption_performance RAISEs on no data and keeps no message log', r'\bRAISE\b', r'caption_performance_message_log'),
    ('select_captions_for_creator', 'select_captions_for_creator goes through the caption_selection_results temp table', r'caption_selection_results', NULL),
    ('lock_caption_assignments', 'lock_caption_assignments blocks +-7 day conflicts', r'<= 7', NULL)
  ])
)
SELECT
  CONCAT('v1.body.', e.name) AS check_id,
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
