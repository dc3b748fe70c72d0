-- 0019 run_daily_automation (v1 -> v2)
-- Creates run_daily_automation(execution_date DATE), scheduled daily at 03:05
-- America/Los_Angeles with CURRENT_DATE('America/Los_Angeles') (NULL means today in Los Angeles).
-- For the execution date it:
--   1. logs a RUNNING row in etl_job_runs (job_id = daily_automation_YYYYMMDD_<uuid>);
--   2. finds the active creators: pages with messages in the 30 LA days up to and including
--      execution_date; none -> job COMPLETED_NO_WORK, return;
--   3. per creator, in page_name order: CALL analyze_creator_performance; compute caption
--      saturation; below 80 % queue the creator in schedule_generation_queue (PENDING);
--      a failing creator is logged to creator_processing_errors and the loop carries on;
--      5 consecutive failures trip the circuit breaker and stop the loop;
--   4. CALL sweep_expired_caption_locks (a failure is logged as SYSTEM_CLEANUP, not fatal);
--   5. closes its job row: SUCCESS, COMPLETED_WITH_ERRORS or FAILED (breaker), counts, error,
--      duration; with failures it writes a WARNING (CRITICAL for the breaker) alert.
--   An unexpected error marks the job row FAILED, writes a CRITICAL alert and is re-raised.
-- Changes from the original and why:
--   D-1, D-2  every DECLARE is at the start of the body.
--   D-7, D-8  variables are v_-prefixed, so no etl_job_runs column (job_id, error_message,
--         job_start_time, execution_date) can shadow them: the UPDATEs touch only this job's row
--         and store the breaker message, status and duration from the variables. The public
--         parameter execution_date (its name is part of the contract and equals a column name)
--         is copied into v_execution_date in the first DECLARE and not used again.
--   D-13  etl_job_runs keeps its live columns and gains the v2 ones (0013); the job row fills
--         both: run_id = job_id, started_at = job_start_time, status = job_status,
--         completed_at = job_end_time, execution_duration_seconds = job_duration_seconds.
--   D-14  saturation = distinct captions of this creator's active assignments with
--         scheduled_send_date >= execution_date that are in the creator's pool, divided
--         (SAFE_DIVIDE) by the creator's pool: the captions of available_captions left after
--         the creator's active restrictions (restricted categories, price tiers, hard
--         patterns). caption_bank has no page_name; dividing by the whole bank kept saturation
--         near 0 %. An empty pool counts as 100 % (nothing left to schedule), so no queue row.
--   D-15  the breaker counts consecutive failures (reset by each success); active creators are
--         relative to execution_date, not now; the loop order is deterministic; a re-run for
--         the same date does not queue a creator twice (insert-if-absent, unless its earlier
--         entry FAILED); the creator list is an array variable, no temp table named like the
--         permanent active_creators; analyze_creator_performance's report lands in
--         v_performance_report and is not needed further.
--   Tables are created by migrations (0013), not inside the procedure.

CREATE OR REPLACE PROCEDURE `${project}.${dataset}.run_daily_automation`(execution_date DATE)
BEGIN
  DECLARE v_execution_date DATE DEFAULT COALESCE(execution_date, CURRENT_DATE('America/Los_Angeles'));
  DECLARE v_job_start_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP();
  DECLARE v_job_id STRING;
  DECLARE v_window_start TIMESTAMP;
  DECLARE v_window_end TIMESTAMP;
  DECLARE v_creators ARRAY<STRING>;
  DECLARE v_total_creators INT64 DEFAULT 0;
  DECLARE v_processed_creators INT64 DEFAULT 0;
  DECLARE v_failed_creators INT64 DEFAULT 0;
  DECLARE v_consecutive_failures INT64 DEFAULT 0;
  DECLARE v_breaker_threshold INT64 DEFAULT 5;
  DECLARE v_saturation_threshold FLOAT64 DEFAULT 80.0;
  DECLARE v_active_window_days INT64 DEFAULT 30;
  DECLARE v_error_message STRING;
  DECLARE v_job_status STRING;
  DECLARE v_page STRING;
  DECLARE v_performance_report STRING;
  DECLARE v_saturation_pct FLOAT64;

  SET v_job_id = CONCAT(
    'daily_automation_', FORMAT_DATE('%Y%m%d', v_execution_date), '_', GENERATE_UUID()
  );
  SET v_window_start = TIMESTAMP(
    DATE_SUB(v_execution_date, INTERVAL v_active_window_days - 1 DAY), 'America/Los_Angeles'
  );
  SET v_window_end = TIMESTAMP(DATE_ADD(v_execution_date, INTERVAL 1 DAY), 'America/Los_Angeles');

  INSERT INTO `${project}.${dataset}.etl_job_runs` (
    run_id, job_name, started_at, status, job_id, job_start_time, job_status, execution_date
  )
  VALUES (
    v_job_id, 'daily_automation', v_job_start_time, 'RUNNING', v_job_id, v_job_start_time,
    'RUNNING', v_execution_date
  );

  BEGIN
    SET v_creators = ARRAY(
      SELECT DISTINCT mm.page_name
      FROM `${project}.${dataset}.mass_messages` AS mm
      WHERE mm.page_name IS NOT NULL
        AND mm.sending_time >= v_window_start
        AND mm.sending_time < v_window_end
      ORDER BY mm.page_name
    );
    SET v_total_creators = ARRAY_LENGTH(v_creators);

    IF v_total_creators = 0 THEN
      UPDATE `${project}.${dataset}.etl_job_runs` AS j
      SET
        job_end_time = CURRENT_TIMESTAMP(),
        completed_at = CURRENT_TIMESTAMP(),
        job_status = 'COMPLETED_NO_WORK',
        status = 'COMPLETED_NO_WORK',
        creators_processed = 0,
        creators_failed = 0,
        error_message = 'No active creators found in last 30 days',
        job_duration_seconds = SAFE_DIVIDE(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), v_job_start_time, MILLISECOND), 1000),
        execution_duration_seconds = SAFE_DIVIDE(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), v_job_start_time, MILLISECOND), 1000)
      WHERE j.job_id = v_job_id;
      RETURN;
    END IF;

    FOR v_creator IN (
      SELECT creator AS page_name
      FROM UNNEST(v_creators) AS creator WITH OFFSET AS pos
      ORDER BY pos
    )
    DO
      SET v_page = v_creator.page_name;

      BEGIN
        CALL `${project}.${dataset}.analyze_creator_performance`(v_page, v_performance_report);

        SET v_saturation_pct = (
          WITH
          restrictions AS (
            SELECT
              ARRAY_CONCAT_AGG(COALESCE(r.restricted_categories, [])) AS categories,
              ARRAY_CONCAT_AGG(COALESCE(r.restricted_price_tiers, [])) AS price_tiers,
              ARRAY_CONCAT_AGG(COALESCE(r.hard_patterns, [])) AS patterns
            FROM `${project}.${dataset}.active_creator_caption_restrictions_v` AS r
            WHERE r.page_name = v_page
          ),
          pool AS (
            SELECT DISTINCT ac.caption_id
            FROM `${project}.${dataset}.available_captions` AS ac
            CROSS JOIN restrictions AS rs
            WHERE NOT COALESCE(ac.content_category IN UNNEST(rs.categories), FALSE)
              AND NOT COALESCE(ac.price_tier IN UNNEST(rs.price_tiers), FALSE)
              AND NOT EXISTS (
                SELECT 1
                FROM UNNEST(rs.patterns) AS hp
                WHERE REGEXP_CONTAINS(ac.caption_text, CONCAT('(?i)', hp))
              )
          ),
          assigned AS (
            SELECT DISTINCT a.caption_id
            FROM `${project}.${dataset}.active_caption_assignments` AS a
            WHERE a.page_name = v_page
              AND a.is_active = TRUE
              AND a.scheduled_send_date >= v_execution_date
          )
          SELECT
            IF(
              COUNT(p.caption_id) = 0,
              100.0,
              100 * SAFE_DIVIDE(COUNT(asg.caption_id), COUNT(p.caption_id))
            )
          FROM pool AS p
          LEFT JOIN assigned AS asg
            ON asg.caption_id = p.caption_id
        );

        IF COALESCE(v_saturation_pct, 0) < v_saturation_threshold THEN
          INSERT INTO `${project}.${dataset}.schedule_generation_queue` (
            page_name, execution_date, saturation_pct, queued_at, status
          )
          SELECT v_page, v_execution_date, v_saturation_pct, CURRENT_TIMESTAMP(), 'PENDING'
          FROM UNNEST([1])
          WHERE NOT EXISTS (
            SELECT 1
            FROM `${project}.${dataset}.schedule_generation_queue` AS q
            WHERE q.page_name = v_page
              AND q.execution_date = v_execution_date
              AND q.status != 'FAILED'
          );
        END IF;

        SET v_processed_creators = v_processed_creators + 1;
        SET v_consecutive_failures = 0;
      EXCEPTION WHEN ERROR THEN
        SET v_failed_creators = v_failed_creators + 1;
        SET v_consecutive_failures = v_consecutive_failures + 1;
        INSERT INTO `${project}.${dataset}.creator_processing_errors` (
          job_id, page_name, execution_date, error_message, error_time
        )
        VALUES (v_job_id, v_page, v_execution_date, @@error.message, CURRENT_TIMESTAMP());
        IF v_consecutive_failures >= v_breaker_threshold THEN
          SET v_error_message = FORMAT(
            'Circuit breaker triggered: %d consecutive failures', v_consecutive_failures
          );
        END IF;
      END;

      IF v_error_message IS NOT NULL THEN
        BREAK;
      END IF;
    END FOR;

    BEGIN
      CALL `${project}.${dataset}.sweep_expired_caption_locks`();
    EXCEPTION WHEN ERROR THEN
      INSERT INTO `${project}.${dataset}.creator_processing_errors` (
        job_id, page_name, execution_date, error_message, error_time
      )
      VALUES (v_job_id, 'SYSTEM_CLEANUP', v_execution_date, @@error.message, CURRENT_TIMESTAMP());
    END;

    SET v_job_status = CASE
      WHEN v_error_message IS NOT NULL THEN 'FAILED'
      WHEN v_failed_creators > 0 THEN 'COMPLETED_WITH_ERRORS'
      ELSE 'SUCCESS'
    END;

    UPDATE `${project}.${dataset}.etl_job_runs` AS j
    SET
      job_end_time = CURRENT_TIMESTAMP(),
      completed_at = CURRENT_TIMESTAMP(),
      job_status = v_job_status,
      status = v_job_status,
      creators_processed = v_processed_creators,
      creators_failed = v_failed_creators,
      messages_processed = v_processed_creators,
      messages_failed = v_failed_creators,
      error_message = v_error_message,
      job_duration_seconds = SAFE_DIVIDE(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), v_job_start_time, MILLISECOND), 1000),
      execution_duration_seconds = SAFE_DIVIDE(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), v_job_start_time, MILLISECOND), 1000)
    WHERE j.job_id = v_job_id;

    IF v_error_message IS NOT NULL OR v_failed_creators > 0 THEN
      INSERT INTO `${project}.${dataset}.automation_alerts` (
        alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged
      )
      VALUES (
        GENERATE_UUID(), CURRENT_TIMESTAMP(),
        IF(v_error_message IS NOT NULL, 'CRITICAL', 'WARNING'),
        'daily_automation',
        FORMAT(
          'Job completed with issues: %d/%d creators failed. %s',
          v_failed_creators, v_total_creators,
          COALESCE(v_error_message, 'See error log for details')
        ),
        v_job_id, FALSE
      );
    END IF;
  EXCEPTION WHEN ERROR THEN
    UPDATE `${project}.${dataset}.etl_job_runs` AS j
    SET
      job_end_time = CURRENT_TIMESTAMP(),
      completed_at = CURRENT_TIMESTAMP(),
      job_status = 'FAILED',
      status = 'FAILED',
      creators_processed = v_processed_creators,
      creators_failed = v_failed_creators,
      error_message = @@error.message,
      job_duration_seconds = SAFE_DIVIDE(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), v_job_start_time, MILLISECOND), 1000),
      execution_duration_seconds = SAFE_DIVIDE(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), v_job_start_time, MILLISECOND), 1000)
    WHERE j.job_id = v_job_id;
    INSERT INTO `${project}.${dataset}.automation_alerts` (
      alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged
    )
    VALUES (
      GENERATE_UUID(), CURRENT_TIMESTAMP(), 'CRITICAL', 'daily_automation',
      CONCAT('Daily automation aborted: ', COALESCE(@@error.message, 'unknown error')),
      v_job_id, FALSE
    );
    RAISE USING MESSAGE = CONCAT('run_daily_automation failed: ', COALESCE(@@error.message, 'unknown error'));
  END;
END;
