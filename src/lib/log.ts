// The one logger: a JSON line per event ({level, event, request_id, ...fields}), so Cloudflare's
// log search can filter on any field. Messages are never built from request bodies; errors are
// described through the redaction rules (database errors quote their parameters).
import { describeError } from "./redact.ts";

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. the request id) to every line. */
  with(fields: LogFields): Logger;
}

/** An `error` field is written as its redacted description, never as the raw object. */
function line(level: string, event: string, base: LogFields, fields: LogFields): string {
  const { error, ...rest } = fields;
  return JSON.stringify({ level, event, ...base, ...rest, ...(error === undefined ? {} : { error: describeError(error) }) });
}

export function createLogger(base: LogFields = {}): Logger {
  return {
    info: (event, fields = {}) => console.log(line("info", event, base, fields)),
    warn: (event, fields = {}) => console.warn(line("warn", event, base, fields)),
    error: (event, fields = {}) => console.error(line("error", event, base, fields)),
    with: (fields) => createLogger({ ...base, ...fields }),
  };
}

/** For code that runs before a request has its own logger (configuration, module scope). */
export const log = createLogger();
