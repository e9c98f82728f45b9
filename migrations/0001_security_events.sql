CREATE TABLE `security_events` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`event` varchar(40) NOT NULL,
	`ip` varchar(45) NOT NULL DEFAULT '',
	`country` varchar(2) NOT NULL DEFAULT '',
	`user_agent` varchar(256) NOT NULL DEFAULT '',
	`request_id` varchar(64) NOT NULL DEFAULT '',
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `security_events_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `security_events_user_id_idx` ON `security_events` (`user_id`,`id`);