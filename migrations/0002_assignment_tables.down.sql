-- 0002 assignment_tables: down. Removes the four tables and the data they hold.

-- eros-migrate: allow destructive: reverting 0002 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.active_creators`;
-- eros-migrate: allow destructive: reverting 0002 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.creator_content_inventory`;
-- eros-migrate: allow destructive: reverting 0002 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.creator_caption_restrictions`;
-- eros-migrate: allow destructive: reverting 0002 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.active_caption_assignments`;
