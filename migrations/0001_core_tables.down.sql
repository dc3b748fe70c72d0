-- 0001 core_tables: down. Removes the four core tables and the data they hold.

-- eros-migrate: allow destructive: reverting 0001 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.schedule_recommendations`;
-- eros-migrate: allow destructive: reverting 0001 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.captions`;
-- eros-migrate: allow destructive: reverting 0001 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.caption_bank`;
-- eros-migrate: allow destructive: reverting 0001 removes the table it created
DROP TABLE IF EXISTS `${project}.${dataset}.mass_messages`;
