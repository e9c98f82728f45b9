// Moves the original Django service's users into this service's `users` table
// (docs/migrating-from-django.md). Idempotent: an account whose id is already there is left as it
// is. Per page of `batch` source rows: one SELECT on the source, one SELECT on the target for the
// ids and names already taken, one multi-row INSERT; a batch is written whole or not at all.
import { canonicalEmail, canonicalUsername } from "../../src/lib/identifiers.ts";
import { collisionKey, dashedUuid, type ImportRow, mapRow, newReferralId } from "./mapping.ts";
import { DjangoSource, type SourceIdentity, type SourceRow } from "./source.ts";
import { DuplicateKeyError, type TakenRow, Target } from "./target.ts";

export interface ImportOptions {
  from: string;
  to: string;
  dryRun?: boolean;
  batch?: number;
  now?: Date;
}

export interface RowNote {
  id: string;
  note: string;
}

export interface ImportSummary {
  dryRun: boolean;
  /** Written (or, in a dry run, that would be written). */
  imported: number;
  alreadyPresent: string[];
  skipped: (RowNote & { username: string })[];
  /** Imported accounts whose password cannot be checked here: they log in after a password reset. */
  passwordReset: RowNote[];
  /** Imported accounts with a value changed to fit the new rules. */
  adjusted: RowNote[];
  roundTrips: { source: number; target: number };
}

interface Candidate {
  row: ImportRow;
  username: string;
  duplicate: string | undefined;
  passwordReset: string | null;
  adjustments: string[];
}

export const DEFAULT_BATCH = 1000;

/** Source accounts the new rules make one (equal canonical username or email): every one of them is skipped. */
export function findSourceDuplicates(identities: SourceIdentity[]): Map<string, string> {
  const reasons = new Map<string, string>();
  const fields = [
    ["username", canonicalUsername],
    ["email", canonicalEmail],
  ] as const;
  for (const [field, canonical] of fields) {
    const groups = new Map<string, SourceIdentity[]>();
    for (const identity of identities) {
      const key = collisionKey(canonical(identity[field]));
      groups.set(key, [...(groups.get(key) ?? []), identity]);
    }
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      for (const member of group) {
        const others = group.filter((other) => other !== member).map((other) => dashedUuid(other.user_id) ?? other.user_id);
        const reason = `${field} ${JSON.stringify(member[field])} is the same as that of ${others.join(", ")} once canonicalised`;
        const previous = reasons.get(member.user_id);
        reasons.set(member.user_id, previous ? `${previous}; ${reason}` : reason);
      }
    }
  }
  return reasons;
}

class Batch {
  readonly summary: ImportSummary;
  private readonly target: Target;

  constructor(summary: ImportSummary, target: Target) {
    this.summary = summary;
    this.target = target;
  }

  skip(id: string, username: string, note: string) {
    this.summary.skipped.push({ id, username, note });
  }

  async run(page: SourceRow[], duplicates: Map<string, string>, now: Date): Promise<void> {
    const candidates: Candidate[] = [];
    for (const source of page) {
      const mapped = mapRow(source, now);
      if (!mapped.ok) {
        this.skip(dashedUuid(source.user_id) ?? source.user_id, source.username, mapped.reason);
        continue;
      }
      const { row, passwordReset, adjustments } = mapped;
      candidates.push({ row, username: source.username, duplicate: duplicates.get(source.user_id), passwordReset, adjustments });
    }
    const taken = await this.target.taken(candidates.map((candidate) => candidate.row));
    const toInsert = this.admit(candidates, taken);
    if (this.summary.dryRun || toInsert.length === 0) return this.record(toInsert);
    try {
      await this.target.insert(toInsert.map((candidate) => candidate.row));
      this.record(toInsert);
    } catch (error) {
      // A signup (or another run) took a name since the check, or the target's collation equates
      // two names this check did not: row by row, so only the refused rows are left out.
      if (!(error instanceof DuplicateKeyError)) throw error;
      for (const candidate of toInsert) await this.insertOne(candidate);
    }
  }

  /** Decides each candidate against what the target holds; returns those to write. */
  private admit(candidates: Candidate[], taken: TakenRow[]): Candidate[] {
    const ids = new Set(taken.map((row) => row.id));
    const usernames = new Map(taken.map((row) => [collisionKey(row.usernameCanonical), row.id]));
    const emails = new Map(taken.map((row) => [collisionKey(row.emailCanonical), row.id]));
    const referrals = new Set(taken.map((row) => row.referralId.toLowerCase()));
    const admitted: Candidate[] = [];
    for (const candidate of candidates) {
      const { row } = candidate;
      if (ids.has(row.id)) {
        this.summary.alreadyPresent.push(row.id);
        continue;
      }
      if (candidate.duplicate) {
        this.skip(row.id, candidate.username, candidate.duplicate);
        continue;
      }
      const usernameHolder = usernames.get(collisionKey(row.usernameCanonical));
      const emailHolder = emails.get(collisionKey(row.emailCanonical));
      if (usernameHolder || emailHolder) {
        const field = usernameHolder ? `username ${JSON.stringify(row.username)}` : `email ${JSON.stringify(row.email)}`;
        this.skip(
          row.id,
          candidate.username,
          `a different account (${usernameHolder ?? emailHolder}) already holds the ${field}`,
        );
        continue;
      }
      // Referral ids compare case-insensitively under the target's collation.
      if (referrals.has(row.referralId.toLowerCase())) {
        candidate.adjustments.push(`referral_id ${row.referralId} is taken in the target: new one`);
        do row.referralId = newReferralId();
        while (referrals.has(row.referralId.toLowerCase()));
      }
      referrals.add(row.referralId.toLowerCase());
      admitted.push(candidate);
    }
    return admitted;
  }

  private async insertOne(candidate: Candidate): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.target.insert([candidate.row]);
        return this.record([candidate]);
      } catch (error) {
        if (!(error instanceof DuplicateKeyError)) throw error;
        if (error.key.includes("PRIMARY")) return void this.summary.alreadyPresent.push(candidate.row.id);
        if (!error.key.includes("referral")) return this.skip(candidate.row.id, candidate.username, `refused: ${error.message}`);
        candidate.row.referralId = newReferralId();
      }
    }
    this.skip(candidate.row.id, candidate.username, "no free referral id after 3 attempts");
  }

  private record(written: Candidate[]): void {
    this.summary.imported += written.length;
    for (const { row, passwordReset, adjustments } of written) {
      if (passwordReset) this.summary.passwordReset.push({ id: row.id, note: passwordReset });
      for (const note of adjustments) this.summary.adjusted.push({ id: row.id, note });
    }
  }
}

export async function importDjangoUsers(options: ImportOptions): Promise<ImportSummary> {
  const batchSize = options.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error("--batch must be a positive integer");
  const now = options.now ?? new Date();
  const summary: ImportSummary = {
    dryRun: Boolean(options.dryRun),
    imported: 0,
    alreadyPresent: [],
    skipped: [],
    passwordReset: [],
    adjusted: [],
    roundTrips: { source: 0, target: 0 },
  };
  const source = await DjangoSource.connect(options.from);
  let target: Target | undefined;
  try {
    target = await Target.connect(options.to);
    const duplicates = findSourceDuplicates(await source.identities());
    const batch = new Batch(summary, target);
    let after = "";
    for (;;) {
      const page = await source.page(after, batchSize);
      const last = page.at(-1);
      if (!last) break;
      await batch.run(page, duplicates, now);
      after = last.user_id;
      if (page.length < batchSize) break;
    }
  } finally {
    summary.roundTrips = { source: source.roundTrips, target: target?.roundTrips ?? 0 };
    await source.close().catch(() => undefined);
    await target?.close().catch(() => undefined);
  }
  return summary;
}

export function formatSummary(summary: ImportSummary): string {
  const lines: string[] = [];
  const list = (title: string, rows: string[]) => {
    lines.push(`${title} ${rows.length}`);
    for (const row of rows) lines.push(`  ${row}`);
  };
  if (summary.dryRun) lines.push("dry run: nothing was written");
  lines.push(`imported ${summary.imported}`);
  list(
    "already present",
    summary.alreadyPresent.map((id) => id),
  );
  list(
    "skipped",
    summary.skipped.map((row) => `${row.id} ${JSON.stringify(row.username)}: ${row.note}`),
  );
  list(
    "needs password reset",
    summary.passwordReset.map((row) => `${row.id}: ${row.note}`),
  );
  list(
    "adjusted",
    summary.adjusted.map((row) => `${row.id}: ${row.note}`),
  );
  lines.push(`round trips: source ${summary.roundTrips.source}, target ${summary.roundTrips.target}`);
  return lines.join("\n");
}
