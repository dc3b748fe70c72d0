-- 0011 caption_bandit_stats_v2: down. Restores the v1 column defaults of 0007 and clears the
-- description and labels (v1 had none). Data is untouched.

ALTER TABLE `${project}.${dataset}.caption_bandit_stats`
  ALTER COLUMN successes SET DEFAULT 1,
  ALTER COLUMN failures SET DEFAULT 1,
  ALTER COLUMN total_observations SET DEFAULT 0,
  ALTER COLUMN total_revenue SET DEFAULT 0.0,
  ALTER COLUMN avg_conversion_rate SET DEFAULT 0.0,
  ALTER COLUMN avg_emv SET DEFAULT 0.0,
  ALTER COLUMN last_updated SET DEFAULT CURRENT_TIMESTAMP();

ALTER TABLE `${project}.${dataset}.caption_bandit_stats`
SET OPTIONS (description = NULL, labels = []);
