-- 0020 select_captions_for_creator_v2 (v1 -> v2)
-- Replaces select_captions_for_creator(normalized_page_name, behavioral_segment,
-- num_budget_needed, num_mid_needed, num_premium_needed, num_bump_needed). It returns, as the
-- procedure's result set, up to the requested number of captions per price tier (budget, mid,
-- premium, bump) for one creator, best first: caption_id, caption_text, price_tier,
-- content_category, has_urgency, final_score and debug_info (thompson_score, diversity_bonus,
-- segment_multiplier, successes, failures, confidence_lower, confidence_upper, budget_penalty).
-- Pool: available_captions with a positive score, minus the creator's restricted categories,
-- price tiers and hard patterns (case-insensitive regex), minus captions locked by ANY creator
-- with a send date from 7 days ago on. Score = (0.70 * wilson_sample(S, F) + 0.15 *
-- diversity_bonus + 0.15 * historical_emv / 100 + 0.10 * budget_penalty) * segment_multiplier.
-- The six parameter names are the public contract and stay; they are copied into v_ variables
-- in the first DECLAREs and not used again, so no column can shadow them.
-- Changes from the original and why:
--   D-19  recent categories/tiers/urgency come from ARRAY(SELECT ... GROUP BY ... ORDER BY
--         MAX(date) DESC LIMIT n), not ARRAY_AGG(DISTINCT ... ORDER BY MAX(...)).
--   D-20  no SELECT with WHERE but no FROM: the same subqueries yield empty arrays on cold start.
--   D-22  every input of the score is COALESCEd (historical_emv falls back to avg_revenue, then
--         0; a missing Wilson draw counts 0), so a NULL never drops a caption.
--   D-23  hard-excluded captions (budget_penalty -1) are removed BEFORE tier_rank, so they take
--         no quota; the diversity weight 0.15 is applied once (was 0.15 * 0.15); the category
--         budget counts per category (>= 20 exclude, >= 16 -0.3, >= 12 -0.15) and the urgency
--         budget counts all urgent captions of the week (>= 5 exclude, >= 4 -0.5); all active
--         restriction rows of the creator are merged, so several versions cannot duplicate the
--         pool; the segment boost understands the analyzer's labels (PREMIUM and LUXURY boost
--         premium, BUDGET boosts budget and mid; the old labels still work, case-insensitive);
--         other creators' locks are excluded too; the unused exploration_rate is gone
--         (wilson_sample already explores); the result set is returned by the final SELECT,
--         no temp table; ties are broken by caption_id.

CREATE OR REPLACE PROCEDURE `${project}.${dataset}.select_captions_for_creator`(
  normalized_page_name STRING,
  behavioral_segment STRING,
  num_budget_needed INT64,
  num_mid_needed INT64,
  num_premium_needed INT64,
  num_bump_needed INT64
)
BEGIN
  DECLARE v_page_name STRING DEFAULT normalized_page_name;
  DECLARE v_segment STRING DEFAULT UPPER(COALESCE(behavioral_segment, ''));
  DECLARE v_budget_needed INT64 DEFAULT COALESCE(num_budget_needed, 0);
  DECLARE v_mid_needed INT64 DEFAULT COALESCE(num_mid_needed, 0);
  DECLARE v_premium_needed INT64 DEFAULT COALESCE(num_premium_needed, 0);
  DECLARE v_bump_needed INT64 DEFAULT COALESCE(num_bump_needed, 0);
  DECLARE v_pattern_diversity_weight FLOAT64 DEFAULT 0.15;
  DECLARE v_max_urgent_per_week INT64 DEFAULT 5;
  DECLARE v_max_per_category INT64 DEFAULT 20;
  DECLARE v_today DATE DEFAULT CURRENT_DATE('America/Los_Angeles');
  DECLARE v_recent_categories ARRAY<STRING>;
  DECLARE v_recent_price_tiers ARRAY<STRING>;
  DECLARE v_recent_urgency_flags ARRAY<BOOL>;
  DECLARE v_restricted_categories ARRAY<STRING>;
  DECLARE v_restricted_price_tiers ARRAY<STRING>;
  DECLARE v_hard_patterns ARRAY<STRING>;
  DECLARE v_urgent_used INT64 DEFAULT 0;

  -- 1. Recent pattern of this creator, most recent first (D-19); empty on cold start (D-20).
  SET v_recent_categories = ARRAY(
    SELECT cb.content_category
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    JOIN `${project}.${dataset}.caption_bank` AS cb
      ON cb.caption_id = a.caption_id
    WHERE a.page_name = v_page_name
      AND a.is_active = TRUE
      AND a.scheduled_send_date >= DATE_SUB(v_today, INTERVAL 7 DAY)
      AND cb.content_category IS NOT NULL
    GROUP BY cb.content_category
    ORDER BY MAX(a.scheduled_send_date) DESC, cb.content_category
    LIMIT 5
  );
  SET v_recent_price_tiers = ARRAY(
    SELECT cb.price_tier
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    JOIN `${project}.${dataset}.caption_bank` AS cb
      ON cb.caption_id = a.caption_id
    WHERE a.page_name = v_page_name
      AND a.is_active = TRUE
      AND a.scheduled_send_date >= DATE_SUB(v_today, INTERVAL 7 DAY)
      AND cb.price_tier IS NOT NULL
    GROUP BY cb.price_tier
    ORDER BY MAX(a.scheduled_send_date) DESC, cb.price_tier
    LIMIT 7
  );
  SET v_recent_urgency_flags = ARRAY(
    SELECT cb.has_urgency
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    JOIN `${project}.${dataset}.caption_bank` AS cb
      ON cb.caption_id = a.caption_id
    WHERE a.page_name = v_page_name
      AND a.is_active = TRUE
      AND a.scheduled_send_date >= DATE_SUB(v_today, INTERVAL 7 DAY)
      AND cb.has_urgency IS NOT NULL
    GROUP BY cb.has_urgency
    ORDER BY MAX(a.scheduled_send_date) DESC, cb.has_urgency
    LIMIT 3
  );

  -- 2. Restrictions: the union over every active row of this creator (several versions may be
  --    active), so the pool is never duplicated (D-23).
  SET v_restricted_categories = ARRAY(
    SELECT DISTINCT x
    FROM `${project}.${dataset}.active_creator_caption_restrictions_v` AS r,
      UNNEST(r.restricted_categories) AS x
    WHERE r.page_name = v_page_name AND x IS NOT NULL
  );
  SET v_restricted_price_tiers = ARRAY(
    SELECT DISTINCT x
    FROM `${project}.${dataset}.active_creator_caption_restrictions_v` AS r,
      UNNEST(r.restricted_price_tiers) AS x
    WHERE r.page_name = v_page_name AND x IS NOT NULL
  );
  SET v_hard_patterns = ARRAY(
    SELECT DISTINCT x
    FROM `${project}.${dataset}.active_creator_caption_restrictions_v` AS r,
      UNNEST(r.hard_patterns) AS x
    WHERE r.page_name = v_page_name AND x IS NOT NULL AND x != ''
  );

  -- 3. Urgent captions this creator used this week (the weekly urgency budget, D-23).
  SET v_urgent_used = (
    SELECT COUNT(*)
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    JOIN `${project}.${dataset}.caption_bank` AS cb
      ON cb.caption_id = a.caption_id
    WHERE a.page_name = v_page_name
      AND a.is_active = TRUE
      AND a.scheduled_send_date >= DATE_SUB(v_today, INTERVAL 7 DAY)
      AND cb.has_urgency = TRUE
  );

  -- 4. Score the pool and fill each tier's quota; the result set of the procedure.
  WITH
  category_usage AS (
    SELECT cb.content_category, COUNT(*) AS times_used
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    JOIN `${project}.${dataset}.caption_bank` AS cb
      ON cb.caption_id = a.caption_id
    WHERE a.page_name = v_page_name
      AND a.is_active = TRUE
      AND a.scheduled_send_date >= DATE_SUB(v_today, INTERVAL 7 DAY)
    GROUP BY cb.content_category
  ),
  locked_captions AS (
    -- Locked by any creator (lock_caption_assignments enforces +-7 days agency-wide, D-23).
    SELECT DISTINCT a.caption_id
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    WHERE a.is_active = TRUE
      AND (a.scheduled_send_date IS NULL OR a.scheduled_send_date >= DATE_SUB(v_today, INTERVAL 7 DAY))
  ),
  page_stats AS (
    SELECT
      s.caption_id,
      s.successes,
      s.failures,
      s.avg_emv,
      s.confidence_lower_bound,
      s.confidence_upper_bound
    FROM `${project}.${dataset}.caption_bandit_stats` AS s
    WHERE s.page_name = v_page_name
    QUALIFY ROW_NUMBER() OVER (PARTITION BY s.caption_id ORDER BY s.last_updated DESC) = 1
  ),
  pool AS (
    SELECT
      ac.caption_id,
      ac.caption_text,
      ac.price_tier,
      ac.content_category,
      ac.has_urgency,
      COALESCE(st.successes, 1) AS successes,
      COALESCE(st.failures, 1) AS failures,
      COALESCE(st.avg_emv, ac.avg_revenue, 0.0) AS historical_emv,
      COALESCE(st.confidence_lower_bound, 0.0) AS confidence_lower,
      COALESCE(st.confidence_upper_bound, 1.0) AS confidence_upper,
      CASE
        WHEN COALESCE(ac.has_urgency, FALSE) AND v_urgent_used >= v_max_urgent_per_week THEN -1.0
        WHEN COALESCE(cu.times_used, 0) >= v_max_per_category THEN -1.0
        WHEN COALESCE(ac.has_urgency, FALSE) AND v_urgent_used >= v_max_urgent_per_week - 1 THEN -0.5
        WHEN COALESCE(cu.times_used, 0) >= 16 THEN -0.3
        WHEN COALESCE(cu.times_used, 0) >= 12 THEN -0.15
        ELSE 0.0
      END AS budget_penalty
    FROM `${project}.${dataset}.available_captions` AS ac
    LEFT JOIN page_stats AS st
      ON st.caption_id = ac.caption_id
    LEFT JOIN category_usage AS cu
      ON cu.content_category = ac.content_category
    WHERE ac.overall_performance_score > 0
      AND NOT COALESCE(ac.content_category IN UNNEST(v_restricted_categories), FALSE)
      AND NOT COALESCE(ac.price_tier IN UNNEST(v_restricted_price_tiers), FALSE)
      AND NOT EXISTS (
        SELECT 1
        FROM UNNEST(v_hard_patterns) AS hp
        WHERE REGEXP_CONTAINS(ac.caption_text, CONCAT('(?i)', hp))
      )
      AND ac.caption_id NOT IN (SELECT lc.caption_id FROM locked_captions AS lc)
  ),
  scored AS (
    SELECT
      p.caption_id,
      p.caption_text,
      p.price_tier,
      p.content_category,
      p.has_urgency,
      p.successes,
      p.failures,
      p.historical_emv,
      p.confidence_lower,
      p.confidence_upper,
      p.budget_penalty,
      COALESCE(`${project}.${dataset}.wilson_sample`(p.successes, p.failures), 0.0) AS thompson_score,
      IF(COALESCE(p.content_category IN UNNEST(v_recent_categories), FALSE), -0.2, 0.1)
        + IF(COALESCE(p.price_tier IN UNNEST(v_recent_price_tiers), FALSE), -0.2, 0.1)
        + IF(
          COALESCE(p.has_urgency, FALSE)
            AND COALESCE(p.has_urgency IN UNNEST(v_recent_urgency_flags), FALSE),
          -0.1,
          0.05
        ) AS diversity_bonus,
      CASE
        WHEN v_segment IN ('PREMIUM', 'LUXURY', 'HIGH-VALUE/PRICE-INSENSITIVE')
          AND p.price_tier = 'premium' THEN 1.25
        WHEN v_segment IN ('BUDGET', 'BUDGET-CONSCIOUS')
          AND p.price_tier IN ('budget', 'mid') THEN 1.15
        ELSE 1.0
      END AS segment_multiplier
    FROM pool AS p
    WHERE p.budget_penalty > -1.0
  ),
  final AS (
    SELECT
      s.caption_id,
      s.caption_text,
      s.price_tier,
      s.content_category,
      s.has_urgency,
      s.thompson_score,
      s.diversity_bonus,
      s.segment_multiplier,
      s.successes,
      s.failures,
      s.confidence_lower,
      s.confidence_upper,
      s.budget_penalty,
      (
        0.70 * s.thompson_score
        + v_pattern_diversity_weight * s.diversity_bonus
        + 0.15 * SAFE_DIVIDE(s.historical_emv, 100)
        + 0.10 * s.budget_penalty
      ) * s.segment_multiplier AS final_score
    FROM scored AS s
  ),
  ranked AS (
    SELECT
      f.caption_id,
      f.caption_text,
      f.price_tier,
      f.content_category,
      f.has_urgency,
      f.final_score,
      f.thompson_score,
      f.diversity_bonus,
      f.segment_multiplier,
      f.successes,
      f.failures,
      f.confidence_lower,
      f.confidence_upper,
      f.budget_penalty,
      ROW_NUMBER() OVER (PARTITION BY f.price_tier ORDER BY f.final_score DESC, f.caption_id) AS tier_rank
    FROM final AS f
  )
  SELECT
    rk.caption_id,
    rk.caption_text,
    rk.price_tier,
    rk.content_category,
    rk.has_urgency,
    rk.final_score,
    STRUCT(
      rk.thompson_score AS thompson_score,
      rk.diversity_bonus AS diversity_bonus,
      rk.segment_multiplier AS segment_multiplier,
      rk.successes AS successes,
      rk.failures AS failures,
      rk.confidence_lower AS confidence_lower,
      rk.confidence_upper AS confidence_upper,
      rk.budget_penalty AS budget_penalty
    ) AS debug_info
  FROM ranked AS rk
  WHERE (rk.price_tier = 'budget' AND rk.tier_rank <= v_budget_needed)
    OR (rk.price_tier = 'mid' AND rk.tier_rank <= v_mid_needed)
    OR (rk.price_tier = 'premium' AND rk.tier_rank <= v_premium_needed)
    OR (rk.price_tier = 'bump' AND rk.tier_rank <= v_bump_needed)
  ORDER BY rk.final_score DESC, rk.caption_id;
END;
