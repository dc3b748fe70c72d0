-- 0018 sweep_expired_caption_locks: down. Drops the procedure.

DROP PROCEDURE IF EXISTS `${project}.${dataset}.sweep_expired_caption_locks`;
