// The Django importer against real servers: the local stack's private MariaDB holds both this
// service's database (migrations applied) and, per test, a database with the original's tables
// (original-schema.sql) filled with fixture accounts. Run by npm test (node --test). The profile
// image tests write through wrangler into a throwaway persistence directory (--persist-to), never
// the developer's .wrangler/state.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { asc, eq } from "drizzle-orm";
import { drizzle, type MySql2Database } from "drizzle-orm/mysql2";
import mysql from "mysql2/promise";
import { type UserRow, users } from "../../src/db/schema.ts";
import { type LocalStack, startLocalStack } from "../stack.ts";
import { type ImportSummary, importDjangoUsers } from "./importer.ts";
import type { MediaOptions } from "./media.ts";

const SCHEMA = readFileSync(new URL("original-schema.sql", import.meta.url), "utf8");
const NOW = new Date("2025-06-01T12:00:00.000Z");
const HASH_260K = `pbkdf2_sha256$260000$c2FsdHNhbHQ$${Buffer.alloc(32, 7).toString("base64")}`;

type Values = Record<string, string | number | null>;
interface Fixture {
  user: Values;
  profile: Values | null;
}

let stack: LocalStack;
let admin: mysql.Connection;
let targetConnection: mysql.Connection;
let target: MySql2Database;
let sourceCount = 0;

/** An active account with a profile; `user`/`profile` override columns (`profile: null`: no profile row). */
function account(n: number, overrides: { user?: Values; profile?: Values | null } = {}): Fixture {
  const user: Values = {
    password: HASH_260K,
    last_login: null,
    is_superuser: 0,
    first_name: `First${n}`,
    last_name: `Last${n}`,
    is_staff: 0,
    is_active: 1,
    date_joined: "2022-01-02 03:04:05.678901",
    created_at: "2022-01-02 03:04:05.678901",
    user_id: n.toString(16).padStart(32, "0"),
    username: `user${n}`,
    email: `user${n}@example.com`,
    is_email_verified: 0,
    country_alpha_code: "IN",
    country_phone_code: 91,
    country_name: "INDIA",
    gender: 2,
    dob: null,
    user_type: 2,
    age: null,
    full_name: `First${n} Last${n}`,
    ...overrides.user,
  };
  const profile: Values | null =
    overrides.profile === null
      ? null
      : {
          user_id: user.user_id as string,
          phone_number: null,
          is_phone_number_verified: 0,
          address: null,
          city: null,
          state: null,
          postal_code: null,
          profile_image: null,
          referral_id: null,
          referral_points: 0,
          ...overrides.profile,
        };
  return { user, profile };
}

function idOf(fixture: Fixture): string {
  const hex = fixture.user.user_id as string;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function insertRows(database: string, table: string, rows: Values[]) {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const list = columns.map((column) => `\`${column}\``).join(", ");
  await admin.query(`INSERT INTO \`${database}\`.\`${table}\` (${list}) VALUES ?`, [
    rows.map((row) => columns.map((column) => row[column] ?? null)),
  ]);
}

/** A fresh database with the original's tables and `fixtures`; returns its mysql:// URL. */
async function originalDatabase(fixtures: Fixture[]): Promise<string> {
  const name = `original_${++sourceCount}`;
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.query(`USE \`${name}\`;\n${SCHEMA}`);
  await insertRows(
    name,
    "account_myuser",
    fixtures.map((fixture) => fixture.user),
  );
  await insertRows(
    name,
    "profile_profile",
    fixtures.flatMap((fixture) => (fixture.profile ? [fixture.profile] : [])),
  );
  const url = new URL(stack.mysqlUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const run = (from: string, options: { dryRun?: boolean; batch?: number; to?: string; now?: Date; media?: MediaOptions } = {}) =>
  importDjangoUsers({ from, to: options.to ?? stack.mysqlUrl, now: NOW, ...options });

const readUser = async (id: string): Promise<UserRow | undefined> =>
  (await target.select().from(users).where(eq(users.id, id)))[0];

const allUsers = () => target.select().from(users).orderBy(asc(users.id));

const skippedReasons = (summary: ImportSummary) => Object.fromEntries(summary.skipped.map((row) => [row.id, row.note]));

before(async () => {
  stack = await startLocalStack();
  const root = new URL(stack.mysqlUrl);
  root.pathname = "/";
  admin = await mysql.createConnection({ uri: root.toString(), multipleStatements: true });
  targetConnection = await mysql.createConnection({ uri: stack.mysqlUrl, timezone: "Z" });
  target = drizzle({ client: targetConnection });
});

after(async () => {
  await admin?.end();
  await targetConnection?.end();
  await stack?.stop();
});

beforeEach(async () => {
  await target.delete(users);
});

describe("Django importer: mapping", () => {
  it("keeps the id and carries every field of the account and its profile", async () => {
    const asha = account(1, {
      user: {
        user_id: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        username: "Asha_R",
        email: "Asha.Rao@Example.com",
        first_name: "Asha",
        last_name: "Rao",
        is_email_verified: 1,
        gender: 1,
        dob: "1994-05-17",
        user_type: 1,
        last_login: "2024-02-03 04:05:06.789012",
        created_at: "2021-01-02 03:04:05.123456",
        is_staff: 1,
        is_superuser: 1,
      },
      profile: {
        phone_number: "9876543210",
        is_phone_number_verified: 1,
        address: "12 MG Road",
        city: "Bengaluru",
        state: "Karnataka",
        postal_code: "560001",
        profile_image: "profile_images/asha.jpg",
        referral_id: "AbCdE12345",
        referral_points: 42,
      },
    });
    const noProfile = account(2, {
      user: { country_alpha_code: "gb", country_phone_code: 44, country_name: "UK" },
      profile: null,
    });
    const summary = await run(await originalDatabase([asha, noProfile]));
    assert.equal(summary.imported, 2);
    assert.deepEqual(summary.skipped, []);

    assert.deepEqual(await readUser(idOf(asha)), {
      id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
      username: "Asha_R",
      usernameCanonical: "asha_r",
      email: "Asha.Rao@Example.com",
      emailCanonical: "asha.rao@example.com",
      passwordHash: HASH_260K,
      firstName: "Asha",
      lastName: "Rao",
      countryAlphaCode: "IN",
      countryName: "India",
      countryPhoneCode: 91,
      gender: 1,
      dob: "1994-05-17",
      userType: 1,
      isEmailVerified: true,
      phoneNumber: "+919876543210",
      isPhoneNumberVerified: true,
      address: "12 MG Road",
      city: "Bengaluru",
      state: "Karnataka",
      postalCode: "560001",
      referralId: "AbCdE12345",
      referralPoints: 42,
      tokensValidAfter: null,
      lastLoginAt: new Date("2024-02-03T04:05:06.789Z"),
      twoFactorMethods: "",
      totpSecret: null,
      totpPendingSecret: null,
      totpLastStep: 0,
      recoveryCodes: null,
      // Django's staff and superusers come in as users: admins are made with npm run admin:grant.
      role: "user",
      disabledAt: null,
      disabledReason: null,
      disabledUntil: null,
      createdAt: new Date("2021-01-02T03:04:05.123Z"),
      updatedAt: NOW,
    });

    const other = await readUser(idOf(noProfile));
    assert.ok(other);
    assert.equal(other.countryAlphaCode, "GB");
    assert.equal(other.countryName, "United Kingdom");
    assert.equal(other.countryPhoneCode, 44);
    assert.equal(other.phoneNumber, null);
    assert.equal(other.isPhoneNumberVerified, false);
    assert.equal(other.referralPoints, 0);
    assert.match(other.referralId, /^[A-Za-z0-9]{10}$/);
    assert.equal(other.lastLoginAt, null);
  });

  it("converts 10-digit phone numbers to E.164 with the account's country", async () => {
    const phones: [string, string, string][] = [
      ["IN", "9876543210", "+919876543210"],
      ["US", "2015550123", "+12015550123"],
      ["GB", "7400123456", "+447400123456"],
      ["DE", "3012345678", "+493012345678"],
      ["JP", "9012345678", "+819012345678"],
    ];
    const fixtures = phones.map(([country, phone], index) =>
      account(10 + index, { user: { country_alpha_code: country }, profile: { phone_number: phone } }),
    );
    const summary = await run(await originalDatabase(fixtures));
    assert.deepEqual(summary.skipped, []);
    for (const [index, [country, , e164]] of phones.entries()) {
      const row = await readUser(idOf(fixtures[index] as Fixture));
      assert.equal(row?.phoneNumber, e164, country);
      assert.equal(row?.countryAlphaCode, country);
    }
  });

  it("adjusts out-of-range values instead of dropping the account", async () => {
    const odd = account(20, { user: { gender: 7, user_type: 9, dob: "2999-01-01" }, profile: { referral_id: "short" } });
    const summary = await run(await originalDatabase([odd]));
    assert.equal(summary.imported, 1);
    const row = await readUser(idOf(odd));
    assert.equal(row?.gender, 2);
    assert.equal(row?.userType, 2);
    assert.equal(row?.dob, null);
    assert.match(row?.referralId ?? "", /^[A-Za-z0-9]{10}$/);
    assert.deepEqual(
      summary.adjusted.map((entry) => entry.note.split(" ")[0]),
      ["referral_id", "gender", "dob", "user_type"],
    );
  });

  it("keeps a username with @ (signup no longer allows one) and reports it", async () => {
    const legacy = account(21, { user: { username: "asha@old-site" } });
    const summary = await run(await originalDatabase([legacy]));
    assert.equal(summary.imported, 1);
    assert.equal((await readUser(idOf(legacy)))?.username, "asha@old-site");
    assert.deepEqual(
      summary.adjusted.map((entry) => entry.note.split(" ").slice(0, 2).join(" ")),
      ['username "asha@old-site"'],
    );
  });
});

describe("Django importer: rows the new rules refuse", () => {
  it("imports an inactive account disabled: no sign-in until an admin enables it", async () => {
    const inactive = account(38, { user: { is_active: 0 } });
    const summary = await run(await originalDatabase([inactive]));
    assert.equal(summary.imported, 1);
    const row = await readUser(idOf(inactive));
    assert.ok(row?.disabledAt instanceof Date);
    assert.equal(row?.disabledReason, "inactive in the original (is_active = 0)");
    assert.equal(row?.disabledUntil, null);
  });

  it("skips canonical duplicates, invalid emails, usernames and phones, with reasons", async () => {
    const fine = account(30);
    const maria = account(31, { user: { username: "Maria" } });
    const mariaWide = account(32, { user: { username: "ｍａｒｉａ" } });
    const bob = account(33, { user: { email: "bob@example.com" } });
    const bobSpaced = account(34, { user: { email: " Bob@example.com" } });
    const badEmail = account(35, { user: { email: "not-an-email" } });
    const badPhone = account(36, { profile: { phone_number: "0000000000" } });
    const noCountry = account(37, { user: { country_alpha_code: null }, profile: { phone_number: "9876543210" } });
    const badUsername = account(39, { user: { username: "bad name!" } });
    const fixtures = [fine, maria, mariaWide, bob, bobSpaced, badEmail, badPhone, noCountry, badUsername];
    const summary = await run(await originalDatabase(fixtures));

    assert.equal(summary.imported, 1);
    const reasons = skippedReasons(summary);
    assert.equal(Object.keys(reasons).length, 8);
    assert.match(reasons[idOf(maria)] ?? "", new RegExp(`username "Maria" is the same as that of ${idOf(mariaWide)}`));
    assert.match(reasons[idOf(mariaWide)] ?? "", new RegExp(`is the same as that of ${idOf(maria)}`));
    assert.match(reasons[idOf(bob)] ?? "", /^email "bob@example.com" is the same as that of/);
    assert.match(reasons[idOf(bobSpaced)] ?? "", /^email " Bob@example.com" is the same as that of/);
    assert.equal(reasons[idOf(badEmail)], 'invalid email "not-an-email"');
    assert.equal(reasons[idOf(badPhone)], "invalid phone number 0000000000 for IN");
    assert.equal(reasons[idOf(noCountry)], "phone number 9876543210 without a known country");
    assert.equal(reasons[idOf(badUsername)], 'invalid username "bad name!"');
    assert.deepEqual(
      (await allUsers()).map((row) => row.id),
      [idOf(fine)],
    );
  });

  it("skips an account whose name a different existing account holds, and replaces a referral id already taken", async () => {
    const now = new Date();
    await target.insert(users).values({
      id: "99999999-9999-4999-8999-999999999999",
      username: "signed-up",
      usernameCanonical: "signed-up",
      email: "new@example.com",
      emailCanonical: "new@example.com",
      passwordHash: "x",
      referralId: "TAKEN12345",
      createdAt: now,
      updatedAt: now,
    });
    const sameName = account(40, { user: { username: "Signed-Up" } });
    const sameEmail = account(41, { user: { email: "NEW@example.com" } });
    const referral = account(42, { profile: { referral_id: "taken12345" } });
    const summary = await run(await originalDatabase([sameName, sameEmail, referral]));

    assert.equal(summary.imported, 1);
    assert.deepEqual(skippedReasons(summary), {
      [idOf(sameName)]: 'a different account (99999999-9999-4999-8999-999999999999) already holds the username "Signed-Up"',
      [idOf(sameEmail)]: 'a different account (99999999-9999-4999-8999-999999999999) already holds the email "NEW@example.com"',
    });
    const row = await readUser(idOf(referral));
    assert.notEqual(row?.referralId.toLowerCase(), "taken12345");
    assert.deepEqual(summary.adjusted, [{ id: idOf(referral), note: "referral_id taken12345 is taken in the target: new one" }]);
  });

  it("imports accounts whose password cannot be checked here, stored as they are, and lists them for a reset", async () => {
    const hashes = {
      unusable: "!Xk3pQz9Lm2Vb7Nc4Rt8Yw1Hs6Gd5Fa0Je3Ku2Io",
      argon2: "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      bcrypt: "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuuQ1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o",
      tooMany: `pbkdf2_sha256$2000000$c2FsdA$${Buffer.alloc(32, 1).toString("base64")}`,
    };
    const fixtures = Object.values(hashes).map((password, index) => account(50 + index, { user: { password } }));
    const usable = account(59);
    const summary = await run(await originalDatabase([...fixtures, usable]));

    assert.equal(summary.imported, 5);
    assert.deepEqual(summary.passwordReset, [
      { id: idOf(fixtures[0] as Fixture), note: "unusable password (!...)" },
      { id: idOf(fixtures[1] as Fixture), note: "password format argon2 is not read by this service" },
      { id: idOf(fixtures[2] as Fixture), note: "password format bcrypt_sha256 is not read by this service" },
      {
        id: idOf(fixtures[3] as Fixture),
        note: "pbkdf2_sha256 hash that cannot be read (iterations above 1,000,000 or malformed)",
      },
    ]);
    for (const [index, password] of Object.values(hashes).entries()) {
      assert.equal((await readUser(idOf(fixtures[index] as Fixture)))?.passwordHash, password);
    }
  });
});

describe("Django importer: runs", () => {
  it("is idempotent: a second run writes nothing and finds every account already present", async () => {
    const fixtures = [account(60), account(61, { profile: null }), account(62, { user: { email: "bad" } })];
    const from = await originalDatabase(fixtures);
    const first = await run(from);
    assert.equal(first.imported, 2);
    const before = await allUsers();

    const second = await run(from, { now: new Date() });
    assert.equal(second.imported, 0);
    assert.deepEqual(second.alreadyPresent, [idOf(fixtures[0] as Fixture), idOf(fixtures[1] as Fixture)]);
    assert.deepEqual(second.skipped, first.skipped);
    assert.deepEqual(await allUsers(), before);
  });

  it("writes nothing in a dry run and reports the counts the real run then has", async () => {
    const fixtures = [account(70), account(71, { user: { password: "!unusable" } }), account(72, { user: { email: "bad" } })];
    const from = await originalDatabase(fixtures);
    const dry = await run(from, { dryRun: true });
    assert.equal((await allUsers()).length, 0);
    const real = await run(from);
    assert.equal(dry.dryRun, true);
    assert.equal(real.dryRun, false);
    for (const field of ["imported", "alreadyPresent", "skipped", "passwordReset", "adjusted"] as const) {
      assert.deepEqual(dry[field], real[field], field);
    }
    assert.equal(real.imported, 2);
    assert.deepEqual(dry.roundTrips, { source: 2, target: 1 });
    assert.deepEqual(real.roundTrips, { source: 2, target: 2 });
  });

  it("reads and writes in batches: 2,500 accounts with --batch 1000 take 4 reads and 6 writes", async () => {
    const fixtures = Array.from({ length: 2500 }, (_, index) =>
      account(1000 + index, { profile: { phone_number: `98765${String(index).padStart(5, "0")}` } }),
    );
    const from = await originalDatabase(fixtures);
    const first = await run(from, { batch: 1000 });
    assert.equal(first.imported, 2500);
    // Source: the identifiers once (duplicate check), then 3 pages. Target: per page, 1 check + 1 INSERT.
    assert.deepEqual(first.roundTrips, { source: 4, target: 6 });
    assert.equal((await allUsers()).length, 2500);

    const second = await run(from, { batch: 1000 });
    assert.equal(second.imported, 0);
    assert.equal(second.alreadyPresent.length, 2500);
    assert.deepEqual(second.roundTrips, { source: 4, target: 3 });
  });

  it("writes through the PlanetScale HTTP protocol as through mysql://", async () => {
    const fixtures = [account(80), account(81, { profile: { phone_number: "9876543210", referral_id: "Ref0000081" } })];
    const from = await originalDatabase(fixtures);
    const first = await run(from, { to: stack.databaseUrl });
    assert.equal(first.imported, 2);
    assert.equal((await readUser(idOf(fixtures[1] as Fixture)))?.phoneNumber, "+919876543210");
    const second = await run(from, { to: stack.databaseUrl });
    assert.equal(second.alreadyPresent.length, 2);
  });
});

describe("npm run import:django", () => {
  const script = fileURLToPath(new URL("import.ts", import.meta.url));
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", script, ...args], {
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: "" },
    });

  it("prints the summary, and the same one for a dry run", async () => {
    const from = await originalDatabase([account(90), account(91, { user: { password: "!x" } })]);
    const dry = cli(["--from", from, "--to", stack.mysqlUrl, "--dry-run", "--batch", "1"]);
    assert.equal(dry.status, 0, dry.stderr);
    assert.equal((await allUsers()).length, 0);
    const real = cli(["--from", from, "--to", stack.mysqlUrl, "--batch", "1"]);
    assert.equal(real.status, 0, real.stderr);
    const id = idOf(account(91));
    const expected = (writes: number) =>
      `imported 2\nalready present 0\nskipped 0\nneeds password reset 1\n  ${id}: unusable password (!...)\nadjusted 0\nround trips: source 4, target ${writes}\n`;
    assert.equal(dry.stdout, `dry run: nothing was written\n${expected(2)}`);
    assert.equal(real.stdout, expected(4));
  });

  it("refuses flags it does not know", () => {
    const result = cli(["--from", "mysql://root@127.0.0.1/x", "--images", "/srv/media"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Unknown option '--images'/);
  });

  it("checks the --media flags before reading anything", () => {
    const base = ["--from", "mysql://root@127.0.0.1/x", "--to", "mysql://root@127.0.0.1/y"];
    const media = mkdtempSync(join(tmpdir(), "django-media-flags-"));
    try {
      const cases: [string[], RegExp][] = [
        [["--r2", "local"], /--r2 needs --media/],
        [["--media", join(media, "nope")], /is not a directory/],
        [["--media", media, "--r2", "remote"], /--r2 remote needs --env production or --env preview/],
        [["--media", media, "--env", "production"], /--env is for --r2 remote/],
        [["--media", media, "--r2", "remote", "--env", "production", "--persist-to", media], /--persist-to is for --r2 local/],
      ];
      for (const [args, message] of cases) {
        const result = cli([...base, ...args]);
        assert.equal(result.status, 2, args.join(" "));
        assert.match(result.stderr, message);
      }
    } finally {
      rmSync(media, { recursive: true, force: true });
    }
  });

  it("needs a target", () => {
    const result = cli(["--from", "mysql://root@127.0.0.1/x"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /give --to, or set DATABASE_URL/);
  });
});

// A 1x1 PNG, and JPEG and WebP files that begin as such files do (the check reads magic bytes only).
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const JPEG = Buffer.from("ffd8ffe000104a46494600010100000100010000ffdb004300ffd9", "hex");
const WEBP = Buffer.concat([Buffer.from("RIFF"), Buffer.from([26, 0, 0, 0]), Buffer.from("WEBPVP8L"), Buffer.alloc(18, 1)]);

interface StoredObject {
  contentType: string | undefined;
  bytes: Buffer;
}
interface LocalBucket {
  get(key: string): Promise<{ httpMetadata?: { contentType?: string }; arrayBuffer(): Promise<ArrayBuffer> } | null>;
}

/** The objects as the worker's PROFILE_IMAGES binding under `npm run dev` sees them, from `persistTo`. */
async function readBack(persistTo: string, ids: string[]): Promise<Record<string, StoredObject | null>> {
  const { getPlatformProxy } = await import("wrangler");
  const proxy = await getPlatformProxy<{ PROFILE_IMAGES: LocalBucket }>({
    configPath: fileURLToPath(new URL("../../wrangler.toml", import.meta.url)),
    // wrangler's --persist-to DIR keeps its state in DIR/v3.
    persist: { path: join(persistTo, "v3") },
  });
  try {
    const objects: Record<string, StoredObject | null> = {};
    for (const id of ids) {
      const object = await proxy.env.PROFILE_IMAGES.get(`profile-images/${id}`);
      objects[id] = object
        ? { contentType: object.httpMetadata?.contentType, bytes: Buffer.from(await object.arrayBuffer()) }
        : null;
    }
    return objects;
  } finally {
    await proxy.dispose();
  }
}

describe("Django importer: profile images (--media)", () => {
  let dir: string;
  let media: MediaOptions;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "django-media-"));
    const folder = join(dir, "media", "profile_images");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "a.png"), PNG);
    writeFileSync(join(folder, "b.jpg"), JPEG);
    writeFileSync(join(folder, "c.webp"), WEBP);
    writeFileSync(join(folder, "fake.png"), "not a picture, only text\n");
    writeFileSync(join(folder, "big.png"), Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024 + 1 - PNG.length)]));
    writeFileSync(join(dir, "outside.png"), PNG);
    media = { dir: join(dir, "media"), persistTo: join(dir, "wrangler-state") };
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("copies the valid images of imported accounts, lists the others, and copies nothing new on a second run", async () => {
    const image = (n: number, path: string, user: Values = {}) => account(n, { user, profile: { profile_image: path } });
    const png = image(200, "profile_images/a.png");
    const jpeg = image(201, "profile_images/b.jpg");
    const fake = image(202, "profile_images/fake.png");
    const missing = image(203, "profile_images/missing.png");
    const big = image(204, "profile_images/big.png");
    const outside = image(205, "../outside.png");
    const none = account(207);
    const present = image(208, "profile_images/c.webp");
    // `present` is in the target before the run, without an image.
    assert.equal((await run(await originalDatabase([present]))).imported, 1);

    const from = await originalDatabase([png, jpeg, fake, missing, big, outside, none, present]);
    const expectedCopies = [
      { id: idOf(png), path: "profile_images/a.png", contentType: "image/png", size: PNG.length },
      { id: idOf(jpeg), path: "profile_images/b.jpg", contentType: "image/jpeg", size: JPEG.length },
    ];
    const expectedSkips = [
      { id: idOf(fake), path: "profile_images/fake.png", note: "not a JPEG, PNG or WebP image (by its content)" },
      { id: idOf(missing), path: "profile_images/missing.png", note: "file not found" },
      { id: idOf(big), path: "profile_images/big.png", note: "2097153 bytes, over the 2 MiB limit" },
      { id: idOf(outside), path: "../outside.png", note: "path outside the media folder" },
    ];

    const dry = await run(from, { dryRun: true, media });
    assert.deepEqual(dry.images, { copied: expectedCopies, alreadyInR2: [], skipped: expectedSkips, wranglerCalls: 0 });

    const first = await run(from, { media });
    assert.equal(first.imported, 7);
    assert.deepEqual(first.alreadyPresent, [idOf(present)]);
    // One `wrangler r2 object put` per copied image; accounts already present are not looked at.
    assert.deepEqual(first.images, { copied: expectedCopies, alreadyInR2: [], skipped: expectedSkips, wranglerCalls: 2 });

    const second = await run(from, { media });
    assert.equal(second.imported, 0);
    assert.deepEqual(second.images, { copied: [], alreadyInR2: [], skipped: [], wranglerCalls: 0 });

    // --media-recheck: accounts already present get their image when its object is missing, and
    // an object already there is left as it is (one `get` each, then one `put`).
    const recheck = await run(from, { media: { ...media, recheck: true } });
    assert.deepEqual(recheck.images, {
      copied: [{ id: idOf(present), path: "profile_images/c.webp", contentType: "image/webp", size: WEBP.length }],
      alreadyInR2: [idOf(png), idOf(jpeg)],
      skipped: expectedSkips,
      wranglerCalls: 4,
    });

    const objects = await readBack(media.persistTo as string, [png, jpeg, present, fake, none].map(idOf));
    assert.deepEqual(objects, {
      [idOf(png)]: { contentType: "image/png", bytes: PNG },
      [idOf(jpeg)]: { contentType: "image/jpeg", bytes: JPEG },
      [idOf(present)]: { contentType: "image/webp", bytes: WEBP },
      [idOf(fake)]: null,
      [idOf(none)]: null,
    });
  });

  it("prints the images in the summary (dry run: no wrangler call)", async () => {
    const script = fileURLToPath(new URL("import.ts", import.meta.url));
    const from = await originalDatabase([
      account(210, { profile: { profile_image: "profile_images/a.png" } }),
      account(211, { profile: { profile_image: "profile_images/missing.png" } }),
    ]);
    const result = spawnSync(
      process.execPath,
      [
        "--disable-warning=ExperimentalWarning",
        script,
        "--from",
        from,
        "--to",
        stack.mysqlUrl,
        "--dry-run",
        "--media",
        media.dir,
      ],
      { encoding: "utf8", env: { ...process.env, DATABASE_URL: "" } },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        "dry run: nothing was written",
        "imported 2",
        "already present 0",
        "skipped 0",
        "needs password reset 0",
        "adjusted 0",
        "images copied 1",
        `  ${idOf(account(210))}: profile_images/a.png (image/png, ${PNG.length} bytes)`,
        "images not copied 1",
        `  ${idOf(account(211))} "profile_images/missing.png": file not found`,
        "round trips: source 2, target 1, wrangler 0",
        "",
      ].join("\n"),
    );
  });
});
