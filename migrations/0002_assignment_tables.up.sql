-- 0002 assignment_tables (v1 baseline)
-- Creates the per-creator scheduling state tables as they exist at v1:
--   active_caption_assignments   caption locks written by lock_caption_assignments (11
--                                columns; the deactivation columns arrive in v2, 0015)
--   creator_caption_restrictions versioned per-creator caption restrictions
--   creator_content_inventory    vault inventory per creator and day
--   active_creators              list of active pages (1 column)

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.active_caption_assignments` (
  page_name STRING NOT NULL,
  caption_id INT64 NOT NULL,
  caption_text STRING NOT NULL,
  assigned_date DATE NOT NULL,
  scheduled_send_date DATE,
  scheduled_send_hour INT64,
  price_tier STRING,
  is_active BOOL,
  assigned_at TIMESTAMP,
  assignment_key STRING OPTIONS (description = 'SHA-256 hex of page_name|caption_id|scheduled_send_date|scheduled_send_hour'),
  schedule_id STRING
)
PARTITION BY assigned_date
CLUSTER BY page_name, caption_id, is_active
OPTIONS (description = 'Tracks active caption assignments to prevent agency-wide overlaps');

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.creator_caption_restrictions` (
  page_name STRING NOT NULL,
  restriction_text STRING,
  hard_patterns ARRAY<STRING>,
  soft_patterns ARRAY<STRING>,
  restricted_categories ARRAY<STRING>,
  restricted_price_tiers ARRAY<STRING>,
  applies_to_scope STRING OPTIONS (description = 'PPV_ONLY, BUMP_ONLY or ALL'),
  min_ppv_pool INT64,
  min_bump_pool INT64,
  is_active BOOL NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  updated_by STRING,
  version INT64 NOT NULL
)
PARTITION BY DATE(updated_at)
CLUSTER BY page_name, is_active
OPTIONS (description = 'Per-creator caption restrictions (versioned)');

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.creator_content_inventory` (
  page_name STRING NOT NULL,
  inventory_date DATE NOT NULL,
  available_categories ARRAY<STRING>,
  total_content_pieces INT64 NOT NULL,
  inventory_quality_score FLOAT64 NOT NULL,
  vault_audit_date DATE NOT NULL,
  created_at TIMESTAMP,
  updated_at TIMESTAMP,
  notes STRING,
  audited_by STRING
)
PARTITION BY inventory_date
CLUSTER BY page_name
OPTIONS (description = 'Creator vault content inventory for validating caption selection against available content');

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.active_creators` (
  page_name STRING
)
CLUSTER BY page_name
OPTIONS (description = 'Pages currently managed by EROS');
