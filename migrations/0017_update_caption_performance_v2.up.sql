-- 0017 update_caption_performance_v2 (v1 -> v2)
-- Creates caption_performance_message_log and replaces update_caption_performance() (scheduled
-- every 6 hours) with the v2 procedure. What it does: median EMV per page over the last 30 days
-- (EMV of a message = purchased_count / viewed_count * earnings); each viewed message with a
-- caption_id is a success when its EMV beats its page's median and a failure otherwise; the
-- per (page, caption) counts feed caption_bandit_stats (Wilson bounds, exploration score,
-- averages, percentile within the page).
-- Changes from the original and why:
--   D-9   no page with views in 30 days: writes an INFO row to automation_alerts (source
--         caption_performance) and returns quietly instead of RAISEing.
--   D-10  incremental: every counted message is recorded in caption_performance_message_log
--         (key = SHA-256 of page_name|caption_id|sending_time|row_id); a run counts only
--         messages of the last 7 days that are not in the log, so each message adds to
--         successes/failures/total_observations/total_revenue exactly once. Messages are
--         counted once they are 24 hours old, so their view and purchase counts have settled;
--         the 7-day window still lets a run catch up after 6 days of missed runs. Exact
--         duplicate message rows count once. Stats and log are written in one transaction.
--   D-11  avg_conversion_rate and avg_emv are lifetime means, weighted by observations, not
--         the last window; last_emv_observed is the EMV of the newest counted message;
--         last_used is the newest send time of the caption on the page (not "now"), also on
--         inserted rows. Conversion stays purchases per send, EMV stays per view (documented).
--   D-12  one exploration formula everywhere: exploration_score = wilson_score_bounds(S, F)
--         .exploration_bonus = 1/SQRT(S+F+1), on update and on insert.
--   D-34  the source of each UPDATE has one row per (caption_id, page_name), and new values are
--         computed from each target row's own counts, so duplicate stats rows cannot make the
--         update fail.
--   Variables carry a v_ prefix; temp tables a tmp_ucp_ prefix; SAFE_DIVIDE wherever a divisor
--   can be zero.

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.caption_performance_message_log` (
  message_key STRING NOT NULL,
  page_name STRING NOT NULL,
  caption_id INT64 NOT NULL,
  sending_time TIMESTAMP,
  emv FLOAT64,
  page_median_emv FLOAT64,
  is_success BOOL,
  counted_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(counted_at)
CLUSTER BY page_name, caption_id, message_key
OPTIONS (
  description = 'Messages already counted into caption_bandit_stats by update_caption_performance (each counted once)',
  partition_expiration_days = 35,
  labels = [('system', 'eros'), ('component', 'caption_selection')]
);

CREATE OR REPLACE PROCEDURE `${project}.${dataset}.update_caption_performance`()
BEGIN
  DECLARE v_run_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP();
  DECLARE v_median_window_start TIMESTAMP DEFAULT TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 DAY);
  DECLARE v_window_start TIMESTAMP DEFAULT TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY);
  DECLARE v_settled_before TIMESTAMP DEFAULT TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR);
  DECLARE v_page_count INT64 DEFAULT 0;
  DECLARE v_new_message_count INT64 DEFAULT 0;

  -- 1. Median EMV per page over the last 30 days of viewed messages.
  CREATE OR REPLACE TEMP TABLE tmp_ucp_page_medians AS
  SELECT
    mm.page_name,
    APPROX_QUANTILES(SAFE_DIVIDE(mm.purchased_count, mm.viewed_count) * mm.earnings, 100)[OFFSET(50)] AS median_emv
  FROM `${project}.${dataset}.mass_messages` AS mm
  WHERE mm.sending_time >= v_median_window_start
    AND mm.viewed_count > 0
    AND mm.page_name IS NOT NULL
  GROUP BY mm.page_name;

  SET v_page_count = (SELECT COUNT(*) FROM tmp_ucp_page_medians);

  -- 2. No data: say so in automation_alerts and stop quietly (D-9).
  IF v_page_count = 0 THEN
    INSERT INTO `${project}.${dataset}.automation_alerts` (
      alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged
    )
    VALUES (
      GENERATE_UUID(), v_run_time, 'INFO', 'caption_performance',
      'No pages with viewing activity in the last 30 days; caption_bandit_stats left unchanged',
      NULL, FALSE
    );
    -- eros-migrate: allow destructive: drops this procedure's temp table
    DROP TABLE IF EXISTS tmp_ucp_page_medians;
    RETURN;
  END IF;

  -- 3. Settled messages of the last 7 days that have not been counted yet (D-10).
  CREATE OR REPLACE TEMP TABLE tmp_ucp_new_messages AS
  SELECT
    m.message_key,
    m.page_name,
    m.caption_id,
    m.sending_time,
    m.sent_count,
    m.purchased_count,
    m.earnings,
    m.emv,
    m.conversion,
    pm.median_emv,
    m.emv > pm.median_emv AS is_success,
    ROW_NUMBER() OVER (
      PARTITION BY m.page_name, m.caption_id
      ORDER BY IF(m.emv IS NULL, 1, 0), m.sending_time DESC
    ) AS recency_rank
  FROM (
    SELECT
      k.message_key, k.page_name, k.caption_id, k.sending_time, k.sent_count,
      k.purchased_count, k.earnings, k.emv, k.conversion
    FROM (
      SELECT
        TO_HEX(SHA256(CONCAT(
          mm.page_name, '|', CAST(mm.caption_id AS STRING), '|',
          FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', mm.sending_time, 'UTC'), '|', -- eros-migrate: ignore time-zone: the message key is an identity, not a business time; UTC keeps it stable
          COALESCE(CAST(mm.row_id AS STRING), '')
        ))) AS message_key,
        mm.page_name,
        mm.caption_id,
        mm.sending_time,
        mm.sent_count,
        mm.purchased_count,
        mm.earnings,
        SAFE_DIVIDE(mm.purchased_count, mm.viewed_count) * mm.earnings AS emv,
        SAFE_DIVIDE(mm.purchased_count, mm.sent_count) AS conversion
      FROM `${project}.${dataset}.mass_messages` AS mm
      WHERE mm.sending_time >= v_window_start
        AND mm.sending_time < v_settled_before
        AND mm.viewed_count > 0
        AND mm.caption_id IS NOT NULL
        AND mm.page_name IS NOT NULL
    ) AS k
    WHERE TRUE
    QUALIFY ROW_NUMBER() OVER (PARTITION BY k.message_key ORDER BY k.sending_time) = 1
  ) AS m
  JOIN tmp_ucp_page_medians AS pm
    ON pm.page_name = m.page_name
  WHERE NOT EXISTS (
    SELECT 1
    FROM `${project}.${dataset}.caption_performance_message_log` AS ml
    WHERE ml.message_key = m.message_key
  );

  SET v_new_message_count = (SELECT COUNT(*) FROM tmp_ucp_new_messages);

  IF v_new_message_count > 0 THEN
    -- 4. One row per (page, caption) of the new messages.
    CREATE OR REPLACE TEMP TABLE tmp_ucp_rollup AS
    SELECT
      nm.page_name,
      nm.caption_id,
      COUNT(*) AS observations,
      COUNTIF(nm.is_success) AS new_successes,
      COUNTIF(NOT nm.is_success) AS new_failures,
      COALESCE(SUM(nm.earnings), 0) AS revenue_sum,
      AVG(nm.conversion) AS batch_conversion,
      AVG(nm.emv) AS batch_emv,
      MAX(IF(nm.recency_rank = 1, nm.emv, NULL)) AS last_emv,
      MAX(nm.sending_time) AS last_sent_at
    FROM tmp_ucp_new_messages AS nm
    GROUP BY nm.page_name, nm.caption_id;

    BEGIN TRANSACTION;

    -- 5. Existing (caption, page) rows: add the new counts; lifetime means (D-11).
    UPDATE `${project}.${dataset}.caption_bandit_stats` AS s
    SET
      successes = COALESCE(s.successes, 1) + r.new_successes,
      failures = COALESCE(s.failures, 1) + r.new_failures,
      total_observations = COALESCE(s.total_observations, 0) + r.observations,
      total_revenue = COALESCE(s.total_revenue, 0) + r.revenue_sum,
      avg_conversion_rate = COALESCE(
        SAFE_DIVIDE(
          COALESCE(s.avg_conversion_rate, r.batch_conversion) * COALESCE(s.total_observations, 0)
            + r.batch_conversion * r.observations,
          COALESCE(s.total_observations, 0) + r.observations
        ),
        s.avg_conversion_rate
      ),
      avg_emv = COALESCE(
        SAFE_DIVIDE(
          COALESCE(s.avg_emv, r.batch_emv) * COALESCE(s.total_observations, 0)
            + r.batch_emv * r.observations,
          COALESCE(s.total_observations, 0) + r.observations
        ),
        s.avg_emv
      ),
      last_emv_observed = COALESCE(r.last_emv, s.last_emv_observed),
      last_used = IF(s.last_used IS NULL OR r.last_sent_at > s.last_used, r.last_sent_at, s.last_used),
      confidence_lower_bound = `${project}.${dataset}.wilson_score_bounds`(
        COALESCE(s.successes, 1) + r.new_successes, COALESCE(s.failures, 1) + r.new_failures
      ).lower_bound,
      confidence_upper_bound = `${project}.${dataset}.wilson_score_bounds`(
        COALESCE(s.successes, 1) + r.new_successes, COALESCE(s.failures, 1) + r.new_failures
      ).upper_bound,
      exploration_score = `${project}.${dataset}.wilson_score_bounds`(
        COALESCE(s.successes, 1) + r.new_successes, COALESCE(s.failures, 1) + r.new_failures
      ).exploration_bonus,
      last_updated = v_run_time
    FROM tmp_ucp_rollup AS r
    WHERE s.caption_id = r.caption_id
      AND s.page_name = r.page_name;

    -- 6. New (caption, page) rows start from the uniform prior 1/1.
    INSERT INTO `${project}.${dataset}.caption_bandit_stats` (
      caption_id, page_name, successes, failures, total_observations, total_revenue,
      avg_conversion_rate, avg_emv, last_emv_observed, confidence_lower_bound,
      confidence_upper_bound, exploration_score, last_used, last_updated
    )
    SELECT
      nr.caption_id,
      nr.page_name,
      nr.prior_successes,
      nr.prior_failures,
      nr.observations,
      nr.revenue_sum,
      nr.batch_conversion,
      nr.batch_emv,
      nr.last_emv,
      nr.bounds.lower_bound,
      nr.bounds.upper_bound,
      nr.bounds.exploration_bonus,
      nr.last_sent_at,
      v_run_time
    FROM (
      SELECT
        r.caption_id,
        r.page_name,
        1 + r.new_successes AS prior_successes,
        1 + r.new_failures AS prior_failures,
        r.observations,
        r.revenue_sum,
        r.batch_conversion,
        r.batch_emv,
        r.last_emv,
        r.last_sent_at,
        `${project}.${dataset}.wilson_score_bounds`(1 + r.new_successes, 1 + r.new_failures) AS bounds
      FROM tmp_ucp_rollup AS r
      WHERE NOT EXISTS (
        SELECT 1
        FROM `${project}.${dataset}.caption_bandit_stats` AS s
        WHERE s.caption_id = r.caption_id
          AND s.page_name = r.page_name
      )
    ) AS nr;

    -- 7. Remember what was counted (D-10).
    INSERT INTO `${project}.${dataset}.caption_performance_message_log` (
      message_key, page_name, caption_id, sending_time, emv, page_median_emv, is_success, counted_at
    )
    SELECT
      nm.message_key, nm.page_name, nm.caption_id, nm.sending_time, nm.emv, nm.median_emv,
      nm.is_success, v_run_time
    FROM tmp_ucp_new_messages AS nm;

    -- 8. Percentile of avg_emv within each page that changed (0-100).
    UPDATE `${project}.${dataset}.caption_bandit_stats` AS s
    SET performance_percentile = rk.performance_percentile
    FROM (
      SELECT
        g.caption_id,
        g.page_name,
        CAST(FLOOR(PERCENT_RANK() OVER (PARTITION BY g.page_name ORDER BY g.avg_emv) * 100) AS INT64) AS performance_percentile
      FROM (
        SELECT s2.caption_id, s2.page_name, MAX(s2.avg_emv) AS avg_emv
        FROM `${project}.${dataset}.caption_bandit_stats` AS s2
        WHERE s2.page_name IN (SELECT r.page_name FROM tmp_ucp_rollup AS r)
        GROUP BY s2.caption_id, s2.page_name
      ) AS g
    ) AS rk
    WHERE s.caption_id = rk.caption_id
      AND s.page_name = rk.page_name;

    COMMIT TRANSACTION;

    -- eros-migrate: allow destructive: drops this procedure's temp table
    DROP TABLE IF EXISTS tmp_ucp_rollup;
  END IF;

  -- eros-migrate: allow destructive: drops this procedure's temp table
  DROP TABLE IF EXISTS tmp_ucp_new_messages;
  -- eros-migrate: allow destructive: drops this procedure's temp table
  DROP TABLE IF EXISTS tmp_ucp_page_medians;
END;
