-- 0010 wilson_safe_divide: down. Restores the v1 (BIS) wilson_score_bounds body of 0007 and
-- re-creates wilson_sample after it (its body is the same in v1 and v2).

CREATE OR REPLACE FUNCTION `${project}.${dataset}.wilson_score_bounds`(successes INT64, failures INT64)
RETURNS STRUCT<lower_bound FLOAT64, upper_bound FLOAT64, exploration_bonus FLOAT64>
AS (
  IF(
    successes + failures = 0,
    STRUCT(0.0 AS lower_bound, 1.0 AS upper_bound, 1.0 AS exploration_bonus),
    STRUCT(
      (successes / (successes + failures) -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
        + (1.96 * 1.96) / (2 * (successes + failures)) -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
        - 1.96 * SQRT(
          (successes / (successes + failures)) * (1 - successes / (successes + failures)) / (successes + failures) -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
          + (1.96 * 1.96) / (4 * (successes + failures) * (successes + failures)) -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
        )
      ) / (1 + (1.96 * 1.96) / (successes + failures)) AS lower_bound, -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
      (successes / (successes + failures) -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
        + (1.96 * 1.96) / (2 * (successes + failures)) -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
        + 1.96 * SQRT(
          (successes / (successes + failures)) * (1 - successes / (successes + failures)) / (successes + failures) -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
          + (1.96 * 1.96) / (4 * (successes + failures) * (successes + failures)) -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
        )
      ) / (1 + (1.96 * 1.96) / (successes + failures)) AS upper_bound, -- eros-migrate: ignore unsafe-division: v1 body as deployed; n > 0 in this branch
      1 / SQRT(successes + failures + 1) AS exploration_bonus -- eros-migrate: ignore unsafe-division: v1 body as deployed; divisor >= 1
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
