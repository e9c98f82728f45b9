CREATE TABLE `webhook_deliveries` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`webhook_id` varchar(24) NOT NULL,
	`message_id` varchar(40) NOT NULL,
	`event_type` varchar(40) NOT NULL,
	`state` varchar(16) NOT NULL,
	`attempts` int NOT NULL DEFAULT 0,
	`last_status` int,
	`last_error` varchar(200),
	`next_retry_at` datetime(3),
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	CONSTRAINT `webhook_deliveries_id` PRIMARY KEY(`id`),
	CONSTRAINT `webhook_deliveries_message_unique` UNIQUE(`webhook_id`,`message_id`)
);
--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` varchar(24) NOT NULL,
	`url` varchar(2048) NOT NULL,
	`description` varchar(200) NOT NULL DEFAULT '',
	`events` varchar(1000) NOT NULL,
	`scheme` varchar(8) NOT NULL,
	`secret_sealed` varchar(512) NOT NULL,
	`public_key` varchar(100),
	`previous_secret_sealed` varchar(512),
	`previous_public_key` varchar(100),
	`previous_until` datetime(3),
	`enabled` boolean NOT NULL DEFAULT true,
	`disabled_reason` varchar(200),
	`failing_since` datetime(3),
	`created_by` varchar(64) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	CONSTRAINT `webhooks_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_webhook_idx` ON `webhook_deliveries` (`webhook_id`,`id`);