// Reads the original Django service's users (original-schema.sql) over a mysql:// connection:
// the identifiers of every account once (to find the accounts the new rules make duplicates), then
// the accounts with their profiles in pages ordered by primary key. Every query is one round trip.
import type { Connection, RowDataPacket } from "mysql2/promise";

/** One `account_myuser` row joined with its `profile_profile` row (profile columns null without one). */
export interface SourceRow {
  user_id: string;
  username: string;
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  is_active: number;
  is_email_verified: number;
  /** "YYYY-MM-DD HH:MM:SS[.ffffff]", UTC as Django stores it with USE_TZ. */
  created_at: string;
  last_login: string | null;
  country_alpha_code: string | null;
  country_phone_code: number | null;
  country_name: string;
  gender: number;
  dob: string | null;
  user_type: number;
  phone_number: string | null;
  is_phone_number_verified: number | null;
  address: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  referral_id: string | null;
  referral_points: number | null;
  /** Relative to the original's media folder (MEDIA_ROOT), e.g. `profile_images/abc.png`. */
  profile_image: string | null;
}

export interface SourceIdentity {
  user_id: string;
  username: string;
  email: string;
}

const COLUMNS = `u.user_id, u.username, u.email, u.password, u.first_name, u.last_name, u.is_active,
  u.is_email_verified, u.created_at, u.last_login, u.country_alpha_code, u.country_phone_code,
  u.country_name, u.gender, u.dob, u.user_type, p.phone_number, p.is_phone_number_verified, p.address,
  p.city, p.state, p.postal_code, p.referral_id, p.referral_points, p.profile_image`;

export class DjangoSource {
  roundTrips = 0;
  private readonly connection: Connection;

  private constructor(connection: Connection) {
    this.connection = connection;
  }

  static async connect(url: string): Promise<DjangoSource> {
    const { default: mysql } = await import("mysql2/promise");
    // Dates as the text MariaDB holds (UTC under Django's USE_TZ): no time-zone guessing by the driver.
    return new DjangoSource(await mysql.createConnection({ uri: url, dateStrings: true, charset: "utf8mb4" }));
  }

  async identities(): Promise<SourceIdentity[]> {
    this.roundTrips++;
    const [rows] = await this.connection.query<RowDataPacket[]>("SELECT user_id, username, email FROM account_myuser");
    return rows as SourceIdentity[];
  }

  /** Up to `size` accounts with ids after `afterId` (keyset paging on the primary key). */
  async page(afterId: string, size: number): Promise<SourceRow[]> {
    this.roundTrips++;
    const [rows] = await this.connection.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM account_myuser u LEFT JOIN profile_profile p ON p.user_id = u.user_id
       WHERE u.user_id > ? ORDER BY u.user_id LIMIT ?`,
      [afterId, size],
    );
    return rows as SourceRow[];
  }

  async close(): Promise<void> {
    await this.connection.end();
  }
}
