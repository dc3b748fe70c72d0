-- 0010 wilson_safe_divide (v1 -> v2)
-- Replaces wilson_score_bounds with the v2 body: same signature, same Wilson 95 % interval
-- (z = 1.96), n = 0 -> (0.0, 1.0, 1.0), exploration_bonus = 1/SQRT(n+1), but every division
-- is a SAFE_DIVIDE (the v1 body divided plainly). The result is not clamped: for p = 0 or 1
-- a bound may sit a hair outside [0, 1] (e.g. -3e-17); wilson_sample clamps.
-- Then re-creates wilson_sample (uniform draw between the bounds, clamped to [0, 1]) after it,
-- as v2 orders them; its body is the v1 (BIS) body, unchanged.
-- No LANGUAGE clause on SQL UDFs (D-31).

CREATE OR REPLACE FUNCTION `${project}.${dataset}.wilson_score_bounds`(successes INT64, failures INT64)
RETURNS STRUCT<lower_bound FLOAT64, upper_bound FLOAT64, exploration_bonus FLOAT64>
AS (
  IF(
    successes + failures = 0,
    STRUCT(0.0 AS lower_bound, 1.0 AS upper_bound, 1.0 AS exploration_bonus),
    STRUCT(
      SAFE_DIVIDE(
        SAFE_DIVIDE(successes, successes + failures)
          + SAFE_DIVIDE(1.96 * 1.96, 2 * (successes + failures))
          - 1.96 * SQRT(
            SAFE_DIVIDE(
              SAFE_DIVIDE(successes, successes + failures)
                * (1 - SAFE_DIVIDE(successes, successes + failures)),
              successes + failures
            )
            + SAFE_DIVIDE(1.96 * 1.96, 4 * (successes + failures) * (successes + failures))
          ),
        1 + SAFE_DIVIDE(1.96 * 1.96, successes + failures)
      ) AS lower_bound,
      SAFE_DIVIDE(
        SAFE_DIVIDE(successes, successes + failures)
          + SAFE_DIVIDE(1.96 * 1.96, 2 * (successes + failures))
          + 1.96 * SQRT(
            SAFE_DIVIDE(
              SAFE_DIVIDE(successes, successes + failures)
                * (1 - SAFE_DIVIDE(successes, successes + failures)),
              successes + failures
            )
            + SAFE_DIVIDE(1.96 * 1.96, 4 * (successes + failures) * (successes + failures))
          ),
        1 + SAFE_DIVIDE(1.96 * 1.96, successes + failures)
      ) AS upper_bound,
      SAFE_DIVIDE(1, SQRT(successes + failures + 1)) AS exploration_bonus
    )
  )
);

CREATE OR REPLACE FUNCTION `${project}.${dataset}.wilson_sample`(successes INT64, failures INT64)
RETURNS FLOAT64
AS (
  GREATEST(
    0.0,
    LEAST(
      1.0,
      `${project}.${dataset}.wilson_score_bounds`(successes, failures).lower_bound
        + (
          `${project}.${dataset}.wilson_score_bounds`(successes, failures).upper_bound
          - `${project}.${dataset}.wilson_score_bounds`(successes, failures).lower_bound
        ) * RAND()
    )
  )
);
