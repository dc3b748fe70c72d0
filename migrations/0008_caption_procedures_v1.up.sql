-- 0008 caption_procedures_v1 (v1 baseline; the original SP and SCP files)
-- Creates the three v1 procedures:
--   update_caption_performance()  v1 behaviour kept: RAISEs when no page had views in 30 days
--       (D-9), re-adds the whole 7-day window on every run (D-10), overwrites averages with the
--       window (D-11), exploration 1/SQRT(S+F+1) on update but 1/SQRT(S+F) on insert (D-12),
--       plain division there. v2 replaces it (0017).
--   lock_caption_assignments(schedule_id, page_name, caption_assignments)  locks captions for a
--       schedule; skips captions with an active assignment (any creator) within +-7 days and
--       RAISEs "Inserted X of Y" afterwards. Kept unchanged by v2. Its parameter names are the
--       public signature and equal column names, so they are copied into v_ variables first.
--   select_captions_for_creator(normalized_page_name, behavioral_segment, num_budget_needed,
--       num_mid_needed, num_premium_needed, num_bump_needed)  v1 selection logic. v2 replaces
--       it (0020).
-- v1 logic quirks are kept on purpose (D-22 NULL scores drop captions, D-23 excluded captions
-- take quota slots, double diversity weight, per (category, urgency) budget, duplicated pool rows
-- for several restriction versions, segment labels that never match, only this creator's locks
-- excluded, unused exploration rate, result copied through a temp table). The two defects that
-- BigQuery rejects at CALL time are repaired minimally so the v1 state can run: D-19 (nested
-- aggregate inside ARRAY_AGG DISTINCT) -> ARRAY(SELECT ... GROUP BY ... ORDER BY MAX(...)), and
-- D-20 (SELECT with WHERE but no FROM on cold start) -> the same subqueries yield empty arrays.

CREATE OR REPLACE PROCEDURE `${project}.${dataset}.update_caption_performance`()
BEGIN
  DECLARE page_count INT64 DEFAULT 0;
  DECLARE updated_rows INT64 DEFAULT 0;

  -- Median EMV per page over the last 30 days of messages that were viewed.
  CREATE TEMP TABLE page_medians AS
  SELECT
    mm.page_name,
    APPROX_QUANTILES(SAFE_DIVIDE(mm.purchased_count, mm.viewed_count) * mm.earnings, 100)[OFFSET(50)] AS median_emv
  FROM `${project}.${dataset}.mass_messages` AS mm
  WHERE mm.sending_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)
    AND mm.viewed_count > 0
    AND mm.page_name IS NOT NULL
  GROUP BY mm.page_name;

  SET page_count = (SELECT COUNT(*) FROM page_medians);
  IF page_count = 0 THEN
    RAISE USING MESSAGE = 'WARNING: No pages found with viewing activity in last 30 days';
  END IF;

  -- Last 7 days per (page, caption), judged against the page median.
  CREATE TEMP TABLE msg_rollup AS
  SELECT
    mm.page_name,
    mm.caption_id,
    COUNT(*) AS observations,
    SAFE_DIVIDE(SUM(mm.purchased_count), SUM(mm.sent_count)) AS conversion_rate,
    AVG(SAFE_DIVIDE(mm.purchased_count, mm.viewed_count) * mm.earnings) AS avg_emv,
    SUM(mm.earnings) AS total_revenue,
    COUNTIF(SAFE_DIVIDE(mm.purchased_count, mm.viewed_count) * mm.earnings > pm.median_emv) AS new_successes,
    COUNTIF(SAFE_DIVIDE(mm.purchased_count, mm.viewed_count) * mm.earnings <= pm.median_emv) AS new_failures
  FROM `${project}.${dataset}.mass_messages` AS mm
  JOIN page_medians AS pm
    ON pm.page_name = mm.page_name
  WHERE mm.sending_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)
    AND mm.viewed_count > 0
    AND mm.caption_id IS NOT NULL
  GROUP BY mm.page_name, mm.caption_id;

  -- Pairs already tracked: accumulate onto the stored counts.
  CREATE TEMP TABLE matched_bounds AS
  SELECT
    r.page_name,
    r.caption_id,
    s.successes + r.new_successes AS new_s,
    s.failures + r.new_failures AS new_f,
    `${project}.${dataset}.wilson_score_bounds`(s.successes + r.new_successes, s.failures + r.new_failures) AS bounds
  FROM msg_rollup AS r
  JOIN `${project}.${dataset}.caption_bandit_stats` AS s
    ON s.caption_id = r.caption_id
   AND s.page_name = r.page_name;

  -- New pairs start from the uniform prior 1/1.
  CREATE TEMP TABLE new_rows_bounds AS
  SELECT
    r.page_name,
    r.caption_id,
    1 + r.new_successes AS new_s,
    1 + r.new_failures AS new_f,
    `${project}.${dataset}.wilson_score_bounds`(1 + r.new_successes, 1 + r.new_failures) AS bounds
  FROM msg_rollup AS r
  LEFT JOIN `${project}.${dataset}.caption_bandit_stats` AS s
    ON s.caption_id = r.caption_id
   AND s.page_name = r.page_name
  WHERE s.caption_id IS NULL;

  UPDATE `${project}.${dataset}.caption_bandit_stats` AS s
  SET
    successes = s.successes + r.new_successes,
    failures = s.failures + r.new_failures,
    total_observations = s.total_observations + r.observations,
    avg_conversion_rate = r.conversion_rate,
    avg_emv = r.avg_emv,
    total_revenue = s.total_revenue + r.total_revenue,
    last_emv_observed = r.avg_emv,
    last_used = CURRENT_TIMESTAMP(),
    confidence_lower_bound = mb.bounds.lower_bound,
    confidence_upper_bound = mb.bounds.upper_bound,
    exploration_score = 1 / SQRT(mb.new_s + mb.new_f + 1), -- eros-migrate: ignore unsafe-division: v1 body as deployed (D-12 fixed in 0017)
    last_updated = CURRENT_TIMESTAMP()
  FROM msg_rollup AS r
  JOIN matched_bounds AS mb
    ON mb.caption_id = r.caption_id
   AND mb.page_name = r.page_name
  WHERE s.caption_id = r.caption_id
    AND s.page_name = r.page_name;

  INSERT INTO `${project}.${dataset}.caption_bandit_stats` (
    caption_id, page_name, successes, failures, total_observations, avg_conversion_rate,
    avg_emv, total_revenue, confidence_lower_bound, confidence_upper_bound, exploration_score,
    last_updated
  )
  SELECT
    r.caption_id,
    r.page_name,
    nb.new_s,
    nb.new_f,
    r.observations,
    r.conversion_rate,
    r.avg_emv,
    r.total_revenue,
    nb.bounds.lower_bound,
    nb.bounds.upper_bound,
    1 / SQRT(nb.new_s + nb.new_f), -- eros-migrate: ignore unsafe-division: v1 body as deployed (D-12 fixed in 0017)
    CURRENT_TIMESTAMP()
  FROM msg_rollup AS r
  JOIN new_rows_bounds AS nb
    ON nb.caption_id = r.caption_id
   AND nb.page_name = r.page_name;

  BEGIN
    CREATE TEMP TABLE ranked_stats AS
    SELECT
      s.caption_id,
      s.page_name,
      s.successes,
      s.failures,
      s.total_observations,
      s.total_revenue,
      s.avg_conversion_rate,
      s.avg_emv,
      s.last_emv_observed,
      s.confidence_lower_bound,
      s.confidence_upper_bound,
      s.exploration_score,
      s.last_used,
      s.last_updated,
      CAST(PERCENT_RANK() OVER (PARTITION BY s.page_name ORDER BY s.avg_emv) * 100 AS INT64) AS performance_percentile
    FROM `${project}.${dataset}.caption_bandit_stats` AS s;

    UPDATE `${project}.${dataset}.caption_bandit_stats` AS s
    SET performance_percentile = rs.performance_percentile
    FROM ranked_stats AS rs
    WHERE s.caption_id = rs.caption_id
      AND s.page_name = rs.page_name;

    SET updated_rows = @@row_count;
    -- eros-migrate: allow destructive: drops this procedure's temp table
    DROP TABLE ranked_stats;
  END;

  -- eros-migrate: allow destructive: drops this procedure's temp table
  DROP TABLE new_rows_bounds;
  -- eros-migrate: allow destructive: drops this procedure's temp table
  DROP TABLE matched_bounds;
  -- eros-migrate: allow destructive: drops this procedure's temp table
  DROP TABLE msg_rollup;
  -- eros-migrate: allow destructive: drops this procedure's temp table
  DROP TABLE page_medians;
END;

CREATE OR REPLACE PROCEDURE `${project}.${dataset}.lock_caption_assignments`(
  schedule_id STRING,
  page_name STRING,
  caption_assignments ARRAY<STRUCT<caption_id INT64, scheduled_send_date DATE, scheduled_send_hour INT64>>
)
BEGIN
  -- The public parameter names equal column names of active_caption_assignments; they are
  -- copied into v_ variables here and never referenced again, so no column can shadow them.
  DECLARE v_schedule_id STRING DEFAULT schedule_id;
  DECLARE v_page_name STRING DEFAULT page_name;
  DECLARE v_assignments ARRAY<STRUCT<caption_id INT64, scheduled_send_date DATE, scheduled_send_hour INT64>> DEFAULT caption_assignments;
  DECLARE v_expected INT64 DEFAULT 0;
  DECLARE v_inserted INT64 DEFAULT 0;

  CREATE TEMP TABLE new_rows AS
  SELECT
    v_page_name AS page_name,
    a.caption_id,
    cb.caption_text,
    cb.price_tier,
    CURRENT_DATE('America/Los_Angeles') AS assigned_date,
    a.scheduled_send_date,
    a.scheduled_send_hour,
    TRUE AS is_active,
    CURRENT_TIMESTAMP() AS assigned_at,
    v_schedule_id AS schedule_id,
    TO_HEX(SHA256(CONCAT(
      v_page_name, '|', CAST(a.caption_id AS STRING), '|',
      CAST(a.scheduled_send_date AS STRING), '|', CAST(a.scheduled_send_hour AS STRING)
    ))) AS assignment_key
  FROM UNNEST(v_assignments) AS a
  JOIN `${project}.${dataset}.caption_bank` AS cb
    ON cb.caption_id = a.caption_id;

  -- Insert only rows whose caption has no active assignment (any creator) within +-7 days.
  MERGE `${project}.${dataset}.active_caption_assignments` AS t
  USING (
    SELECT
      n.page_name, n.caption_id, n.caption_text, n.assigned_date, n.scheduled_send_date,
      n.scheduled_send_hour, n.price_tier, n.is_active, n.assigned_at, n.assignment_key,
      n.schedule_id
    FROM new_rows AS n
    WHERE NOT EXISTS (
      SELECT 1
      FROM `${project}.${dataset}.active_caption_assignments` AS x
      WHERE x.caption_id = n.caption_id
        AND x.is_active = TRUE
        AND ABS(DATE_DIFF(x.scheduled_send_date, n.scheduled_send_date, DAY)) <= 7
    )
  ) AS s
  ON t.assignment_key = s.assignment_key
  WHEN NOT MATCHED THEN
    INSERT (
      page_name, caption_id, caption_text, assigned_date, scheduled_send_date,
      scheduled_send_hour, price_tier, is_active, assigned_at, assignment_key, schedule_id
    )
    VALUES (
      s.page_name, s.caption_id, s.caption_text, s.assigned_date, s.scheduled_send_date,
      s.scheduled_send_hour, s.price_tier, s.is_active, s.assigned_at, s.assignment_key,
      s.schedule_id
    );

  SET v_expected = (SELECT COUNT(*) FROM new_rows);
  SET v_inserted = (
    SELECT COUNT(*)
    FROM `${project}.${dataset}.active_caption_assignments` AS t
    WHERE t.assignment_key IN (SELECT n.assignment_key FROM new_rows AS n)
  );

  -- eros-migrate: allow destructive: drops this procedure's temp table
  DROP TABLE new_rows;

  IF v_inserted < v_expected THEN
    RAISE USING MESSAGE = FORMAT(
      'Some assignments blocked by 7-day conflicts. Inserted %d of %d.', v_inserted, v_expected
    );
  END IF;
END;

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
