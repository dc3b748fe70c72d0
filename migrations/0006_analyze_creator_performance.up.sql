-- 0006 analyze_creator_performance (v1 baseline)
-- Creates the dependency procedure analyze_creator_performance(IN p_page_name STRING,
-- OUT performance_report STRING) with the signature of the deployed version (spec B.3.11).
-- Per spec A.6 it is deliberately small: it summarises the page's last 30 days of
-- mass_messages (counts, sends, views, purchases, earnings, rates; days in America/Los_Angeles)
-- into a JSON string returned through performance_report, and logs one row to etl_job_runs in
-- the live 18-column shape (run_id, job_name, started_at, status, messages_processed), as the
-- deployed variant did. The seven TVFs of the original are not part of this chain.

CREATE OR REPLACE PROCEDURE `${project}.${dataset}.analyze_creator_performance`(
  IN p_page_name STRING,
  OUT performance_report STRING
)
BEGIN
  DECLARE v_started_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP();
  DECLARE v_window_start TIMESTAMP DEFAULT TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 DAY);
  DECLARE v_data_freshness TIMESTAMP;
  DECLARE v_message_count INT64 DEFAULT 0;

  SET v_data_freshness = (
    SELECT MAX(ejr.started_at)
    FROM `${project}.${dataset}.etl_job_runs` AS ejr
  );

  SET v_message_count = (
    SELECT COUNT(*)
    FROM `${project}.${dataset}.mass_messages` AS mm
    WHERE mm.page_name = p_page_name
      AND mm.sending_time >= v_window_start
  );

  SET performance_report = (
    SELECT TO_JSON_STRING(STRUCT(
      p_page_name AS creator_name,
      FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%S', v_started_at, 'America/Los_Angeles') AS analysis_timestamp,
      FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%S', v_data_freshness, 'America/Los_Angeles') AS data_freshness,
      30 AS lookback_days,
      COUNT(*) AS message_count,
      COUNTIF(mm.message_type = 'PPV') AS ppv_count,
      COUNTIF(mm.message_type = 'Bump') AS bump_count,
      COUNT(DISTINCT DATE(mm.sending_time, 'America/Los_Angeles')) AS active_days,
      COALESCE(SUM(mm.sent_count), 0) AS total_sent,
      COALESCE(SUM(mm.viewed_count), 0) AS total_viewed,
      COALESCE(SUM(mm.purchased_count), 0) AS total_purchased,
      ROUND(COALESCE(SUM(mm.earnings), 0), 2) AS total_earnings,
      ROUND(AVG(mm.price), 2) AS avg_price,
      ROUND(SAFE_DIVIDE(SUM(mm.viewed_count), SUM(mm.sent_count)), 4) AS view_rate,
      ROUND(SAFE_DIVIDE(SUM(mm.purchased_count), SUM(mm.sent_count)), 4) AS conversion_rate,
      ROUND(SAFE_DIVIDE(SUM(mm.earnings), SUM(mm.sent_count)), 4) AS revenue_per_recipient,
      FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%S', MAX(mm.sending_time), 'America/Los_Angeles') AS last_send_la
    ))
    FROM `${project}.${dataset}.mass_messages` AS mm
    WHERE mm.page_name = p_page_name
      AND mm.sending_time >= v_window_start
  );

  INSERT INTO `${project}.${dataset}.etl_job_runs` (
    run_id, job_name, started_at, completed_at, status, messages_found, messages_processed,
    execution_duration_seconds
  )
  VALUES (
    GENERATE_UUID(), 'analyze_creator_performance', v_started_at, CURRENT_TIMESTAMP(), 'SUCCESS',
    v_message_count, 1,
    SAFE_DIVIDE(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), v_started_at, MILLISECOND), 1000)
  );
END;
