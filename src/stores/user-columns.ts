// Column sets of user reads shared by more than one store.
import { getTableColumns, sql } from "drizzle-orm";
import { users } from "../db/schema.ts";

/**
 * A user's columns and whether the account has a passkey (a second factor it may offer), in one
 * read. The subquery is qualified by hand: Drizzle leaves column names bare in a one-table select,
 * and bare ones would resolve inside the subquery.
 */
export const userWithPasskeyFlag = {
  ...getTableColumns(users),
  hasPasskey: sql<boolean>`exists (select 1 from \`passkeys\` where \`passkeys\`.\`user_id\` = \`users\`.\`id\`)`.mapWith(
    (value) => Number(value) === 1,
  ),
};
