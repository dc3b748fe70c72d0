-- 0005 base_views (v1 baseline)
-- Creates the pre-existing views over caption_bank and the restrictions table:
--   caption_bank_enriched   caption_bank (40 columns) + psychological_trigger, the first match of
--                           Urgency, Exclusivity, Scarcity, Social Proof, Curiosity, else General.
--   available_captions      caption_bank (40 columns) + caption_key_norm = caption_key(caption_text),
--                           limited to usage_status available/moderate_recency and a positive
--                           overall_performance_score. It follows whatever caption_key is current.
--   active_creator_caption_restrictions_v  active restriction rows with pool-size defaults
--                           (200 PPV, 50 bump). As live: no latest-version filter.
-- Column lists are explicit (no SELECT *).

CREATE OR REPLACE VIEW `${project}.${dataset}.caption_bank_enriched` AS
SELECT
  cb.caption_id,
  cb.caption_text,
  cb.content_category,
  cb.price_tier,
  cb.has_urgency,
  cb.conversion_score,
  cb.revenue_score,
  cb.efficiency_score,
  cb.overall_performance_score,
  cb.avg_revenue,
  cb.max_revenue,
  cb.min_revenue,
  cb.avg_conversion_rate,
  cb.best_conversion_rate,
  cb.avg_revenue_per_recipient,
  cb.avg_purchase_rate,
  cb.total_sends,
  cb.pages_used_count,
  cb.sample_pages_used,
  cb.total_reach,
  cb.total_conversions,
  cb.lifetime_revenue,
  cb.caption_length,
  cb.question_count,
  cb.exclamation_count,
  cb.emoji_count,
  cb.successful_days,
  cb.successful_hours,
  cb.min_price,
  cb.max_price,
  cb.avg_price,
  cb.first_used,
  cb.last_used,
  cb.days_since_last_use,
  cb.usage_status,
  cb.validation_level,
  cb.created_at,
  cb.updated_at,
  cb.is_long_form,
  cb.caption_key,
  CASE
    WHEN cb.has_urgency
      AND REGEXP_CONTAINS(LOWER(cb.caption_text), r'now|today|limited|expir') THEN 'Urgency'
    WHEN REGEXP_CONTAINS(LOWER(cb.caption_text), r'exclusive|vip|special|members only') THEN 'Exclusivity'
    WHEN REGEXP_CONTAINS(LOWER(cb.caption_text), r'only [0-9]+ left|last chance') THEN 'Scarcity'
    WHEN REGEXP_CONTAINS(LOWER(cb.caption_text), r'everyone|fans love|popular') THEN 'Social Proof'
    WHEN STRPOS(cb.caption_text, '?') > 0 THEN 'Curiosity'
    ELSE 'General'
  END AS psychological_trigger
FROM `${project}.${dataset}.caption_bank` AS cb;

CREATE OR REPLACE VIEW `${project}.${dataset}.available_captions` AS
SELECT
  cb.caption_id,
  cb.caption_text,
  cb.content_category,
  cb.price_tier,
  cb.has_urgency,
  cb.conversion_score,
  cb.revenue_score,
  cb.efficiency_score,
  cb.overall_performance_score,
  cb.avg_revenue,
  cb.max_revenue,
  cb.min_revenue,
  cb.avg_conversion_rate,
  cb.best_conversion_rate,
  cb.avg_revenue_per_recipient,
  cb.avg_purchase_rate,
  cb.total_sends,
  cb.pages_used_count,
  cb.sample_pages_used,
  cb.total_reach,
  cb.total_conversions,
  cb.lifetime_revenue,
  cb.caption_length,
  cb.question_count,
  cb.exclamation_count,
  cb.emoji_count,
  cb.successful_days,
  cb.successful_hours,
  cb.min_price,
  cb.max_price,
  cb.avg_price,
  cb.first_used,
  cb.last_used,
  cb.days_since_last_use,
  cb.usage_status,
  cb.validation_level,
  cb.created_at,
  cb.updated_at,
  cb.is_long_form,
  cb.caption_key,
  `${project}.${dataset}.caption_key`(cb.caption_text) AS caption_key_norm
FROM `${project}.${dataset}.caption_bank` AS cb
WHERE cb.usage_status IN ('available', 'moderate_recency')
  AND cb.overall_performance_score > 0;

CREATE OR REPLACE VIEW `${project}.${dataset}.active_creator_caption_restrictions_v` AS
SELECT
  r.page_name,
  r.applies_to_scope,
  COALESCE(r.min_ppv_pool, 200) AS min_ppv_pool,
  COALESCE(r.min_bump_pool, 50) AS min_bump_pool,
  r.hard_patterns,
  r.soft_patterns,
  r.restricted_categories,
  r.restricted_price_tiers
FROM `${project}.${dataset}.creator_caption_restrictions` AS r
WHERE r.is_active = TRUE;
