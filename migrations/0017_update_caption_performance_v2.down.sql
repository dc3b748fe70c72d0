-- 0017 update_caption_performance_v2: down. Restores the v1 update_caption_performance body of
-- 0008 exactly, then drops caption_performance_message_log (the record of which messages were
-- counted; the v1 procedure does not use it).

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

-- eros-migrate: allow destructive: reverting 0017 removes the table it created; v1 does not read it
DROP TABLE IF EXISTS `${project}.${dataset}.caption_performance_message_log`;
