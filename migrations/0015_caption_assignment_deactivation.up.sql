-- 0015 caption_assignment_deactivation (v1 -> v2)
-- Adds active_caption_assignments.deactivated_at TIMESTAMP and deactivation_reason STRING,
-- which sweep_expired_caption_locks sets when it expires a lock (D-16: the original procedure
-- wrote them although the live table lacked them). One change per ALTER statement; existing
-- rows get NULL.

ALTER TABLE `${project}.${dataset}.active_caption_assignments` ADD COLUMN IF NOT EXISTS deactivated_at TIMESTAMP;
ALTER TABLE `${project}.${dataset}.active_caption_assignments` ADD COLUMN IF NOT EXISTS deactivation_reason STRING;
