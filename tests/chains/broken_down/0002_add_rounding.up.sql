-- A function and a view over the readings. The down below forgets the function on purpose:
-- the rehearsal must notice what a down leaves behind.
-- eros-migrate: ignore down-mismatch: this test chain's down is incomplete on purpose
CREATE OR REPLACE FUNCTION `${project}.${dataset}.rounded`(p_value FLOAT64)
RETURNS FLOAT64
AS (ROUND(p_value, 1));

CREATE OR REPLACE VIEW `${project}.${dataset}.rounded_readings` AS
SELECT reading_id, `${project}.${dataset}.rounded`(value) AS value
FROM `${project}.${dataset}.readings`;
