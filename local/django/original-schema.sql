-- The original Django service's user tables, as its migrations create them on MariaDB (Django 3.2,
-- default table names <app>_<model>). The importer (import.ts) reads these; the tests create them
-- in a throwaway database. `user_id` is a UUID as 32 hex digits without dashes; the collation is
-- case-insensitive; `phone_number` is 10 digits without the country code (the country is on the
-- user row); `password` is Django's pbkdf2_sha256$<iterations>$<salt>$<base64>, or `!...` when
-- unusable; `profile_image` is a path relative to the original's media folder.
CREATE TABLE `account_myuser` (
  `password` varchar(128) NOT NULL,
  `last_login` datetime(6) DEFAULT NULL,
  `is_superuser` tinyint(1) NOT NULL,
  `first_name` varchar(150) NOT NULL,
  `last_name` varchar(150) NOT NULL,
  `is_staff` tinyint(1) NOT NULL,
  `is_active` tinyint(1) NOT NULL,
  `date_joined` datetime(6) NOT NULL,
  `created_at` datetime(6) NOT NULL,
  `user_id` char(32) NOT NULL,
  `username` varchar(100) NOT NULL,
  `email` varchar(254) NOT NULL,
  `is_email_verified` tinyint(1) NOT NULL,
  `country_alpha_code` varchar(5) DEFAULT NULL,
  `country_phone_code` smallint(5) unsigned DEFAULT NULL,
  `country_name` varchar(100) NOT NULL,
  `gender` smallint(5) unsigned NOT NULL,
  `dob` date DEFAULT NULL,
  `user_type` smallint(5) unsigned NOT NULL,
  `age` int(10) unsigned DEFAULT NULL,
  `full_name` varchar(100) NOT NULL,
  PRIMARY KEY (`user_id`),
  UNIQUE KEY `username` (`username`),
  UNIQUE KEY `email` (`email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `profile_profile` (
  `user_id` char(32) NOT NULL,
  `phone_number` varchar(10) DEFAULT NULL,
  `is_phone_number_verified` tinyint(1) NOT NULL,
  `address` varchar(100) DEFAULT NULL,
  `city` varchar(100) DEFAULT NULL,
  `state` varchar(100) DEFAULT NULL,
  `postal_code` varchar(100) DEFAULT NULL,
  `profile_image` varchar(100) DEFAULT NULL,
  `referral_id` varchar(12) DEFAULT NULL,
  `referral_points` smallint(5) unsigned NOT NULL,
  PRIMARY KEY (`user_id`),
  UNIQUE KEY `referral_id` (`referral_id`),
  FOREIGN KEY (`user_id`) REFERENCES `account_myuser` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
