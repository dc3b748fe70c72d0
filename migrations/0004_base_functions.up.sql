-- 0004 base_functions (v1 baseline)
-- Creates the pre-existing scalar UDFs:
--   caption_key(message)  v1 key: MD5 hex of LOWER(TRIM(message)) (spec A.3; caption_key('test')
--                         = '098f6bcd4621d373cade4e832627b4f6'). v2 (0009) replaces it.
--   la_date / la_hour / la_dayofweek(p_ts)  a TIMESTAMP seen in America/Los_Angeles, the
--                         business time zone (DATE, hour 0-23, day of week 1 = Sunday).
-- SQL UDFs carry no LANGUAGE clause (D-31).

CREATE OR REPLACE FUNCTION `${project}.${dataset}.caption_key`(message STRING)
RETURNS STRING
AS (
  TO_HEX(MD5(LOWER(TRIM(message))))
);

CREATE OR REPLACE FUNCTION `${project}.${dataset}.la_date`(p_ts TIMESTAMP)
RETURNS DATE
AS (
  DATE(p_ts, 'America/Los_Angeles')
);

CREATE OR REPLACE FUNCTION `${project}.${dataset}.la_hour`(p_ts TIMESTAMP)
RETURNS INT64
AS (
  EXTRACT(HOUR FROM p_ts AT TIME ZONE 'America/Los_Angeles')
);

CREATE OR REPLACE FUNCTION `${project}.${dataset}.la_dayofweek`(p_ts TIMESTAMP)
RETURNS INT64
AS (
  EXTRACT(DAYOFWEEK FROM p_ts AT TIME ZONE 'America/Los_Angeles')
);
