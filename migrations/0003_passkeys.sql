CREATE TABLE `passkeys` (
	`id` varchar(36) NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`credential_id` varchar(1400) NOT NULL,
	`credential_digest` varchar(64) NOT NULL,
	`public_key` varchar(2048) NOT NULL,
	`sign_count` bigint unsigned NOT NULL DEFAULT 0,
	`transports` varchar(255) NOT NULL DEFAULT '',
	`device_type` varchar(16) NOT NULL,
	`backed_up` boolean NOT NULL DEFAULT false,
	`aaguid` varchar(36) NOT NULL,
	`name` varchar(100) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`last_used_at` datetime(3),
	CONSTRAINT `passkeys_id` PRIMARY KEY(`id`),
	CONSTRAINT `passkeys_credential_digest_unique` UNIQUE(`credential_digest`)
);
--> statement-breakpoint
ALTER TABLE `users` MODIFY COLUMN `password_hash` varchar(255);--> statement-breakpoint
CREATE INDEX `passkeys_user_id_idx` ON `passkeys` (`user_id`);