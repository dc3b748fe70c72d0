-- 0007 caption_bandit_infrastructure (v1 baseline; the original BIS file)
-- Creates the Thompson-sampling state and its two UDFs as they were first deployed:
--   caption_bandit_stats   15 columns, v1 column defaults (successes 1, failures 1,
--                          total_observations 0, total_revenue/avg_conversion_rate/avg_emv 0.0,
--                          last_updated CURRENT_TIMESTAMP()), PRIMARY KEY (caption_id, page_name)
--                          NOT ENFORCED, partitioned by DATE(last_updated), clustered by
--                          page_name, caption_id, last_used; no description, no labels.
--   wilson_score_bounds    Wilson 95 % interval (z = 1.96) with n = 0 -> (0, 1, 1) and
--                          exploration_bonus = 1/SQRT(n+1); plain division as deployed (the n = 0
--                          branch guards it); v2 (0010) rewrites it with SAFE_DIVIDE.
--   wilson_sample          the BIS variant: uniform draw between the Wilson bounds, clamped to
--                          [0, 1]. The SCP Box-Muller variant (D-29) is not used.
-- SQL UDFs carry no LANGUAGE clause (D-31). wilson_sample must follow wilson_score_bounds.

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.caption_bandit_stats` (
  caption_id INT64 NOT NULL,
  page_name STRING NOT NULL,
  successes INT64 DEFAULT 1,
  failures INT64 DEFAULT 1,
  total_observations INT64 DEFAULT 0,
  total_revenue FLOAT64 DEFAULT 0.0,
  avg_conversion_rate FLOAT64 DEFAULT 0.0,
  avg_emv FLOAT64 DEFAULT 0.0,
  last_emv_observed FLOAT64,
  confidence_lower_bound FLOAT64,
  confidence_upper_bound FLOAT64,
  exploration_score FLOAT64,
  last_used TIMESTAMP,
  last_updated TIMESTAMP DEFAULT CURRENT_TIMESTAMP(),
  performance_percentile INT64,
  PRIMARY KEY (caption_id, page_name) NOT ENFORCED
)
PARTITION BY DATE(last_updated)
CLUSTER BY page_name, caption_id, last_used;

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
