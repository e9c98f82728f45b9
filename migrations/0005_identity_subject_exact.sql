-- A provider's subject is an exact, case-sensitive identifier: compared under the default
-- (accent- and case-insensitive) collation, `ALICE` would match `alice`'s identity, and their
-- unique index would refuse one for the other. Binary collation makes both exact.
ALTER TABLE `identities` MODIFY `provider` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, MODIFY `subject` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
