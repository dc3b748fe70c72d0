-- 0008 caption_procedures_v1: down. Removes the three procedures.

DROP PROCEDURE IF EXISTS `${project}.${dataset}.select_captions_for_creator`;
DROP PROCEDURE IF EXISTS `${project}.${dataset}.lock_caption_assignments`;
DROP PROCEDURE IF EXISTS `${project}.${dataset}.update_caption_performance`;
