ALTER TABLE `users` ADD `disabled_at` datetime(3);--> statement-breakpoint
ALTER TABLE `users` ADD `disabled_reason` varchar(200);--> statement-breakpoint
ALTER TABLE `users` ADD `disabled_until` datetime(3);