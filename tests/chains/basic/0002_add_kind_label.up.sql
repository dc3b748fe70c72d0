-- A function and a view over the events.
CREATE OR REPLACE FUNCTION `${project}.${dataset}.kind_label`(p_kind STRING)
RETURNS STRING
AS (CONCAT('kind:', LOWER(p_kind)));

CREATE OR REPLACE VIEW `${project}.${dataset}.labelled_events` AS
SELECT event_id, `${project}.${dataset}.kind_label`(kind) AS label, happened_at
FROM `${project}.${dataset}.events`;
