CREATE TABLE `api_keys` (
	`id` varchar(24) NOT NULL,
	`name` varchar(100) NOT NULL,
	`digest` varchar(64) NOT NULL,
	`prefix` varchar(16) NOT NULL,
	`scopes` varchar(200) NOT NULL,
	`created_by` varchar(64) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`expires_at` datetime(3),
	`last_used_at` datetime(3),
	`revoked_at` datetime(3),
	CONSTRAINT `api_keys_id` PRIMARY KEY(`id`),
	CONSTRAINT `api_keys_digest_unique` UNIQUE(`digest`)
);
--> statement-breakpoint
ALTER TABLE `security_events` MODIFY COLUMN `user_id` varchar(36);--> statement-breakpoint
ALTER TABLE `security_events` ADD `actor` varchar(64);--> statement-breakpoint
ALTER TABLE `security_events` ADD `target` varchar(64);--> statement-breakpoint
CREATE INDEX `security_events_actor_idx` ON `security_events` (`actor`,`id`);--> statement-breakpoint
CREATE INDEX `security_events_event_idx` ON `security_events` (`event`,`id`);