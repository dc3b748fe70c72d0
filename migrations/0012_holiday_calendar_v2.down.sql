-- 0012 holiday_calendar_v2: down. Rebuilds the v1 holiday_calendar (holiday_date DATE NOT
-- NULL, name STRING; clustered by holiday_date) and puts back the rows 0012 carried over
-- (those with holiday_type NULL; '(unnamed)' becomes NULL again). The seeded holidays and any
-- typed rows added at v2 are dropped with the v2 table.
-- Crash safety, as in the up migration: the carried rows wait in a permanent staging table,
-- and each step checks what a killed earlier attempt already did, so running this down again
-- after an interruption at any statement loses nothing.

IF EXISTS (
  -- eros-migrate: ignore check-unsupported: check does not model INFORMATION_SCHEMA; this guard only makes a re-run safe
  SELECT 1 FROM `${project}.${dataset}`.INFORMATION_SCHEMA.COLUMNS
  WHERE table_name = 'holiday_calendar' AND column_name = 'holiday_name'
) THEN
  IF NOT EXISTS (
    -- eros-migrate: ignore check-unsupported: check does not model INFORMATION_SCHEMA; this guard only makes a re-run safe
    SELECT 1 FROM `${project}.${dataset}`.INFORMATION_SCHEMA.TABLES
    WHERE table_name = 'holiday_calendar_v2_carry'
  ) THEN
    CREATE TABLE IF NOT EXISTS `${project}.${dataset}.holiday_calendar_v2_carry`
    CLUSTER BY holiday_date
    AS
    SELECT hc.holiday_date, NULLIF(hc.holiday_name, '(unnamed)') AS name
    FROM `${project}.${dataset}.holiday_calendar` AS hc
    WHERE hc.holiday_type IS NULL;
  END IF;

  -- eros-migrate: allow destructive: the v2 table cannot be altered back into the v1 shape; carried-over v1 rows are staged above, seeded rows go by design
  DROP TABLE IF EXISTS `${project}.${dataset}.holiday_calendar`;
END IF;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.holiday_calendar` (
  holiday_date DATE NOT NULL,
  name STRING
)
CLUSTER BY holiday_date;

IF EXISTS (
  -- eros-migrate: ignore check-unsupported: check does not model INFORMATION_SCHEMA; this guard only makes a re-run safe
  SELECT 1 FROM `${project}.${dataset}`.INFORMATION_SCHEMA.TABLES
  WHERE table_name = 'holiday_calendar_v2_carry'
) THEN
  INSERT INTO `${project}.${dataset}.holiday_calendar` (holiday_date, name)
  SELECT c.holiday_date, c.name
  FROM `${project}.${dataset}.holiday_calendar_v2_carry` AS c
  WHERE NOT EXISTS (
    SELECT 1
    FROM `${project}.${dataset}.holiday_calendar` AS hc
    WHERE hc.holiday_date = c.holiday_date
  );

  -- eros-migrate: allow destructive: the staged rows are in holiday_calendar now
  DROP TABLE IF EXISTS `${project}.${dataset}.holiday_calendar_v2_carry`;
END IF;
