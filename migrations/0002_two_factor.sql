ALTER TABLE `users` ADD `two_factor_methods` varchar(32) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `totp_secret` varchar(255);--> statement-breakpoint
ALTER TABLE `users` ADD `totp_pending_secret` varchar(255);--> statement-breakpoint
ALTER TABLE `users` ADD `totp_last_step` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `recovery_codes` varchar(1000);