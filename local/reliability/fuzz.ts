// Fuzz phase: random methods, auth headers, content types and bodies at every route /openapi.json
// documents (plus a few unknown paths). Whatever arrives, the worker must answer: never a 5xx,
// never a hang, and always the JSON envelope (bodiless answers and the bare documents excepted).
// Samples come from one fast-check seed, printed in the notes, so a run can be replayed.
import fc from "fast-check";
import { type Context, isEnvelope, loggedIn, type PhaseResult, type Reply, send, Tally } from "./client.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];
// JSON types are drawn half the time, so that bodies get past the media-type gate to the parsers and validators.
const JSON_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json;",
  "application/json; charset=latin1",
];
const OTHER_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "garbage/\u00e9;;=", undefined];
const MULTIPART = "multipart/form-data; boundary=----fuzz";
const PROTO_KEYS = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype"];
const UNKNOWN_PATHS = ["/nope", "/auth/user/login/x", "/auth/%ff%fe", "/..%2f..%2fetc", "/%00", `/${"a".repeat(3000)}`];
// Answers that are not envelopes by design: the bare documents and the HTML reference.
const BARE = new Set(["GET /openapi.json", "GET /.well-known/jwks.json", "GET /docs"]);
const SESSIONS = 4;

interface Route {
  method: string;
  template: string;
  fields: string[];
}
type Auth = { kind: "none" } | { kind: "session"; slot: number } | { kind: "header"; label: string; value: string };
interface Sample {
  route: Route;
  path: string;
  method: string;
  auth: Auth;
  contentType: string | undefined;
  body: string | Uint8Array<ArrayBuffer> | undefined;
}

/** Every property name a request schema mentions (following $refs), to aim wrong types at real fields. */
function fieldsOf(schema: unknown, doc: Record<string, unknown>, depth = 0, out = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== "object" || depth > 6) return out;
  const node = schema as Record<string, unknown>;
  if (typeof node.$ref === "string") {
    const target = node.$ref
      .slice(2)
      .split("/")
      .reduce<unknown>((at, key) => (at as Record<string, unknown>)?.[key], doc);
    return fieldsOf(target, doc, depth + 1, out);
  }
  for (const key of Object.keys((node.properties as object) ?? {})) out.add(key);
  for (const value of Object.values(node)) if (typeof value === "object") fieldsOf(value, doc, depth + 1, out);
  return out;
}

async function routesOf(base: string): Promise<Route[]> {
  const reply = await send(base, { path: "/openapi.json" });
  if (reply.status !== 200) throw new Error(`GET /openapi.json: ${reply.status} ${reply.text.slice(0, 200)}`);
  const doc = reply.body as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
  const routes: Route[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    // Plain workerd has no R2 bucket, so image routes answer CONFIG_ERROR here by design; the
    // workerd test suite (with miniflare's R2) covers them.
    if (template.startsWith("/profile/") && template.includes("profile_image")) continue;
    for (const [method, operation] of Object.entries(operations)) {
      routes.push({ method: method.toUpperCase(), template, fields: [...fieldsOf(operation.requestBody, doc)] });
    }
  }
  // The document and the reference page are not in the document itself.
  for (const template of ["/openapi.json", "/docs", ...UNKNOWN_PATHS]) routes.push({ method: "GET", template, fields: [] });
  return routes;
}

const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const hugeString = fc.integer({ min: 1_000, max: 70 * 1024 }).map((n) => "x".repeat(n));
const wrongValue = fc.oneof(
  { arbitrary: fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constant(null), fc.boolean()), weight: 6 },
  { arbitrary: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.object()), weight: 3 },
  { arbitrary: hugeString, weight: 1 },
);
const encoder = new TextEncoder();

function bodyFor(route: Route): fc.Arbitrary<Sample["body"]> {
  const fields = route.fields.length > 0 ? route.fields : ["username", "password", "email", "refresh", "code"];
  const field = fc.oneof(fc.constantFrom(...fields), fc.constantFrom(...PROTO_KEYS));
  return fc.oneof(
    fc.json(),
    fc.dictionary(fc.oneof(fc.constantFrom(...PROTO_KEYS, ...fields), fc.string()), fc.jsonValue()).map((v) => JSON.stringify(v)),
    {
      arbitrary: fc.array(fc.tuple(field, wrongValue), { maxLength: 6 }).map((e) => JSON.stringify(Object.fromEntries(e))),
      weight: 3,
    },
    fc.uint8Array({ maxLength: 512 }),
    // Invalid UTF-8 inside an otherwise well-formed JSON string: the decoder, not the parser, must cope.
    fc
      .tuple(fc.constantFrom(...fields), fc.uint8Array({ maxLength: 32 }))
      .map(([key, bytes]) => Uint8Array.of(...encoder.encode(`{"${key}":"`), 0xff, 0xc3, ...bytes, 0x22, 0x7d)),
    fc.constant(""),
    fc.constant(undefined),
  );
}

function sampleArbitrary(routes: Route[]): fc.Arbitrary<Sample> {
  const auth: fc.Arbitrary<Auth> = fc.oneof(
    fc.constant({ kind: "none" as const }),
    { arbitrary: fc.nat(SESSIONS - 1).map((slot) => ({ kind: "session" as const, slot })), weight: 3 },
    printable.map((token) => ({ kind: "header" as const, label: "garbage bearer", value: `Bearer ${token}` })),
    fc.tuple(fc.string(), fc.string()).map(([user, pass]) => ({
      kind: "header" as const,
      label: "basic",
      value: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`,
    })),
  );
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      // {id} and friends get arbitrary text; a trailing slash sometimes, since every path takes one.
      path: fc
        .tuple(fc.string({ minLength: 1 }), fc.boolean())
        .map(([param, slash]) => route.template.replace(/\{[^}]+\}/g, encodeURIComponent(param)) + (slash ? "/" : "")),
      method: fc.oneof({ arbitrary: fc.constant(route.method), weight: 4 }, fc.constantFrom(...METHODS)),
      auth,
      contentType: fc.oneof(fc.constantFrom(...JSON_TYPES), fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES, MULTIPART)),
      body: bodyFor(route),
    }),
  );
}

/** What rules an answer is held to: the envelope is waived for bodiless answers and the bare ones. */
function ruleBroken(sample: Sample, reply: Reply): string | null {
  if (reply.hung) return "hung";
  if (reply.status < 0) return "connection failed";
  if (reply.status >= 500) return "5xx";
  const route = `${sample.method} ${sample.path.replace(/(.)\/$/, "$1")}`;
  const download = route === "GET /profile/download_profile_image" && reply.status < 300;
  if (sample.method === "HEAD" || reply.status === 204 || BARE.has(route) || download) return null;
  return isEnvelope(reply) ? null : "no envelope";
}

function describe(body: Sample["body"]): string {
  if (body === undefined) return "none";
  const text = typeof body === "string" ? body : `bytes ${Buffer.from(body).toString("hex")}`;
  return `${text.length}B ${JSON.stringify(text.slice(0, 100))}`;
}

/** `label` names the target in the report (e.g. "workerd", "npm run dev"). */
export async function runFuzz(context: Pick<Context, "base">, count: number, label: string): Promise<PhaseResult> {
  const { base } = context;
  const started = performance.now();
  // FUZZ_SEED replays a run (the seed is in the notes).
  const seed = Number(process.env.FUZZ_SEED) || Date.now() ^ (Math.random() * 0x7fffffff);
  const routes = await routesOf(base);
  // Fuzzed logouts, deletes and password changes may end a session: a dead one is replaced.
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => loggedIn(base, "fuzz")));
  const renewing = new Set<number>();
  const samples = fc.sample(sampleArbitrary(routes), { numRuns: count, seed });
  const tally = new Tally();
  const violations = new Map<string, string>();
  const byRoute = new Map<string, number>();
  let renewed = 0;

  async function run(sample: Sample): Promise<void> {
    const headers: Record<string, string> = {};
    if (sample.contentType !== undefined) headers["content-type"] = sample.contentType;
    const { auth } = sample;
    if (auth.kind === "header") headers.authorization = auth.value;
    if (auth.kind === "session") headers.authorization = `Bearer ${sessions[auth.slot]?.access}`;
    // fetch refuses a body on GET and HEAD.
    const body = sample.method === "GET" || sample.method === "HEAD" ? undefined : sample.body;
    const reply = await send(base, { method: sample.method, path: sample.path, headers, body });
    tally.add(reply);
    const name = sample.route.template.slice(0, 48);
    byRoute.set(name, (byRoute.get(name) ?? 0) + 1);
    const broken = ruleBroken(sample, reply);
    // A reset lands on whichever request next used the socket, not on its cause: one entry for all.
    const key = reply.status < 0 ? "connection failed" : `${sample.method} ${sample.route.template} ${reply.status}`;
    if (broken && !violations.has(key)) {
      const label = auth.kind === "header" ? auth.label : auth.kind;
      const excerpt = reply.text.slice(0, 200).replace(/\s+/g, " ");
      violations.set(
        key,
        `${broken}: ${sample.method} ${sample.path.slice(0, 120)} [${sample.contentType ?? "no content-type"}; auth ${label}; body ${describe(body)}] -> ${reply.status} ${excerpt}`,
      );
    }
    if (auth.kind === "session" && reply.status === 401 && !renewing.has(auth.slot)) {
      renewing.add(auth.slot);
      const fresh = await loggedIn(base, "fuzz").catch(() => undefined);
      if (fresh) [sessions[auth.slot], renewed] = [fresh, renewed + 1];
      renewing.delete(auth.slot);
    }
  }

  // A small pool: enough to overlap requests, not so many that the fuzz turns into a load test.
  let next = 0;
  const worker = async () => {
    while (next < samples.length) await run(samples[next++] as Sample);
  };
  await Promise.all(Array.from({ length: 8 }, worker));

  const top = [...byRoute].sort(([, a], [, b]) => b - a).slice(0, 10);
  const notes = {
    seed,
    routesHit: byRoute.size,
    sessionsRenewed: renewed,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    byRoute: Object.fromEntries(top),
  };
  return { phase: `fuzz (${label})`, tally, violations: [...violations.values()], notes };
}
