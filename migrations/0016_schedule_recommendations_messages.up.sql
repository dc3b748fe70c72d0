-- 0016 schedule_recommendations_messages (v1 -> v2)
-- Creates the row-per-message export view (spec B.2.3): active rows of the row-level
-- schedule_recommendations, caption details from caption_bank or, when the id is not in the
-- bank, from the captions fallback table (a caption marked deleted there is not used), and the
-- Thompson-sampling state of caption_bandit_stats for (caption_id, page_name). 18 columns:
--   schedule_id, page_name, day_of_week, scheduled_send_time, message_type, caption_id,
--   caption_text, price_tier, content_category, has_urgency, performance_score
--   (= avg_conversion_rate), confidence_lower_bound, confidence_upper_bound,
--   total_observations, caption_last_updated, schedule_created_at, schedule_is_active,
--   time_slot_rank.
-- Changed from the original (D-6): the view is built on the row-level schedule_recommendations
-- and the captions table that this chain creates (0001), so every column it names exists;
-- caption_id is INT64 on all sides, so the joins need no casts; the column list is explicit.
-- The stats join takes one row per (caption_id, page_name) (the newest), because the primary
-- key is NOT ENFORCED and a duplicate would duplicate messages (D-34).

CREATE OR REPLACE VIEW `${project}.${dataset}.schedule_recommendations_messages` AS
SELECT
  sr.schedule_id,
  sr.page_name,
  sr.day_of_week,
  sr.scheduled_send_time,
  sr.message_type,
  sr.caption_id,
  COALESCE(cb.caption_text, c.caption_text) AS caption_text,
  COALESCE(cb.price_tier, c.price_tier) AS price_tier,
  COALESCE(cb.content_category, c.content_category) AS content_category,
  COALESCE(cb.has_urgency, c.has_urgency) AS has_urgency,
  st.avg_conversion_rate AS performance_score,
  st.confidence_lower_bound,
  st.confidence_upper_bound,
  st.total_observations,
  st.last_updated AS caption_last_updated,
  sr.created_at AS schedule_created_at,
  sr.is_active AS schedule_is_active,
  sr.time_slot_rank
FROM `${project}.${dataset}.schedule_recommendations` AS sr
LEFT JOIN `${project}.${dataset}.caption_bank` AS cb
  ON cb.caption_id = sr.caption_id
LEFT JOIN `${project}.${dataset}.captions` AS c
  ON cb.caption_id IS NULL
 AND c.caption_id = sr.caption_id
 AND COALESCE(c.is_deleted, FALSE) = FALSE
LEFT JOIN (
  SELECT
    s.caption_id,
    s.page_name,
    s.avg_conversion_rate,
    s.confidence_lower_bound,
    s.confidence_upper_bound,
    s.total_observations,
    s.last_updated
  FROM `${project}.${dataset}.caption_bandit_stats` AS s
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY s.caption_id, s.page_name ORDER BY s.last_updated DESC) = 1
) AS st
  ON st.caption_id = sr.caption_id
 AND st.page_name = sr.page_name
WHERE sr.is_active = TRUE
ORDER BY sr.schedule_id, sr.day_of_week, sr.scheduled_send_time;
