-- 0012 holiday_calendar_v2: down. Rebuilds the v1 holiday_calendar (holiday_date DATE NOT
-- NULL, name STRING; clustered by holiday_date) and puts back the rows 0012 carried over
-- (those with holiday_type NULL; '(unnamed)' becomes NULL again). The seeded holidays and any
-- typed rows added at v2 are dropped with the v2 table.

CREATE OR REPLACE TEMP TABLE tmp_hc_carry AS
SELECT hc.holiday_date, NULLIF(hc.holiday_name, '(unnamed)') AS name
FROM `${project}.${dataset}.holiday_calendar` AS hc
WHERE hc.holiday_type IS NULL;

-- eros-migrate: allow destructive: the v2 table cannot be altered back into the v1 shape; carried-over v1 rows are copied above, seeded rows go by design
DROP TABLE IF EXISTS `${project}.${dataset}.holiday_calendar`;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.holiday_calendar` (
  holiday_date DATE NOT NULL,
  name STRING
)
CLUSTER BY holiday_date;

INSERT INTO `${project}.${dataset}.holiday_calendar` (holiday_date, name)
SELECT c.holiday_date, c.name
FROM tmp_hc_carry AS c;

-- eros-migrate: allow destructive: drops this script's temp table
DROP TABLE IF EXISTS tmp_hc_carry;
