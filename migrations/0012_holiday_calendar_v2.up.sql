-- 0012 holiday_calendar_v2 (v1 -> v2)
-- Recreates holiday_calendar in its v2 shape and seeds the twenty US holidays of 2025 (spec
-- B.2.2), and the same twenty holidays for 2024 and 2026-2030 (140 rows in all).
--   holiday_date DATE NOT NULL (primary key, NOT ENFORCED), holiday_name STRING NOT NULL,
--   holiday_type STRING (FEDERAL, CULTURAL, COMMERCIAL), is_major_holiday BOOL DEFAULT FALSE,
--   saturation_impact_factor FLOAT64 DEFAULT 1.0 (volume multiplier; 0.6 = send 40 % less).
--   Partitioned by DATE_TRUNC(holiday_date, YEAR); description and labels system=eros,
--   component=scheduling, update_freq=annual.
-- Why recreate: the v1 table has 2 columns (holiday_date, name); a REQUIRED holiday_name cannot
-- be added to an existing table and partitioning cannot be changed, so the table is rebuilt.
-- Rows of the v1 table are carried over (name -> holiday_name, '(unnamed)' when NULL,
-- holiday_type NULL, not major, factor 1.0) unless their date is one of the seeded holidays;
-- at v1 the table is normally empty.
-- Changed from the original: D-4, the integer-range partition on EXTRACT(YEAR ...) that
-- BigQuery rejects, becomes DATE_TRUNC(holiday_date, YEAR); D-5, the seed dates are DATE
-- literals, not strings; D-33, the primary key and the defaults the original only described in
-- comments are declared. The seed MERGE inserts missing dates only (never updates), so a re-run
-- is harmless. Names, types, major flags and factors of the other years are those of 2025; their
-- dates follow the same rules (fixed dates; MLK and Presidents Day 3rd Monday; Mother's Day 2nd
-- Sunday of May; Memorial Day last Monday of May; Father's Day 3rd Sunday of June; Labor Day 1st
-- Monday of September; Columbus Day 2nd Monday of October; Thanksgiving 4th Thursday of November,
-- Black Friday the day after; Easter by the Gregorian computus). Actual dates, not observed days.

-- Crash safety: the v1 rows wait in a permanent staging table, not a temp table, and every step
-- checks what a killed earlier attempt already did, so running this migration again after an
-- interruption at any statement loses nothing: the v1 table is dropped only while it still has
-- the v1 shape and its rows are staged; the staging table goes only after its rows are in.
IF EXISTS (
  -- eros-migrate: ignore check-unsupported: check does not model INFORMATION_SCHEMA; this guard only makes a re-run safe
  SELECT 1 FROM `${project}.${dataset}`.INFORMATION_SCHEMA.COLUMNS
  WHERE table_name = 'holiday_calendar' AND column_name = 'name'
) THEN
  IF NOT EXISTS (
    -- eros-migrate: ignore check-unsupported: check does not model INFORMATION_SCHEMA; this guard only makes a re-run safe
    SELECT 1 FROM `${project}.${dataset}`.INFORMATION_SCHEMA.TABLES
    WHERE table_name = 'holiday_calendar_v1_rows'
  ) THEN
    CREATE TABLE IF NOT EXISTS `${project}.${dataset}.holiday_calendar_v1_rows`
    CLUSTER BY holiday_date
    AS
    SELECT hc.holiday_date, hc.name
    FROM `${project}.${dataset}.holiday_calendar` AS hc;
  END IF;

  -- eros-migrate: allow destructive: v1 holiday_calendar cannot be altered into the v2 shape; its rows are staged above and re-inserted below
  DROP TABLE IF EXISTS `${project}.${dataset}.holiday_calendar`;
END IF;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.holiday_calendar` (
  holiday_date DATE NOT NULL,
  holiday_name STRING NOT NULL,
  holiday_type STRING OPTIONS (description = 'FEDERAL, CULTURAL or COMMERCIAL'),
  is_major_holiday BOOL DEFAULT FALSE,
  saturation_impact_factor FLOAT64 DEFAULT 1.0 OPTIONS (description = 'Volume multiplier: 0.6 = cut volume by 40 %'),
  PRIMARY KEY (holiday_date) NOT ENFORCED
)
PARTITION BY DATE_TRUNC(holiday_date, YEAR)
OPTIONS (
  description = 'US holiday calendar for scheduling and saturation analysis',
  labels = [('system', 'eros'), ('component', 'scheduling'), ('update_freq', 'annual')]
);

MERGE `${project}.${dataset}.holiday_calendar` AS t
USING (
  SELECT holiday_date, holiday_name, holiday_type, is_major_holiday, saturation_impact_factor
  FROM UNNEST(ARRAY<STRUCT<holiday_date DATE, holiday_name STRING, holiday_type STRING, is_major_holiday BOOL, saturation_impact_factor FLOAT64>>[
    (DATE '2024-01-01', 'New Year Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2024-01-15', 'Martin Luther King Jr Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2024-02-14', 'Valentine Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2024-02-19', 'Presidents Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2024-03-17', 'St Patrick Day', 'CULTURAL', FALSE, 1.0),
    (DATE '2024-03-31', 'Easter Sunday', 'CULTURAL', TRUE, 0.8),
    (DATE '2024-05-12', 'Mother Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2024-05-27', 'Memorial Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2024-06-16', 'Father Day', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2024-06-19', 'Juneteenth', 'FEDERAL', FALSE, 1.0),
    (DATE '2024-07-04', 'Independence Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2024-09-02', 'Labor Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2024-10-14', 'Columbus Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2024-10-31', 'Halloween', 'CULTURAL', FALSE, 0.9),
    (DATE '2024-11-11', 'Veterans Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2024-11-28', 'Thanksgiving', 'FEDERAL', TRUE, 0.7),
    (DATE '2024-11-29', 'Black Friday', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2024-12-24', 'Christmas Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2024-12-25', 'Christmas Day', 'FEDERAL', TRUE, 0.6),
    (DATE '2024-12-31', 'New Year Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2025-01-01', 'New Year Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2025-01-20', 'Martin Luther King Jr Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2025-02-14', 'Valentine Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2025-02-17', 'Presidents Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2025-03-17', 'St Patrick Day', 'CULTURAL', FALSE, 1.0),
    (DATE '2025-04-20', 'Easter Sunday', 'CULTURAL', TRUE, 0.8),
    (DATE '2025-05-11', 'Mother Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2025-05-26', 'Memorial Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2025-06-15', 'Father Day', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2025-06-19', 'Juneteenth', 'FEDERAL', FALSE, 1.0),
    (DATE '2025-07-04', 'Independence Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2025-09-01', 'Labor Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2025-10-13', 'Columbus Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2025-10-31', 'Halloween', 'CULTURAL', FALSE, 0.9),
    (DATE '2025-11-11', 'Veterans Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2025-11-27', 'Thanksgiving', 'FEDERAL', TRUE, 0.7),
    (DATE '2025-11-28', 'Black Friday', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2025-12-24', 'Christmas Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2025-12-25', 'Christmas Day', 'FEDERAL', TRUE, 0.6),
    (DATE '2025-12-31', 'New Year Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2026-01-01', 'New Year Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2026-01-19', 'Martin Luther King Jr Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2026-02-14', 'Valentine Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2026-02-16', 'Presidents Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2026-03-17', 'St Patrick Day', 'CULTURAL', FALSE, 1.0),
    (DATE '2026-04-05', 'Easter Sunday', 'CULTURAL', TRUE, 0.8),
    (DATE '2026-05-10', 'Mother Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2026-05-25', 'Memorial Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2026-06-21', 'Father Day', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2026-06-19', 'Juneteenth', 'FEDERAL', FALSE, 1.0),
    (DATE '2026-07-04', 'Independence Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2026-09-07', 'Labor Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2026-10-12', 'Columbus Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2026-10-31', 'Halloween', 'CULTURAL', FALSE, 0.9),
    (DATE '2026-11-11', 'Veterans Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2026-11-26', 'Thanksgiving', 'FEDERAL', TRUE, 0.7),
    (DATE '2026-11-27', 'Black Friday', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2026-12-24', 'Christmas Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2026-12-25', 'Christmas Day', 'FEDERAL', TRUE, 0.6),
    (DATE '2026-12-31', 'New Year Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2027-01-01', 'New Year Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2027-01-18', 'Martin Luther King Jr Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2027-02-14', 'Valentine Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2027-02-15', 'Presidents Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2027-03-17', 'St Patrick Day', 'CULTURAL', FALSE, 1.0),
    (DATE '2027-03-28', 'Easter Sunday', 'CULTURAL', TRUE, 0.8),
    (DATE '2027-05-09', 'Mother Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2027-05-31', 'Memorial Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2027-06-20', 'Father Day', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2027-06-19', 'Juneteenth', 'FEDERAL', FALSE, 1.0),
    (DATE '2027-07-04', 'Independence Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2027-09-06', 'Labor Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2027-10-11', 'Columbus Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2027-10-31', 'Halloween', 'CULTURAL', FALSE, 0.9),
    (DATE '2027-11-11', 'Veterans Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2027-11-25', 'Thanksgiving', 'FEDERAL', TRUE, 0.7),
    (DATE '2027-11-26', 'Black Friday', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2027-12-24', 'Christmas Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2027-12-25', 'Christmas Day', 'FEDERAL', TRUE, 0.6),
    (DATE '2027-12-31', 'New Year Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2028-01-01', 'New Year Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2028-01-17', 'Martin Luther King Jr Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2028-02-14', 'Valentine Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2028-02-21', 'Presidents Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2028-03-17', 'St Patrick Day', 'CULTURAL', FALSE, 1.0),
    (DATE '2028-04-16', 'Easter Sunday', 'CULTURAL', TRUE, 0.8),
    (DATE '2028-05-14', 'Mother Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2028-05-29', 'Memorial Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2028-06-18', 'Father Day', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2028-06-19', 'Juneteenth', 'FEDERAL', FALSE, 1.0),
    (DATE '2028-07-04', 'Independence Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2028-09-04', 'Labor Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2028-10-09', 'Columbus Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2028-10-31', 'Halloween', 'CULTURAL', FALSE, 0.9),
    (DATE '2028-11-11', 'Veterans Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2028-11-23', 'Thanksgiving', 'FEDERAL', TRUE, 0.7),
    (DATE '2028-11-24', 'Black Friday', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2028-12-24', 'Christmas Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2028-12-25', 'Christmas Day', 'FEDERAL', TRUE, 0.6),
    (DATE '2028-12-31', 'New Year Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2029-01-01', 'New Year Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2029-01-15', 'Martin Luther King Jr Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2029-02-14', 'Valentine Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2029-02-19', 'Presidents Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2029-03-17', 'St Patrick Day', 'CULTURAL', FALSE, 1.0),
    (DATE '2029-04-01', 'Easter Sunday', 'CULTURAL', TRUE, 0.8),
    (DATE '2029-05-13', 'Mother Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2029-05-28', 'Memorial Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2029-06-17', 'Father Day', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2029-06-19', 'Juneteenth', 'FEDERAL', FALSE, 1.0),
    (DATE '2029-07-04', 'Independence Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2029-09-03', 'Labor Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2029-10-08', 'Columbus Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2029-10-31', 'Halloween', 'CULTURAL', FALSE, 0.9),
    (DATE '2029-11-11', 'Veterans Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2029-11-22', 'Thanksgiving', 'FEDERAL', TRUE, 0.7),
    (DATE '2029-11-23', 'Black Friday', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2029-12-24', 'Christmas Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2029-12-25', 'Christmas Day', 'FEDERAL', TRUE, 0.6),
    (DATE '2029-12-31', 'New Year Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2030-01-01', 'New Year Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2030-01-21', 'Martin Luther King Jr Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2030-02-14', 'Valentine Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2030-02-18', 'Presidents Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2030-03-17', 'St Patrick Day', 'CULTURAL', FALSE, 1.0),
    (DATE '2030-04-21', 'Easter Sunday', 'CULTURAL', TRUE, 0.8),
    (DATE '2030-05-12', 'Mother Day', 'COMMERCIAL', TRUE, 0.8),
    (DATE '2030-05-27', 'Memorial Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2030-06-16', 'Father Day', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2030-06-19', 'Juneteenth', 'FEDERAL', FALSE, 1.0),
    (DATE '2030-07-04', 'Independence Day', 'FEDERAL', TRUE, 0.7),
    (DATE '2030-09-02', 'Labor Day', 'FEDERAL', TRUE, 0.8),
    (DATE '2030-10-14', 'Columbus Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2030-10-31', 'Halloween', 'CULTURAL', FALSE, 0.9),
    (DATE '2030-11-11', 'Veterans Day', 'FEDERAL', FALSE, 1.0),
    (DATE '2030-11-28', 'Thanksgiving', 'FEDERAL', TRUE, 0.7),
    (DATE '2030-11-29', 'Black Friday', 'COMMERCIAL', FALSE, 0.9),
    (DATE '2030-12-24', 'Christmas Eve', 'CULTURAL', TRUE, 0.7),
    (DATE '2030-12-25', 'Christmas Day', 'FEDERAL', TRUE, 0.6),
    (DATE '2030-12-31', 'New Year Eve', 'CULTURAL', TRUE, 0.7)
  ])
) AS s
ON t.holiday_date = s.holiday_date
WHEN NOT MATCHED THEN
  INSERT (holiday_date, holiday_name, holiday_type, is_major_holiday, saturation_impact_factor)
  VALUES (s.holiday_date, s.holiday_name, s.holiday_type, s.is_major_holiday, s.saturation_impact_factor);

IF EXISTS (
  -- eros-migrate: ignore check-unsupported: check does not model INFORMATION_SCHEMA; this guard only makes a re-run safe
  SELECT 1 FROM `${project}.${dataset}`.INFORMATION_SCHEMA.TABLES
  WHERE table_name = 'holiday_calendar_v1_rows'
) THEN
  INSERT INTO `${project}.${dataset}.holiday_calendar` (
    holiday_date, holiday_name, holiday_type, is_major_holiday, saturation_impact_factor
  )
  SELECT v1.holiday_date, COALESCE(v1.name, '(unnamed)'), NULL, FALSE, 1.0
  FROM `${project}.${dataset}.holiday_calendar_v1_rows` AS v1
  WHERE NOT EXISTS (
    SELECT 1
    FROM `${project}.${dataset}.holiday_calendar` AS hc
    WHERE hc.holiday_date = v1.holiday_date
  );

  -- eros-migrate: allow destructive: the staged v1 rows are in holiday_calendar now
  DROP TABLE IF EXISTS `${project}.${dataset}.holiday_calendar_v1_rows`;
END IF;
