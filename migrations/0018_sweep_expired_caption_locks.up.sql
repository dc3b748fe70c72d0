-- 0018 sweep_expired_caption_locks (v1 -> v2)
-- Creates sweep_expired_caption_locks() (scheduled hourly; also called by run_daily_automation).
-- It deactivates caption locks in active_caption_assignments whose time has passed, in
-- America/Los_Angeles days:
--   STALE_7DAY         scheduled_send_date more than 7 days before today
--   PAST_SEND_DATE     scheduled_send_date before today (and not stale)
--   NO_SEND_DATE_7DAY  no scheduled_send_date and assigned more than 7 days ago
-- setting is_active = FALSE, deactivated_at = sweep time, deactivation_reason. It logs one row
-- to lock_sweep_log (stale count includes NO_SEND_DATE_7DAY) and alerts in automation_alerts
-- (source lock_cleanup): WARNING when more than 1000 locks were cleaned; CRITICAL when more than
-- 10000 locks remain active, else WARNING when more than 5000 remain.
-- Changes from the original and why:
--   D-3   every DECLARE is at the start of the body.
--   D-16  the deactivation columns exist (added by 0015).
--   D-17  the reasons are disjoint and each reachable; locks without a send date expire after
--         7 days instead of never; the UPDATE selects rows by their own columns, not by
--         assignment_key, so rows with a NULL key are really deactivated and duplicate keys
--         cannot break it; the counts are read back from the rows this sweep stamped, so the
--         log matches what was changed.
--   Tables are created by migrations (0013), not inside the procedure; no temp table; v_
--   variables; sweep_id carries the LA time; duration in fractional seconds.

CREATE OR REPLACE PROCEDURE `${project}.${dataset}.sweep_expired_caption_locks`()
BEGIN
  DECLARE v_sweep_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP();
  DECLARE v_today DATE DEFAULT CURRENT_DATE('America/Los_Angeles');
  DECLARE v_sweep_id STRING;
  DECLARE v_stale_count INT64 DEFAULT 0;
  DECLARE v_past_count INT64 DEFAULT 0;
  DECLARE v_total_cleaned INT64 DEFAULT 0;
  DECLARE v_active_count INT64 DEFAULT 0;

  SET v_sweep_id = CONCAT(
    'sweep_', FORMAT_TIMESTAMP('%Y%m%d_%H%M%S', v_sweep_time, 'America/Los_Angeles'), '_',
    GENERATE_UUID()
  );

  UPDATE `${project}.${dataset}.active_caption_assignments` AS a
  SET
    is_active = FALSE,
    deactivated_at = v_sweep_time,
    deactivation_reason = CASE
      WHEN a.scheduled_send_date IS NULL THEN 'NO_SEND_DATE_7DAY'
      WHEN a.scheduled_send_date < DATE_SUB(v_today, INTERVAL 7 DAY) THEN 'STALE_7DAY'
      ELSE 'PAST_SEND_DATE'
    END
  WHERE a.is_active = TRUE
    AND (
      a.scheduled_send_date < v_today
      OR (a.scheduled_send_date IS NULL AND a.assigned_date < DATE_SUB(v_today, INTERVAL 7 DAY))
    );

  SET v_stale_count = (
    SELECT COUNT(*)
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    WHERE a.deactivated_at = v_sweep_time
      AND a.deactivation_reason IN ('STALE_7DAY', 'NO_SEND_DATE_7DAY')
  );
  SET v_past_count = (
    SELECT COUNT(*)
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    WHERE a.deactivated_at = v_sweep_time
      AND a.deactivation_reason = 'PAST_SEND_DATE'
  );
  SET v_total_cleaned = v_stale_count + v_past_count;

  INSERT INTO `${project}.${dataset}.lock_sweep_log` (
    sweep_id, sweep_time, locks_expired_stale, locks_expired_past_date, total_locks_cleaned,
    sweep_duration_seconds
  )
  VALUES (
    v_sweep_id, v_sweep_time, v_stale_count, v_past_count, v_total_cleaned,
    SAFE_DIVIDE(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), v_sweep_time, MILLISECOND), 1000)
  );

  IF v_total_cleaned > 1000 THEN
    INSERT INTO `${project}.${dataset}.automation_alerts` (
      alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged
    )
    VALUES (
      GENERATE_UUID(), CURRENT_TIMESTAMP(), 'WARNING', 'lock_cleanup',
      FORMAT(
        'Unusually high lock cleanup volume: %d locks expired (%d stale, %d past send date)',
        v_total_cleaned, v_stale_count, v_past_count
      ),
      v_sweep_id, FALSE
    );
  END IF;

  SET v_active_count = (
    SELECT COUNT(*)
    FROM `${project}.${dataset}.active_caption_assignments` AS a
    WHERE a.is_active = TRUE
  );

  IF v_active_count > 10000 THEN
    INSERT INTO `${project}.${dataset}.automation_alerts` (
      alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged
    )
    VALUES (
      GENERATE_UUID(), CURRENT_TIMESTAMP(), 'CRITICAL', 'lock_cleanup',
      FORMAT(
        'Active lock table bloat detected: %d active locks. Consider reviewing scheduling frequency.',
        v_active_count
      ),
      v_sweep_id, FALSE
    );
  ELSEIF v_active_count > 5000 THEN
    INSERT INTO `${project}.${dataset}.automation_alerts` (
      alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged
    )
    VALUES (
      GENERATE_UUID(), CURRENT_TIMESTAMP(), 'WARNING', 'lock_cleanup',
      FORMAT(
        'Active lock count growing: %d active locks. Monitor for potential issues.',
        v_active_count
      ),
      v_sweep_id, FALSE
    );
  END IF;
END;
