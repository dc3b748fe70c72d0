-- 0001 core_tables (v1 baseline)
-- Creates the message and caption tables that every later EROS object reads:
--   mass_messages      sent mass messages with their metrics (11 columns, incl. caption_id)
--   caption_bank       the curated caption library (40 columns, as observed live)
--   captions           fallback caption table read by schedule_recommendations_messages
--                      when a caption_id is not in caption_bank (absent live; shape inferred)
--   schedule_recommendations  the ROW-LEVEL shape (one row per scheduled message) that the
--                      v2 export view expects, not the live JSON-envelope table. caption_id
--                      is INT64 so it joins caption_bank/captions/caption_bandit_stats
--                      without casts (the JSON view's STRING ids were part of D-6).
-- Partitioning/clustering of the live base tables is unknown; the choices below follow the
-- columns the EROS queries filter on (send time, page, caption).

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.mass_messages` (
  row_id INT64,
  page_name STRING,
  message STRING,
  sending_time TIMESTAMP,
  price FLOAT64,
  sent_count INT64,
  viewed_count INT64,
  purchased_count FLOAT64,
  earnings FLOAT64,
  message_type STRING,
  caption_id INT64
)
PARTITION BY DATE(sending_time)
CLUSTER BY page_name, caption_id
OPTIONS (description = 'Mass messages sent per creator page, with send, view and purchase metrics');

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.caption_bank` (
  caption_id INT64 NOT NULL,
  caption_text STRING NOT NULL,
  content_category STRING,
  price_tier STRING,
  has_urgency BOOL,
  conversion_score FLOAT64,
  revenue_score FLOAT64,
  efficiency_score FLOAT64,
  overall_performance_score FLOAT64,
  avg_revenue FLOAT64,
  max_revenue FLOAT64,
  min_revenue FLOAT64,
  avg_conversion_rate FLOAT64,
  best_conversion_rate FLOAT64,
  avg_revenue_per_recipient FLOAT64,
  avg_purchase_rate FLOAT64,
  total_sends INT64,
  pages_used_count INT64,
  sample_pages_used ARRAY<STRING>,
  total_reach INT64,
  total_conversions INT64,
  lifetime_revenue FLOAT64,
  caption_length INT64,
  question_count FLOAT64,
  exclamation_count FLOAT64,
  emoji_count FLOAT64,
  successful_days ARRAY<STRING>,
  successful_hours ARRAY<INT64>,
  min_price FLOAT64,
  max_price FLOAT64,
  avg_price FLOAT64,
  first_used TIMESTAMP,
  last_used TIMESTAMP,
  days_since_last_use INT64,
  usage_status STRING,
  validation_level STRING,
  created_at TIMESTAMP,
  updated_at TIMESTAMP,
  is_long_form BOOL,
  caption_key STRING OPTIONS (description = 'Normalized hash of caption_text for stable joins')
)
CLUSTER BY caption_id, price_tier
OPTIONS (description = 'High-performing caption bank. Only includes captions with 50+ revenue per send.');

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.captions` (
  caption_id INT64 NOT NULL,
  caption_text STRING,
  price_tier STRING,
  content_category STRING,
  has_urgency BOOL,
  category STRING,
  is_active BOOL,
  is_deleted BOOL
)
CLUSTER BY caption_id
OPTIONS (description = 'Fallback captions for ids not (or no longer) in caption_bank');

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.schedule_recommendations` (
  schedule_id STRING NOT NULL,
  page_name STRING NOT NULL,
  day_of_week INT64 OPTIONS (description = '1 = Sunday ... 7 = Saturday, America/Los_Angeles'),
  scheduled_send_time TIMESTAMP,
  message_type STRING,
  caption_id INT64,
  created_at TIMESTAMP NOT NULL,
  is_active BOOL,
  time_slot_rank INT64
)
PARTITION BY DATE(created_at)
CLUSTER BY page_name, schedule_id
OPTIONS (description = 'One row per recommended message of a generated schedule');
