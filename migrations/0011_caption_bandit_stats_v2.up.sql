-- 0011 caption_bandit_stats_v2 (v1 -> v2)
-- Brings caption_bandit_stats to its v2 metadata IN PLACE (ALTER, never recreate: the
-- statistics are kept): description "Caption performance statistics for Thompson sampling
-- algorithm", labels system=eros, component=caption_selection, update_freq=6h, and no column
-- defaults (v2 declares none; v2 writers set every value explicitly). Columns, types, NOT NULL,
-- primary key, partitioning and clustering are unchanged.
-- Changed from the original: PI's CREATE TABLE IF NOT EXISTS was a no-op on the existing table,
-- so its options never applied (D-33); ALTER applies them. The "90 days retention" comment of
-- the original is not turned into a partition expiration: statistics are lifetime values and
-- rows that are not updated would silently expire.

ALTER TABLE `${project}.${dataset}.caption_bandit_stats`
SET OPTIONS (
  description = 'Caption performance statistics for Thompson sampling algorithm',
  labels = [('system', 'eros'), ('component', 'caption_selection'), ('update_freq', '6h')]
);

-- One ALTER for the seven defaults: BigQuery counts it as one metadata update of the table
-- (it allows five per table in ten seconds), so the migration runs as one job.
ALTER TABLE `${project}.${dataset}.caption_bandit_stats`
  ALTER COLUMN successes DROP DEFAULT,
  ALTER COLUMN failures DROP DEFAULT,
  ALTER COLUMN total_observations DROP DEFAULT,
  ALTER COLUMN total_revenue DROP DEFAULT,
  ALTER COLUMN avg_conversion_rate DROP DEFAULT,
  ALTER COLUMN avg_emv DROP DEFAULT,
  ALTER COLUMN last_updated DROP DEFAULT;
