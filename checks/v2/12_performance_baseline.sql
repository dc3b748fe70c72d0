-- Performance baseline (original test 8.1): 1,000 calls each of caption_key_v2 and
-- wilson_sample(50, 50) complete and return non-NULL values. (No timing is asserted; the job
-- statistics of the verify run show the duration.)
WITH calls AS (
  SELECT
    `${project}.${dataset}.caption_key_v2`(CONCAT('Performance test message ', CAST(i AS STRING))) AS k,
    `${project}.${dataset}.wilson_sample`(50, 50) AS x
  FROM UNNEST(GENERATE_ARRAY(1, 1000)) AS i
)
SELECT 'v2.performance.caption_key_v2' AS check_id,
  '1,000 caption_key_v2 calls return 1,000 distinct keys' AS description,
  COUNT(DISTINCT c.k) = 1000 AS passed,
  CONCAT(CAST(COUNT(DISTINCT c.k) AS STRING), ' distinct keys') AS detail
FROM calls AS c
UNION ALL
SELECT 'v2.performance.wilson_sample',
  '1,000 wilson_sample(50, 50) calls return values in [0, 1]',
  COUNTIF(c.x BETWEEN 0 AND 1) = 1000,
  CONCAT(CAST(COUNTIF(c.x BETWEEN 0 AND 1) AS STRING), ' in range')
FROM calls AS c
