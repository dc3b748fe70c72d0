-- 0004 base_functions: down. Removes the four UDFs.

DROP FUNCTION IF EXISTS `${project}.${dataset}.la_dayofweek`;
DROP FUNCTION IF EXISTS `${project}.${dataset}.la_hour`;
DROP FUNCTION IF EXISTS `${project}.${dataset}.la_date`;
DROP FUNCTION IF EXISTS `${project}.${dataset}.caption_key`;
