-- v1 wilson_score_bounds (plain division) and wilson_sample (BIS) behaviour (original tests 2.3, 2.4, 5.5): the reference
-- values of spec B.2.1.3 within 1e-4 (rows 'reference'), the validity rules of test 2.3 for its
-- six pairs (lower >= 0, upper <= 1, lower <= upper, bonus >= 0, allowing 1e-12 of floating
-- noise for p = 0 or 1), and 100 draws of wilson_sample(50, 50) inside the bounds and [0, 1].
WITH reference AS (
  SELECT s, f, lo, up, bonus
  FROM UNNEST(ARRAY<STRUCT<s INT64, f INT64, lo FLOAT64, up FLOAT64, bonus FLOAT64>>[
    (100, 100, 0.4314, 0.5686, 0.0705),
    (50, 50, 0.4038, 0.5962, 0.0995),
    (10, 10, 0.2993, 0.7007, 0.2182),
    (90, 10, 0.8256, 0.9448, 0.0995),
    (10, 90, 0.0552, 0.1744, 0.0995),
    (0, 0, 0.0, 1.0, 1.0),
    (1, 1, 0.0945, 0.9055, 0.5774),
    (1, 3, 0.0456, 0.6994, 0.4472)
  ])
),
computed AS (
  SELECT r.s, r.f, r.lo, r.up, r.bonus, `${project}.${dataset}.wilson_score_bounds`(r.s, r.f) AS b
  FROM reference AS r
),
draws AS (
  SELECT
    `${project}.${dataset}.wilson_sample`(50, 50) AS x,
    `${project}.${dataset}.wilson_score_bounds`(50, 50) AS b
  FROM UNNEST(GENERATE_ARRAY(1, 100)) AS i
)
SELECT
  FORMAT('v1.wilson.reference.%d_%d', c.s, c.f) AS check_id,
  FORMAT('wilson_score_bounds(%d, %d) = (%.4f, %.4f, %.4f) within 1e-4', c.s, c.f, c.lo, c.up, c.bonus) AS description,
  COALESCE(
    ABS(c.b.lower_bound - c.lo) <= 1e-4 AND ABS(c.b.upper_bound - c.up) <= 1e-4
      AND ABS(c.b.exploration_bonus - c.bonus) <= 1e-4,
    FALSE
  ) AS passed,
  FORMAT('got (%.6f, %.6f, %.6f)', c.b.lower_bound, c.b.upper_bound, c.b.exploration_bonus) AS detail
FROM computed AS c
UNION ALL
SELECT
  FORMAT('v1.wilson.valid.%d_%d', c.s, c.f),
  FORMAT('wilson_score_bounds(%d, %d): 0 <= lower <= upper <= 1, bonus >= 0 (test 2.3)', c.s, c.f),
  COALESCE(
    c.b.lower_bound >= -1e-12 AND c.b.upper_bound <= 1 + 1e-12
      AND c.b.lower_bound <= c.b.upper_bound AND c.b.exploration_bonus >= 0,
    FALSE
  ),
  FORMAT('lower %.6f, upper %.6f, bonus %.6f', c.b.lower_bound, c.b.upper_bound, c.b.exploration_bonus)
FROM computed AS c
WHERE (c.s, c.f) IN ((100, 100), (50, 50), (10, 10), (90, 10), (10, 90), (0, 0))
UNION ALL
SELECT
  'v1.wilson_sample.within_bounds',
  '100 draws of wilson_sample(50, 50) lie within wilson_score_bounds(50, 50) and [0, 1] (test 2.4)',
  COUNTIF(d.x BETWEEN d.b.lower_bound AND d.b.upper_bound AND d.x BETWEEN 0 AND 1) = 100,
  FORMAT('%d of 100 in range, min %.4f, max %.4f', COUNTIF(d.x BETWEEN d.b.lower_bound AND d.b.upper_bound AND d.x BETWEEN 0 AND 1), MIN(d.x), MAX(d.x))
FROM draws AS d
