// Profile images from the original's media folder into this service's R2 bucket (one object per
// user at `profile-images/<id>`, as src/stores/image-store.ts keeps them), through the wrangler CLI:
// `wrangler r2 object put <bucket>/<key> --file <path> --content-type <type> --local|--remote`.
// A file is copied only when the upload endpoint would accept it: JPEG, PNG or WebP by its magic
// bytes (src/lib/image-type.ts, the upload's own check) and at most 2 MiB.
import { spawn } from "node:child_process";
import { open, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { detectImageType, PROFILE_IMAGE_MAX_BYTES } from "../../src/lib/image-type.ts";

export type R2Mode = "local" | "remote";
export type R2Env = "production" | "preview";

export interface MediaOptions {
  /** The original's media folder (MEDIA_ROOT): `profile_image` paths are relative to it. */
  dir: string;
  /** `local` (default): the bucket `npm run dev` uses; `remote`: the deployed bucket of `env`. */
  r2?: R2Mode;
  /** Which deployed environment's bucket (wrangler.toml's [env.*]); required with `remote`, refused with `local`. */
  env?: R2Env;
  /** Local only: wrangler's persistence directory; default wrangler's own (.wrangler/state, as `npm run dev`). */
  persistTo?: string;
  /** Also accounts already present: copy their image when its object is missing (one check each). */
  recheck?: boolean;
}

export interface ImageCopy {
  id: string;
  path: string;
  contentType: string;
  size: number;
}

export interface ImageNote {
  id: string;
  path: string;
  note: string;
}

export interface MediaSummary {
  /** Copied (or, in a dry run, that would be copied). */
  copied: ImageCopy[];
  /** With `recheck`: accounts already present whose object is already in R2 (left as it is). */
  alreadyInR2: string[];
  /** Images not copied, with the reason (the account is imported without an image). */
  skipped: ImageNote[];
  /** wrangler processes started (each about 2-3 s). */
  wranglerCalls: number;
}

/** The object key of a user's image (src/stores/image-store.ts). */
export const imageKey = (userId: string) => `profile-images/${userId}`;

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = `${ROOT}node_modules/wrangler/bin/wrangler.js`;
const MISSING_KEY = /The specified key does not exist/;

type Checked = { ok: true; file: string; contentType: string; size: number } | { ok: false; reason: string };

/** Whether `dir/relativePath` is a file the upload endpoint would accept, and its type. */
export async function checkImageFile(dir: string, relativePath: string): Promise<Checked> {
  const file = resolve(dir, relativePath);
  const inside = relative(dir, file);
  if (isAbsolute(relativePath) || inside === "" || inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside)) {
    return { ok: false, reason: "path outside the media folder" };
  }
  const info = await stat(file).catch(() => null);
  if (!info) return { ok: false, reason: "file not found" };
  if (!info.isFile()) return { ok: false, reason: "not a file" };
  if (info.size === 0) return { ok: false, reason: "empty file" };
  if (info.size > PROFILE_IMAGE_MAX_BYTES) return { ok: false, reason: `${info.size} bytes, over the 2 MiB limit` };
  const handle = await open(file, "r");
  const head = new Uint8Array(16);
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const type = detectImageType(head);
  if (!type) return { ok: false, reason: "not a JPEG, PNG or WebP image (by its content)" };
  return { ok: true, file, contentType: type.contentType, size: info.size };
}

/** The PROFILE_IMAGES bucket's name in wrangler.toml: top level for local (as `npm run dev`), else [env.<env>]. */
async function bucketName(options: MediaOptions): Promise<string> {
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig({ config: `${ROOT}wrangler.toml`, env: options.r2 === "remote" ? options.env : undefined });
  const buckets: { binding: string; bucket_name?: string }[] = config.r2_buckets;
  const binding = buckets.find((bucket) => bucket.binding === "PROFILE_IMAGES");
  if (!binding?.bucket_name) throw new Error("wrangler.toml has no PROFILE_IMAGES bucket for this environment");
  return binding.bucket_name;
}

interface Result {
  status: number | null;
  stderr: string;
}

/** The bucket, through wrangler's CLI (one process per operation). */
export class WranglerBucket {
  calls = 0;
  readonly name: string;
  private readonly options: MediaOptions;

  private constructor(name: string, options: MediaOptions) {
    this.name = name;
    this.options = options;
  }

  static async open(options: MediaOptions): Promise<WranglerBucket> {
    return new WranglerBucket(await bucketName(options), options);
  }

  private flags(): string[] {
    const { r2 = "local", env, persistTo } = this.options;
    if (r2 === "remote") return ["--remote", ...(env ? ["--env", env] : [])];
    return ["--local", ...(persistTo ? ["--persist-to", resolve(persistTo)] : [])];
  }

  private run(args: string[]): Promise<Result> {
    this.calls++;
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, [WRANGLER, ...args, ...this.flags()], {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      child.on("error", fail);
      child.on("close", (status) => done({ status, stderr }));
    });
  }

  private failure(what: string, result: Result): Error {
    const detail = result.stderr
      .replace(/\u001b\[[0-9;]*m/g, "")
      .trim()
      .split("\n")
      .slice(-5)
      .join(" ")
      .trim();
    return new Error(`wrangler r2 object ${what} failed (exit ${result.status}): ${detail}`);
  }

  async exists(userId: string): Promise<boolean> {
    const result = await this.run(["r2", "object", "get", `${this.name}/${imageKey(userId)}`, "--pipe"]);
    if (result.status === 0) return true;
    if (MISSING_KEY.test(result.stderr)) return false;
    throw this.failure("get", result);
  }

  async put(userId: string, file: string, contentType: string): Promise<void> {
    const key = `${this.name}/${imageKey(userId)}`;
    const result = await this.run(["r2", "object", "put", key, "--file", file, "--content-type", contentType]);
    if (result.status !== 0) throw this.failure("put", result);
  }
}

export interface ImageJob {
  id: string;
  path: string;
  /** The account was written by this run (no object can be there yet), or was already present (check first). */
  present: boolean;
}

/** Copies the images of one page of accounts, in order; stops at the first wrangler failure. */
export class MediaCopier {
  readonly summary: MediaSummary = { copied: [], alreadyInR2: [], skipped: [], wranglerCalls: 0 };
  private readonly options: MediaOptions;
  private readonly dryRun: boolean;
  private bucket: WranglerBucket | undefined;

  constructor(options: MediaOptions, dryRun: boolean) {
    this.options = options;
    this.dryRun = dryRun;
  }

  get recheck(): boolean {
    return Boolean(this.options.recheck);
  }

  private async open(): Promise<WranglerBucket> {
    this.bucket ??= await WranglerBucket.open(this.options);
    return this.bucket;
  }

  async copy(jobs: ImageJob[]): Promise<void> {
    for (const job of jobs) {
      const checked = await checkImageFile(this.options.dir, job.path);
      if (!checked.ok) {
        this.summary.skipped.push({ id: job.id, path: job.path, note: checked.reason });
        continue;
      }
      if (job.present) {
        const bucket = await this.open();
        try {
          if (await bucket.exists(job.id)) {
            this.summary.alreadyInR2.push(job.id);
            continue;
          }
        } finally {
          this.summary.wranglerCalls = bucket.calls;
        }
      }
      if (!this.dryRun) {
        const bucket = await this.open();
        try {
          await bucket.put(job.id, checked.file, checked.contentType);
        } finally {
          this.summary.wranglerCalls = bucket.calls;
        }
      }
      this.summary.copied.push({ id: job.id, path: job.path, contentType: checked.contentType, size: checked.size });
    }
  }
}
