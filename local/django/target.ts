// This service's database, as the importer writes it: a mysql:// URL through mysql2, or a
// PlanetScale https:// URL through the HTTP driver the worker uses. Two operations, one round trip
// each: which of a batch's ids, canonical names and referral ids are taken, and one multi-row INSERT.
import { inArray, or } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import { users } from "../../src/db/schema.ts";
import type { ImportRow } from "./mapping.ts";

/** What a new row may collide on: its id and the unique columns. */
const UNIQUE_COLUMNS = ["id", "usernameCanonical", "emailCanonical", "referralId"] as const;

export interface TakenRow {
  id: string;
  usernameCanonical: string;
  emailCanonical: string;
  referralId: string;
}

export class DuplicateKeyError extends Error {
  readonly key: string;
  constructor(message: string, key: string) {
    super(message);
    this.key = key;
  }
}

/** The index a duplicate-key error names, from mysql2's or the PlanetScale driver's message. */
function duplicateKey(error: unknown): DuplicateKeyError | null {
  for (let current = error; current instanceof Error; current = current.cause) {
    const match = /Duplicate entry .* for key '([^']+)'/.exec(current.message);
    if (match?.[1]) return new DuplicateKeyError(match[0], match[1]);
  }
  return null;
}

export class Target {
  roundTrips = 0;
  private readonly db: MySql2Database;
  private readonly close_: () => Promise<void>;

  private constructor(db: MySql2Database, close: () => Promise<void>) {
    this.db = db;
    this.close_ = close;
  }

  static async connect(url: string): Promise<Target> {
    if (/^https?:\/\//.test(url)) {
      const { Client } = await import("@planetscale/database");
      const { drizzle } = await import("drizzle-orm/planetscale-serverless");
      // Both drizzle databases speak the same MySQL dialect; only select and insert are used.
      const db = drizzle({ client: new Client({ url }) }) as unknown as MySql2Database;
      return new Target(db, async () => undefined);
    }
    if (!url.startsWith("mysql://")) throw new Error("the target must be a mysql:// or PlanetScale https:// URL");
    const { default: mysql } = await import("mysql2/promise");
    const { drizzle } = await import("drizzle-orm/mysql2");
    const connection = await mysql.createConnection({ uri: url, timezone: "Z", charset: "utf8mb4" });
    return new Target(drizzle({ client: connection }), () => connection.end());
  }

  /** Existing rows holding any of the batch's ids, canonical usernames or emails, or referral ids. */
  async taken(rows: ImportRow[]): Promise<TakenRow[]> {
    if (rows.length === 0) return [];
    this.roundTrips++;
    return this.db
      .select({
        id: users.id,
        usernameCanonical: users.usernameCanonical,
        emailCanonical: users.emailCanonical,
        referralId: users.referralId,
      })
      .from(users)
      .where(
        or(
          ...UNIQUE_COLUMNS.map((column) =>
            inArray(
              users[column],
              rows.map((row) => row[column]),
            ),
          ),
        ),
      );
  }

  /** One INSERT for all `rows`: all are written or none (a single statement). */
  async insert(rows: ImportRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.roundTrips++;
    try {
      await this.db.insert(users).values(rows);
    } catch (error) {
      throw duplicateKey(error) ?? error;
    }
  }

  async close(): Promise<void> {
    await this.close_();
  }
}
