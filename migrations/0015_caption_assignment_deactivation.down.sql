-- 0015 caption_assignment_deactivation: down. Drops the two columns (the rows stay; when and
-- why a lock was deactivated is lost).

-- eros-migrate: allow destructive: reverting 0015 removes the column it added
ALTER TABLE `${project}.${dataset}.active_caption_assignments` DROP COLUMN IF EXISTS deactivation_reason;
-- eros-migrate: allow destructive: reverting 0015 removes the column it added
ALTER TABLE `${project}.${dataset}.active_caption_assignments` DROP COLUMN IF EXISTS deactivated_at;
