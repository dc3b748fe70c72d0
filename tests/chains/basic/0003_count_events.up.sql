-- A procedure with scripting, and a seed row.
CREATE OR REPLACE PROCEDURE `${project}.${dataset}.count_events`(IN p_kind STRING, OUT p_total INT64)
BEGIN
  DECLARE v_seen INT64 DEFAULT 0;
  SET v_seen = (SELECT COUNT(*) FROM `${project}.${dataset}.events` WHERE kind = p_kind);
  IF v_seen > 0 THEN
    SET p_total = v_seen;
  ELSE
    SET p_total = 0;
  END IF;
END;

INSERT INTO `${project}.${dataset}.events` (event_id, kind, happened_at)
VALUES ('seed-1', 'seed', TIMESTAMP '2025-01-01 00:00:00+00');
