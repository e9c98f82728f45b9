// Moves the original Django service's users into this service's `users` table
// (docs/migrating-from-django.md). Idempotent: an account whose id is already there is left as it
// is. Per page of `batch` source rows: one SELECT on the source, one SELECT on the target for the
// ids and names already taken, one multi-row INSERT; a batch is written whole or not at all.
// With `media`, then the profile images of the page's newly written accounts (media.ts).
import { canonicalEmail, canonicalUsername } from "../../src/lib/identifiers.ts";
import { collisionKey, dashedUuid, type ImportRow, mapRow, newReferralId } from "./mapping.ts";
import { type ImageJob, MediaCopier, type MediaOptions, type MediaSummary } from "./media.ts";
import { DjangoSource, type SourceIdentity, type SourceRow } from "./source.ts";
import { DuplicateKeyError, type TakenRow, Target } from "./target.ts";

export interface ImportOptions {
  from: string;
  to: string;
  dryRun?: boolean;
  batch?: number;
  now?: Date;
  /** Copy profile images into R2 (media.ts); without it images are not touched. */
  media?: MediaOptions;
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
  /** With `media`: the profile images copied and not copied. */
  images?: MediaSummary;
}

interface Candidate {
  row: ImportRow;
  username: string;
  duplicate: string | undefined;
  passwordReset: string | null;
  adjustments: string[];
  profileImage: string | null;
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
  private readonly media: MediaCopier | undefined;
  /** This page's images to copy once its accounts are written. */
  private images: ImageJob[] = [];

  constructor(summary: ImportSummary, target: Target, media: MediaCopier | undefined) {
    this.summary = summary;
    this.target = target;
    this.media = media;
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
      const profileImage = source.profile_image?.trim() || null;
      candidates.push({
        row,
        username: source.username,
        duplicate: duplicates.get(source.user_id),
        passwordReset,
        adjustments,
        profileImage,
      });
    }
    this.images = [];
    await this.write(candidates);
    // Images after the page's accounts: an image is only ever copied for an account that exists.
    if (this.media && this.images.length > 0) await this.media.copy(this.images);
  }

  private async write(candidates: Candidate[]): Promise<void> {
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

  /** An account whose id is already in the target: left as it is; its image only with --media-recheck. */
  private present(candidate: Candidate): void {
    this.summary.alreadyPresent.push(candidate.row.id);
    if (this.media?.recheck && candidate.profileImage)
      this.images.push({ id: candidate.row.id, path: candidate.profileImage, present: true });
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
        this.present(candidate);
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
        if (error.key.includes("PRIMARY")) return this.present(candidate);
        if (!error.key.includes("referral")) return this.skip(candidate.row.id, candidate.username, `refused: ${error.message}`);
        candidate.row.referralId = newReferralId();
      }
    }
    this.skip(candidate.row.id, candidate.username, "no free referral id after 3 attempts");
  }

  private record(written: Candidate[]): void {
    this.summary.imported += written.length;
    for (const { row, passwordReset, adjustments, profileImage } of written) {
      if (passwordReset) this.summary.passwordReset.push({ id: row.id, note: passwordReset });
      for (const note of adjustments) this.summary.adjusted.push({ id: row.id, note });
      if (profileImage) this.images.push({ id: row.id, path: profileImage, present: false });
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
  const media = options.media ? new MediaCopier(options.media, summary.dryRun) : undefined;
  if (media) summary.images = media.summary;
  const source = await DjangoSource.connect(options.from);
  let target: Target | undefined;
  try {
    target = await Target.connect(options.to);
    const duplicates = findSourceDuplicates(await source.identities());
    const batch = new Batch(summary, target, media);
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
  const { images } = summary;
  if (images) {
    list(
      "images copied",
      images.copied.map((image) => `${image.id}: ${image.path} (${image.contentType}, ${image.size} bytes)`),
    );
    if (images.alreadyInR2.length > 0) list("images already in R2", images.alreadyInR2);
    list(
      "images not copied",
      images.skipped.map((image) => `${image.id} ${JSON.stringify(image.path)}: ${image.note}`),
    );
  }
  const r2 = images ? `, wrangler ${images.wranglerCalls}` : "";
  lines.push(`round trips: source ${summary.roundTrips.source}, target ${summary.roundTrips.target}${r2}`);
  return lines.join("\n");
}
