-- 0020 select_captions_for_creator_v2: down. Restores the v1 select_captions_for_creator body
-- of 0008 exactly.

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
  DECLARE v_segment STRING DEFAULT behavioral_segment;
  DECLARE v_budget_needed INT64 DEFAULT num_budget_needed;
  DECLARE v_mid_needed INT64 DEFAULT num_mid_needed;
  DECLARE v_premium_needed INT64 DEFAULT num_premium_needed;
  DECLARE v_bump_needed INT64 DEFAULT num_bump_needed;
  DECLARE v_exploration_rate FLOAT64 DEFAULT 0.20;
  DECLARE v_pattern_diversity_weight FLOAT64 DEFAULT 0.15;
  DECLARE v_max_urgent_per_week INT64 DEFAULT 5;
  DECLARE v_max_per_category INT64 DEFAULT 20;
  DECLARE v_today DATE DEFAULT CURRENT_DATE('America/Los_Angeles');
  DECLARE v_recent_categories ARRAY<STRING>;
  DECLARE v_recent_price_tiers ARRAY<STRING>;
  DECLARE v_recent_urgency_flags ARRAY<BOOL>;

  -- Recent pattern of this creator (most recent first); empty arrays on cold start.
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

  CREATE TEMP TABLE caption_selection_results AS
  WITH
  recent_assignments AS (
    SELECT a.caption_id, cb.content_category, cb.has_urgency
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    JOIN `${project}.${dataset}.caption_bank` AS cb
      ON cb.caption_id = a.caption_id
    WHERE a.page_name = v_page_name
      AND a.is_active = TRUE
      AND a.scheduled_send_date >= DATE_SUB(v_today, INTERVAL 7 DAY)
  ),
  weekly_usage AS (
    SELECT ra.content_category, ra.has_urgency, COUNT(*) AS times_used
    FROM recent_assignments AS ra
    GROUP BY ra.content_category, ra.has_urgency
  ),
  budget_penalties AS (
    SELECT
      wu.content_category,
      wu.has_urgency,
      CASE
        WHEN wu.has_urgency AND wu.times_used >= v_max_urgent_per_week THEN -1.0
        WHEN wu.times_used >= v_max_per_category THEN -1.0
        WHEN wu.has_urgency AND wu.times_used >= v_max_urgent_per_week - 1 THEN -0.5
        WHEN wu.times_used >= CAST(v_max_per_category * 0.8 AS INT64) THEN -0.3
        WHEN wu.times_used >= CAST(v_max_per_category * 0.6 AS INT64) THEN -0.15
        ELSE 0.0
      END AS penalty
    FROM weekly_usage AS wu
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
      COALESCE(st.avg_emv, ac.avg_revenue) AS historical_emv,
      COALESCE(st.confidence_lower_bound, 0.0) AS confidence_lower,
      COALESCE(st.confidence_upper_bound, 1.0) AS confidence_upper
    FROM `${project}.${dataset}.available_captions` AS ac
    LEFT JOIN `${project}.${dataset}.active_creator_caption_restrictions_v` AS r
      ON r.page_name = v_page_name
    LEFT JOIN `${project}.${dataset}.caption_bandit_stats` AS st
      ON st.caption_id = ac.caption_id
     AND st.page_name = v_page_name
    WHERE ac.overall_performance_score > 0
      AND NOT COALESCE(ac.content_category IN UNNEST(r.restricted_categories), FALSE)
      AND NOT COALESCE(ac.price_tier IN UNNEST(r.restricted_price_tiers), FALSE)
      AND NOT EXISTS (
        SELECT 1 FROM UNNEST(r.hard_patterns) AS hp WHERE REGEXP_CONTAINS(ac.caption_text, hp)
      )
      AND ac.caption_id NOT IN (SELECT ra.caption_id FROM recent_assignments AS ra)
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
      `${project}.${dataset}.wilson_sample`(p.successes, p.failures) AS thompson_score,
      v_pattern_diversity_weight * (
        IF(p.content_category IN UNNEST(v_recent_categories), -0.2, 0.1)
        + IF(p.price_tier IN UNNEST(v_recent_price_tiers), -0.2, 0.1)
        + IF(p.has_urgency AND p.has_urgency IN UNNEST(v_recent_urgency_flags), -0.1, 0.05)
      ) AS diversity_bonus,
      COALESCE(bp.penalty, 0.0) AS budget_penalty,
      CASE
        WHEN v_segment = 'High-Value/Price-Insensitive' AND p.price_tier = 'premium' THEN 1.25
        WHEN v_segment = 'Budget-Conscious' AND p.price_tier IN ('budget', 'mid') THEN 1.15
        ELSE 1.0
      END AS segment_multiplier
    FROM pool AS p
    LEFT JOIN budget_penalties AS bp
      ON bp.content_category = p.content_category
     AND bp.has_urgency = p.has_urgency
  ),
  ranked AS (
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
      IF(
        s.budget_penalty <= -1.0,
        NULL,
        (0.70 * s.thompson_score + 0.15 * s.diversity_bonus
          + 0.15 * SAFE_DIVIDE(s.historical_emv, 100) + 0.10 * s.budget_penalty) * s.segment_multiplier
      ) AS final_score,
      ROW_NUMBER() OVER (
        PARTITION BY s.price_tier
        ORDER BY (0.70 * s.thompson_score + 0.15 * s.diversity_bonus
          + 0.15 * SAFE_DIVIDE(s.historical_emv, 100) + 0.10 * s.budget_penalty) * s.segment_multiplier DESC
      ) AS tier_rank
    FROM scored AS s
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
  WHERE rk.final_score IS NOT NULL
    AND (
      (rk.price_tier = 'budget' AND rk.tier_rank <= v_budget_needed)
      OR (rk.price_tier = 'mid' AND rk.tier_rank <= v_mid_needed)
      OR (rk.price_tier = 'premium' AND rk.tier_rank <= v_premium_needed)
      OR (rk.price_tier = 'bump' AND rk.tier_rank <= v_bump_needed)
    );

  SELECT
    csr.caption_id,
    csr.caption_text,
    csr.price_tier,
    csr.content_category,
    csr.has_urgency,
    csr.final_score,
    csr.debug_info
  FROM caption_selection_results AS csr
  ORDER BY csr.final_score DESC;

  -- eros-migrate: allow destructive: drops this procedure's temp table
  DROP TABLE caption_selection_results;
END;
