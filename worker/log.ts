/**
 * The worker's one logger: one JSON line per notable event, with a stable
 * `event` name (README "Logs" lists every one and its fields), so a log
 * pipeline (Workers Logs, Logpush, Datadog) can filter and count them without
 * parsing prose. Shared by every layer, like errors.ts: it imports nothing.
 *
 * What a line may carry is typed per event ({@link LogEntry}); callers pass
 * figures and reasons, never requests, tokens or addresses. As a second guard
 * every string is scrubbed on its way out ({@link scrubbed}): anything shaped
 * like a JWT becomes `[token]`, any other long opaque run (a secret, a
 * signature) keeps its first 6 characters, and IP addresses are truncated
 * (IPv4 to its /24, IPv6 to its /48).
 *
 * Throttling stays with the callers that need it (store/log-throttle.ts): a
 * throttled event carries `heldBack`, the count of occurrences not logged
 * since its previous line.
 */

/** Every event the worker logs, with its fields. */
export type LogEntry =
  | {
      /** A store call failed (throttled per kind and reason). */
      readonly event: "store_failure";
      /** `outage`: the store is down or slow; `script_error`: a bug in the scripts or the reply mapping. */
      readonly kind: "outage" | "script_error";
      readonly reason: string;
      readonly heldBack: number;
      /** Seconds since this kind and reason was last logged (0 the first time). */
      readonly sinceSeconds: number;
    }
  | {
      /** A reply held a stored value the store could not read, and left it out (a script error; throttled). */
      readonly event: "store_value_unreadable";
      readonly reason: string;
      readonly heldBack: number;
      readonly sinceSeconds: number;
    }
  | {
      /** The store was down and this instance let newcomers in without a place (at most one line per 10 s). */
      readonly event: "fallback_admissions";
      /** The room's name: with several rooms, which one's store call failed and let these in. */
      readonly room: string;
      readonly mode: string;
      /** Why they were let in: `fallback_rate` (soft), `open`, `passthrough`. */
      readonly reason: string;
      readonly admitted: number;
      readonly refused: number;
      /** The instance's fallback rate, per minute (soft only; null otherwise). */
      readonly fallbackPerMinute: number | null;
      /** Live instances last counted (the fleet's share is divided among them; 1 when unknown). */
      readonly instances: number;
      /** Seconds covered by the counts (null: since the instance started). */
      readonly sinceSeconds: number | null;
    }
  | {
      /** An operator changed the live settings (PATCH /admin/settings). */
      readonly event: "settings_changed";
      readonly room: string;
      /** The fields the operator sent (SettingsPatch names), as sent; null puts a field back to its default. */
      readonly changed: Readonly<Record<string, string | number | boolean | null>>;
      readonly version: number;
    }
  | {
      readonly event: "event_scheduled";
      readonly room: string;
      readonly id: string;
      readonly startsAt: string;
      readonly endsAt: string | null;
      readonly prequeueFrom: string | null;
      readonly ratePerMinute: number | null;
      readonly mode: string | null;
    }
  | { readonly event: "event_deleted"; readonly room: string; readonly id: string }
  | {
      /** A script found the room's state gone and restored it from what the fleet remembered. */
      readonly event: "state_restored";
      readonly room: string;
      readonly frontier: number;
      readonly lastTicket: number;
      /** The new epoch (the store's time of the restore, ms). */
      readonly epoch: number;
      readonly restoredAt: string;
      /** What the state was restored from, in a few words. */
      readonly from: string;
    }
  | {
      /** The configuration is bad: every request fails until it is fixed (at most one line per 10 s per instance). */
      readonly event: "config_invalid";
      readonly code: string;
      readonly problems: readonly string[];
      /** Failed requests not logged since the previous line. */
      readonly heldBack: number;
    }
  | { readonly event: "ephemeral_signing_key"; readonly kid: string }
  | { readonly event: "origin_unreachable"; readonly reason: string }
  | { readonly event: "origin_signal_failed"; readonly reason: string }
  | { readonly event: "turnstile_unavailable"; readonly codes: readonly string[] }
  | { readonly event: "unexpected_error"; readonly error: string };

/** The stable event names. */
export type LogEventName = LogEntry["event"];

/** How loud each event is: `error` needs a developer, `warn` an operator, `info` is a record. */
export const LOG_LEVELS: Readonly<Record<LogEventName, "info" | "warn" | "error">> = Object.freeze({
  store_failure: "warn",
  store_value_unreadable: "error",
  fallback_admissions: "warn",
  settings_changed: "info",
  event_scheduled: "info",
  event_deleted: "info",
  state_restored: "warn",
  config_invalid: "error",
  ephemeral_signing_key: "warn",
  origin_unreachable: "warn",
  origin_signal_failed: "error",
  turnstile_unavailable: "warn",
  unexpected_error: "error",
});

/** Where lines go: `console` in the worker, a recorder in tests. */
export interface LogSink {
  log(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

/** Writes one event. */
export type Logger = (entry: LogEntry) => void;

/**
 * A logger writing one JSON line per event to `sink`: `{"event", "level",
 * "at", ...fields}`. A store script error is logged at level `error` (a bug),
 * an outage at `warn`.
 *
 * @example
 * ```ts
 * const log = createLogger({ now: Date.now });
 * log({ event: "event_deleted", room: "shop", id: "ev_1a2b3c4d" });
 * // {"event":"event_deleted","level":"info","at":"2026-12-01T00:00:00.000Z","room":"shop","id":"ev_1a2b3c4d"}
 * ```
 */
export function createLogger(options: { readonly now?: () => number; readonly sink?: LogSink } = {}): Logger {
  const now = options.now ?? Date.now;
  const sink = options.sink ?? console;
  return function log(entry) {
    const line = logLine(entry, now());
    const level = levelOf(entry);
    if (level === "error") sink.error(line);
    else if (level === "warn") sink.warn(line);
    else sink.log(line);
  };
}

/** The default logger, to `console`. */
export const log: Logger = createLogger();

function levelOf(entry: LogEntry): "info" | "warn" | "error" {
  if (entry.event === "store_failure") return entry.kind === "script_error" ? "error" : "warn";
  return LOG_LEVELS[entry.event];
}

/**
 * The JSON line of an event at `at` (ms), every string scrubbed.
 *
 * @example
 * ```ts
 * logLine({ event: "origin_unreachable", reason: "connect ECONNREFUSED 10.1.2.3:443" }, 0);
 * // {"event":"origin_unreachable","level":"warn","at":"1970-01-01T00:00:00.000Z","reason":"connect ECONNREFUSED 10.1.2.x:443"}
 * ```
 */
export function logLine(entry: LogEntry, at: number): string {
  const { event, ...fields } = entry;
  const time = Number.isFinite(at) ? new Date(at).toISOString() : null;
  return JSON.stringify({ event, level: levelOf(entry), at: time, ...fields }, (_key, value: unknown) =>
    typeof value === "string" ? scrubbed(value) : value,
  );
}

/** Three base64url parts joined by dots: a JWT (a ticket, a pass, a proof). */
const JWT = /\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]{6,}/g;
/** A run of 32+ token characters: a secret, a signature, a hash. */
const OPAQUE = /[A-Za-z0-9_+/=-]{32,}/g;
const IPV4 = /\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/g;
/**
 * IPv6: a compressed form (with `::`) or eight groups; three groups alone
 * (a clock time, 12:30:45) are not an address.
 */
const IPV6 =
  /(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?(?![\w:])|(?<![\w:])::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4}(?![\w:])/gi;

/**
 * A string as it may appear in a log: JWTs replaced by `[token]`, other runs
 * of 32+ opaque characters cut to their first 6 and `…`, IPv4 addresses
 * truncated to the /24 (`203.0.113.x`), IPv6 to the /48 (`2001:db8:1::/48`).
 *
 * @example
 * ```ts
 * scrubbed("from 203.0.113.7 with eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"); // "from 203.0.113.x with [token]"
 * ```
 */
export function scrubbed(text: string): string {
  return text
    .replace(JWT, "[token]")
    .replace(OPAQUE, (run) => `${run.slice(0, 6)}…`)
    .replace(IPV4, (_all, a: string, b: string, c: string) => `${a}.${b}.${c}.x`)
    .replace(IPV6, (address) => `${ipv6Prefix(address)}::/48`);
}

/** The first three groups of an IPv6 address (`::` expanded). */
function ipv6Prefix(address: string): string {
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = [...left, ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return groups
    .slice(0, 3)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":");
}
