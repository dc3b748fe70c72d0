-- 0005 base_views: down. Removes the three views.

DROP VIEW IF EXISTS `${project}.${dataset}.active_creator_caption_restrictions_v`;
DROP VIEW IF EXISTS `${project}.${dataset}.available_captions`;
DROP VIEW IF EXISTS `${project}.${dataset}.caption_bank_enriched`;
