-- holiday_calendar contents (original tests 3.3 dates, 6.1, 6.2): at least 20 distinct 2025
-- dates, every impact factor in [0, 1], exactly the three types FEDERAL, CULTURAL, COMMERCIAL in
-- 2025, and each of the twenty seeded holidays present with its name, type, major flag and
-- factor; and twenty typed holidays in each year 2024-2030. A missing table makes the query
-- fail (an error, not a pass).
WITH seed AS (
  SELECT d, n, t, m, f
  FROM UNNEST(ARRAY<STRUCT<d DATE, n STRING, t STRING, m BOOL, f FLOAT64>>[
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
    (DATE '2025-12-31', 'New Year Eve', 'CULTURAL', TRUE, 0.7)
  ])
),
h2025 AS (
  SELECT hc.holiday_date, hc.holiday_name, hc.holiday_type, hc.is_major_holiday, hc.saturation_impact_factor
  FROM `${project}.${dataset}.holiday_calendar` AS hc
  WHERE hc.holiday_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
),
all_rows AS (
  SELECT COUNT(*) AS n, COUNTIF(hc.saturation_impact_factor IS NULL OR hc.saturation_impact_factor NOT BETWEEN 0 AND 1) AS bad_factor
  FROM `${project}.${dataset}.holiday_calendar` AS hc
)
SELECT 'v2.holidays.count_2025' AS check_id,
  'at least 20 distinct holiday dates in 2025 (tests 3.3, 6.1)' AS description,
  COUNT(DISTINCT h.holiday_date) >= 20 AS passed,
  CONCAT(CAST(COUNT(DISTINCT h.holiday_date) AS STRING), ' dates in 2025') AS detail
FROM h2025 AS h
UNION ALL
SELECT 'v2.holidays.factors',
  'every saturation_impact_factor is set and within [0, 1] (test 6.1)',
  a.n > 0 AND a.bad_factor = 0,
  CONCAT(CAST(a.bad_factor AS STRING), ' of ', CAST(a.n AS STRING), ' rows out of range or NULL')
FROM all_rows AS a
UNION ALL
SELECT 'v2.holidays.types_2025',
  '2025 holidays have exactly the types FEDERAL, CULTURAL, COMMERCIAL (test 6.2)',
  COUNT(DISTINCT h.holiday_type) = 3
    AND COUNTIF(h.holiday_type IS NULL OR h.holiday_type NOT IN ('FEDERAL', 'CULTURAL', 'COMMERCIAL')) = 0,
  COALESCE(STRING_AGG(DISTINCT COALESCE(h.holiday_type, 'NULL'), ', ' ORDER BY COALESCE(h.holiday_type, 'NULL')), 'no 2025 rows')
FROM h2025 AS h
UNION ALL
SELECT 'v2.holidays.seed',
  'the twenty 2025 holidays of the seed are present with name, type, major flag and factor',
  COUNTIF(h.holiday_date IS NOT NULL AND h.holiday_name = s.n AND h.holiday_type = s.t
    AND h.is_major_holiday = s.m AND ABS(h.saturation_impact_factor - s.f) < 1e-9) = 20,
  COALESCE(
    STRING_AGG(
      IF(h.holiday_date IS NOT NULL AND h.holiday_name = s.n AND h.holiday_type = s.t
        AND h.is_major_holiday = s.m AND ABS(h.saturation_impact_factor - s.f) < 1e-9,
        NULL, CAST(s.d AS STRING)),
      ', ' ORDER BY s.d
    ),
    'all 20 match'
  )
FROM seed AS s
LEFT JOIN h2025 AS h
  ON h.holiday_date = s.d
UNION ALL
SELECT
  CONCAT('v2.holidays.year_', CAST(yr AS STRING)),
  CONCAT('20 typed holidays seeded for ', CAST(yr AS STRING)),
  COUNTIF(hc.holiday_type IN ('FEDERAL', 'CULTURAL', 'COMMERCIAL')) = 20,
  CONCAT(CAST(COUNTIF(hc.holiday_type IN ('FEDERAL', 'CULTURAL', 'COMMERCIAL')) AS STRING), ' typed holidays')
FROM UNNEST(GENERATE_ARRAY(2024, 2030)) AS yr
LEFT JOIN `${project}.${dataset}.holiday_calendar` AS hc
  ON EXTRACT(YEAR FROM hc.holiday_date) = yr
GROUP BY yr
