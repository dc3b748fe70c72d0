-- Business time zone America/Los_Angeles (original test 7.1, which could never fail): the LA
-- date and datetime are computable, and la_date / la_hour / la_dayofweek convert a known
-- instant (2025-01-01 05:00 UTC = Tuesday 2024-12-31 21:00 in Los Angeles).
SELECT 'v2.tz.la_now' AS check_id,
  'the date and the datetime in America/Los_Angeles are computable' AS description,
  CURRENT_DATE('America/Los_Angeles') IS NOT NULL AND DATETIME(CURRENT_TIMESTAMP(), 'America/Los_Angeles') IS NOT NULL AS passed,
  CONCAT('LA date ', CAST(CURRENT_DATE('America/Los_Angeles') AS STRING)) AS detail
UNION ALL
SELECT 'v2.tz.la_functions',
  'la_date/la_hour/la_dayofweek(2025-01-01 05:00 UTC) = 2024-12-31, 21, 3',
  COALESCE(
    `${project}.${dataset}.la_date`(TIMESTAMP '2025-01-01 05:00:00+00') = DATE '2024-12-31'
      AND `${project}.${dataset}.la_hour`(TIMESTAMP '2025-01-01 05:00:00+00') = 21
      AND `${project}.${dataset}.la_dayofweek`(TIMESTAMP '2025-01-01 05:00:00+00') = 3,
    FALSE
  ),
  CONCAT(
    COALESCE(CAST(`${project}.${dataset}.la_date`(TIMESTAMP '2025-01-01 05:00:00+00') AS STRING), 'NULL'), ', ',
    COALESCE(CAST(`${project}.${dataset}.la_hour`(TIMESTAMP '2025-01-01 05:00:00+00') AS STRING), 'NULL'), ', ',
    COALESCE(CAST(`${project}.${dataset}.la_dayofweek`(TIMESTAMP '2025-01-01 05:00:00+00') AS STRING), 'NULL')
  )
