-- 0016 schedule_recommendations_messages: down. Drops the view.

DROP VIEW IF EXISTS `${project}.${dataset}.schedule_recommendations_messages`;
