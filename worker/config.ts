import { ConfigError } from "./errors.ts";
import { TICKET_BINDINGS, type TicketBinding } from "./gate/client.ts";
import { STORE_FAILURE_MODES, type StoreFailureMode } from "./gate/fallback.ts";
import { type BypassRules, cookieRule, headerRule, NO_BYPASS_RULES, networkProblem } from "./http/bypass.ts";
import { roomCookieName } from "./http/cookies.ts";
import { isLanguage, LANGUAGES, type Language } from "./http/pages/i18n/catalog.ts";
import { bypassPattern } from "./http/paths.ts";
import { MODES, type Mode, QUEUEINGS, type Queueing } from "./model/admission.ts";
import type { AutopilotSettings } from "./model/autopilot.ts";
import { DEFAULT_SESSION_MAX_MINUTES } from "./tokens/pass.ts";
import { COOKIE_CHECKS, type CookieCheck } from "./tokens/probe.ts";
import { SITEVERIFY_URL } from "./tokens/turnstile.ts";

/** Where the worker runs: development allows ephemeral keys. */
export type Environment = "development" | "production";

/**
 * One room's settings. Without ROOMS there is one room, from the single-room
 * settings (ROOM, QUEUE_PATHS, ADMIT_PER_MINUTE, ...); with ROOMS, one per
 * entry, each field defaulting to the single-room setting it stands for.
 */
export interface RoomConfig {
  /** Room name: part of every Redis key and a claim of every ticket and pass. */
  readonly room: string;
  /** Host names the room serves (`shop.example`, `*.shop.example`); empty: every host. */
  readonly hosts: readonly string[];
  /** Admission rate: how many queue positions the frontier advances per minute (operators may override it live). */
  readonly admitPerMinute: number;
  /** Room mode until an operator changes it live. */
  readonly mode: Mode;
  /** QUEUEING: what a newcomer over the rate gets, a place (`fifo`) or a "come back later" answer (`reject`). */
  readonly queueing: Queueing;
  /** Pass lifetime (sliding: renewed once half of it is gone). */
  readonly sessionSeconds: number;
  /** Absolute session length (SESSION_MAX_MINUTES): no renewal carries a pass past admission + this; >= sessionSeconds. */
  readonly sessionMaxSeconds: number;
  /** How long a queue ticket stays valid. */
  readonly ticketTtlSeconds: number;
  readonly queuePaths: readonly string[];
  readonly bypassPaths: readonly string[];
  /** Header, cookie and network bypass rules (http/bypass.ts). */
  readonly bypass: BypassRules;
  /** What newcomers get while the store is down: `soft` (a per-instance fallback rate), `open` or `closed`. */
  readonly storeFailureMode: StoreFailureMode;
  /** In `soft`, each instance's fallback rate as a share of the room's rate, in (0, 1]. */
  readonly storeFailureRateShare: number;
  /** Operator's holding page template (HTML with {{placeholders}}); null uses the built-in page. */
  readonly holdingPageTemplate: string | null;
  /** Most new tickets one client IP may take per minute; 0 turns the limit off. */
  readonly newTicketsPerIpPerMinute: number;
  /** Most visitors active at once (a pass used within the session length); 0 turns the cap off. */
  readonly maxActive: number;
  /** How long a place whose turn came waits for its holder before it counts as given up. */
  readonly offerSeconds: number;
  /** The pages' language when neither the visitor's choice nor Accept-Language names a supported one (LANGUAGE). */
  readonly language: Language;
  /** When newcomers must show they keep cookies before a place is given. */
  readonly cookieCheck: CookieCheck;
  /** What the gate needs to tell clients apart: the per-IP limit and how tickets and passes are bound. */
  readonly requester: {
    readonly perIpLimit: number;
    readonly binding: TicketBinding;
    /** PASS_BINDING: how passes are bound, by the same rules as tickets. */
    readonly passBinding: TicketBinding;
  };
  /**
   * The autopilot's deployed settings (AUTOPILOT, AUTOPILOT_MIN_RATE,
   * AUTOPILOT_MAX_RATE, ORIGIN_TARGET_P95_MS, ORIGIN_MAX_ERROR_RATE,
   * ORIGIN_TIMEOUT_MS); operators override them live.
   */
  readonly autopilot: AutopilotSettings;
  /**
   * What the room's cookie names end with: "" for the one room of a
   * deployment without ROOMS (today's names), `__<name>` with ROOMS, so a
   * visitor holds a ticket or pass in several rooms at once.
   */
  readonly cookieSuffix: string;
}

/**
 * Anteroom's settings, parsed once from the worker's environment. Frozen. The
 * room fields are the first room's; `rooms` holds every room's.
 */
export interface Config extends RoomConfig {
  readonly environment: Environment;
  /** Every room, in the order given (ROOMS), or the one room; the first answers the single-room admin endpoints. */
  readonly rooms: readonly RoomConfig[];
  /** Upstream base URL; null forwards to the request's own URL (a Worker on a route). */
  readonly originUrl: URL | null;
  readonly issuer: string;
  readonly audience: string;
  /** Upstash REST endpoint (in development, `npm start`'s REST bridge). */
  readonly redis: { readonly url: string; readonly token: string };
  readonly redisTimeoutMs: number;
  /** Raw JSON of the private signing JWKs (first signs, all verify); null in development makes an ephemeral key. */
  readonly passSigningKeys: string | null;
  /** HMAC secret for queue tickets; null in development makes an ephemeral one. */
  readonly ticketSecret: string | null;
  /** Bearer token of the admin API and dashboard; null turns them off (404). */
  readonly adminToken: string | null;
  /**
   * Read-only bearer token of `GET /__anteroom/admin/metrics` for scrapers
   * (the admin token works there too); it opens no other endpoint. Null: the
   * metrics need the admin token.
   */
  readonly metricsToken: string | null;
  /** CSP `frame-ancestors` of the worker's own pages: who may frame them, e.g. `'none'` or `'self' https://shop.example`. */
  readonly frameAncestors: string;
  /** Cloudflare Turnstile before a ticket is issued; null when TURNSTILE_SITE_KEY is unset. */
  readonly turnstile: { readonly siteKey: string; readonly secretKey: string; readonly verifyUrl: string } | null;
}

/**
 * What the autopilot's settings may be, in wrangler.toml (and, for the admin
 * API, live): rates per minute as an operator may set them (`admin/settings.ts`
 * RATE_BOUNDS; a minimum of 0 lets the autopilot stop admission), whole ms for
 * the target and the timeout, and an error share strictly between 0 and 1.
 */
export const AUTOPILOT_BOUNDS = Object.freeze({
  minRate: Object.freeze({ min: 0, max: 1_000_000 }),
  maxRate: Object.freeze({ min: 0.1, max: 1_000_000 }),
  targetP95Ms: Object.freeze({ min: 1, max: 600_000 }),
  /** Exclusive at both ends. */
  maxErrorRate: Object.freeze({ min: 0, max: 1 }),
  timeoutMs: Object.freeze({ min: 100, max: 600_000 }),
});

/** AUTOPILOT_MIN_RATE and AUTOPILOT_MAX_RATE, unless set: ADMIT_PER_MINUTE divided and multiplied by this. */
export const AUTOPILOT_DEFAULT_SPAN = 10;

/** Every setting the worker reads, with its default (undefined: no default). */
const SETTINGS = {
  ANTEROOM_ENV: "production",
  ROOM: "default",
  ADMIT_PER_MINUTE: "60",
  MODE: "auto",
  QUEUEING: "fifo",
  SESSION_MINUTES: "10",
  SESSION_MAX_MINUTES: String(DEFAULT_SESSION_MAX_MINUTES),
  TICKET_TTL_MINUTES: "1440",
  ORIGIN_URL: undefined,
  QUEUE_PATHS: "/*",
  BYPASS_PATHS:
    "/favicon.ico,/robots.txt,/health,/healthz,/_health,/.well-known/*,/*.css,/*.js,/*.mjs,/*.map,/*.png,/*.jpg,/*.jpeg,/*.gif,/*.svg,/*.webp,/*.avif,/*.ico,/*.woff,/*.woff2,/*.ttf",
  PASS_ISSUER: "anteroom",
  PASS_AUDIENCE: "anteroom-origin",
  UPSTASH_REDIS_REST_URL: undefined,
  UPSTASH_REDIS_REST_TOKEN: undefined,
  REDIS_TIMEOUT_MS: "500",
  STORE_FAILURE_MODE: "soft",
  STORE_FAILURE_RATE_SHARE: "0.25",
  PASS_SIGNING_KEYS: undefined,
  TICKET_SECRET: undefined,
  HOLDING_PAGE_TEMPLATE: undefined,
  ADMIN_TOKEN: undefined,
  METRICS_TOKEN: undefined,
  FRAME_ANCESTORS: "'none'",
  NEW_TICKETS_PER_IP_PER_MINUTE: "0",
  MAX_ACTIVE: "0",
  OFFER_SECONDS: "300",
  LANGUAGE: "en",
  TICKET_BINDING: "none",
  PASS_BINDING: "none",
  COOKIE_CHECK: "busy",
  BYPASS_HEADERS: undefined,
  BYPASS_COOKIES: undefined,
  BYPASS_IPS: undefined,
  TURNSTILE_SITE_KEY: undefined,
  TURNSTILE_SECRET_KEY: undefined,
  TURNSTILE_VERIFY_URL: SITEVERIFY_URL,
  AUTOPILOT: "off",
  // Defaults derived from ADMIT_PER_MINUTE (see autopilotSettings).
  AUTOPILOT_MIN_RATE: undefined,
  AUTOPILOT_MAX_RATE: undefined,
  ORIGIN_TARGET_P95_MS: "1000",
  ORIGIN_MAX_ERROR_RATE: "0.01",
  ORIGIN_TIMEOUT_MS: "10000",
} as const satisfies Record<string, string | undefined>;

/** The name of a one-string setting (a `[vars]` entry or a secret), as README "Configuration" lists them. */
export type SettingName = keyof typeof SETTINGS;

/**
 * ROOMS: several rooms. Not in {@link SETTINGS}: it has no default and is not
 * one string, but a JSON array (wrangler.toml `[vars]` hands it over as one)
 * or a string holding one, read by `roomsSetting`.
 */
const ROOMS_SETTING = "ROOMS";

/** The name of any setting the worker reads: the one-string settings and ROOMS. */
export type AnySettingName = SettingName | typeof ROOMS_SETTING;

/**
 * Every setting the worker reads, by name: the one list the middleware's
 * settings type and the launcher's forwarding (`npm start`) derive from, so a
 * setting added to {@link SETTINGS} reaches both.
 */
export const SETTING_NAMES: readonly AnySettingName[] = Object.freeze([
  ...(Object.keys(SETTINGS) as SettingName[]),
  ROOMS_SETTING,
]);

/** Names read by the Node-side launcher (`npm start`), not by the worker; accepted so they are not "unknown". */
const LAUNCHER_SETTINGS = ["PORT", "REDIS_URL", "HOLDING_PAGE_FILE", "ORIGIN_PORT"] as const;

const KNOWN = new Set<string>([...SETTING_NAMES, ...LAUNCHER_SETTINGS]);

/**
 * Parses the worker's environment into a frozen {@link Config}. Every problem
 * is collected, so one deploy shows all of them; each message names its setting.
 *
 * @throws {ConfigError} when any setting is invalid (code `config_invalid`).
 * @example
 * ```ts
 * const config = parseConfig({ ADMIT_PER_MINUTE: "120", ANTEROOM_ENV: "development" });
 * config.admitPerMinute; // 120
 * ```
 */
export function parseConfig(env: Readonly<Record<string, unknown>>): Config {
  const problems: string[] = [];
  const raw = (name: SettingName): string | undefined => {
    const value = env[name];
    if (value === undefined || value === null) return SETTINGS[name];
    if (typeof value !== "string") {
      problems.push(`${name} must be a string variable, got a ${typeof value} binding`);
      return SETTINGS[name];
    }
    const trimmed = value.trim();
    return trimmed === "" ? SETTINGS[name] : trimmed;
  };

  problems.push(...unknownSettings(env));

  const environment = oneOf(raw("ANTEROOM_ENV"), "ANTEROOM_ENV", ["development", "production"] as const, problems);
  const declared = roomsSetting(env[ROOMS_SETTING], problems);
  const rooms =
    declared === null
      ? [roomSettings(raw, (name) => listOf(raw(name)), problems, "")]
      : declared.map((entry) => roomOf(entry, raw, problems));
  if (declared !== null) problems.push(...roomClashes(rooms));
  const originUrl = httpUrl(raw("ORIGIN_URL"), "ORIGIN_URL", problems);
  const issuer = raw("PASS_ISSUER") ?? "anteroom";
  const audience = raw("PASS_AUDIENCE") ?? "anteroom-origin";
  const redisTimeoutMs = positiveNumber(raw("REDIS_TIMEOUT_MS"), "REDIS_TIMEOUT_MS", 60_000, problems);
  const turnstileSite = raw("TURNSTILE_SITE_KEY");
  const turnstileSecret = raw("TURNSTILE_SECRET_KEY");
  const turnstileUrl = httpUrl(raw("TURNSTILE_VERIFY_URL") ?? SITEVERIFY_URL, "TURNSTILE_VERIFY_URL", problems);
  if ((turnstileSite === undefined) !== (turnstileSecret === undefined)) {
    problems.push(
      "TURNSTILE_SITE_KEY and TURNSTILE_SECRET_KEY must be set together (or neither, to turn Turnstile off)",
    );
  }
  if (turnstileSite !== undefined && !/^[\w-]{1,100}$/.test(turnstileSite)) {
    problems.push("TURNSTILE_SITE_KEY must be the site key from the Cloudflare dashboard (letters, digits, - and _)");
  }
  const turnstile =
    turnstileSite && turnstileSecret && turnstileUrl
      ? Object.freeze({ siteKey: turnstileSite, secretKey: turnstileSecret, verifyUrl: turnstileUrl.href })
      : null;

  const redisUrl = httpUrl(raw("UPSTASH_REDIS_REST_URL"), "UPSTASH_REDIS_REST_URL", problems);
  const redisToken = raw("UPSTASH_REDIS_REST_TOKEN");
  let redis: Config["redis"] | null = null;
  if (redisUrl && redisToken) redis = Object.freeze({ url: redisUrl.href.replace(/\/$/, ""), token: redisToken });
  else if (redisUrl) problems.push("UPSTASH_REDIS_REST_TOKEN must be set when UPSTASH_REDIS_REST_URL is set");
  else if (redisToken) problems.push("UPSTASH_REDIS_REST_URL must be set when UPSTASH_REDIS_REST_TOKEN is set");
  else if (raw("UPSTASH_REDIS_REST_URL") === undefined) {
    // One store in every environment: the Lua scripts behind Upstash's REST API (locally, npm start serves that API).
    problems.push(
      "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set: the room lives in Redis, reached through Upstash's REST API (in development, `npm start` provides an embedded store behind a local REST bridge; in production, the Upstash database's URL and `wrangler secret put UPSTASH_REDIS_REST_TOKEN`)",
    );
  }

  const ticketSecret = raw("TICKET_SECRET") ?? null;
  if (ticketSecret !== null && ticketSecret.length < 32) {
    problems.push("TICKET_SECRET must be at least 32 characters (generate one with `openssl rand -base64 32`)");
  }
  const passSigningKeys = raw("PASS_SIGNING_KEYS") ?? null;
  const adminToken = raw("ADMIN_TOKEN") ?? null;
  if (adminToken !== null && adminToken.length < 16) {
    problems.push("ADMIN_TOKEN must be at least 16 characters (generate one with `openssl rand -base64 24`)");
  }
  const metricsToken = raw("METRICS_TOKEN") ?? null;
  if (metricsToken !== null && metricsToken.length < 16) {
    problems.push("METRICS_TOKEN must be at least 16 characters (generate one with `openssl rand -base64 24`)");
  } else if (metricsToken !== null && metricsToken === adminToken) {
    // The same value would make the scraper's copy an admin token.
    problems.push("METRICS_TOKEN must differ from ADMIN_TOKEN: the scraper's token must not open the admin API");
  }

  const frameAncestors = frameAncestorList(raw("FRAME_ANCESTORS"), "FRAME_ANCESTORS", problems);

  // An invalid ANTEROOM_ENV is already reported; production's requirements would only add noise.
  if (environment === "production" && !problems.some((p) => p.startsWith("ANTEROOM_ENV"))) {
    if (!ticketSecret) problems.push("TICKET_SECRET must be set in production (`wrangler secret put TICKET_SECRET`)");
    if (!passSigningKeys) {
      problems.push(
        "PASS_SIGNING_KEYS must be set in production: a JSON array of private ES256 JWKs (`wrangler secret put PASS_SIGNING_KEYS`)",
      );
    }
  }

  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);

  const first = rooms[0] as RoomConfig;
  return Object.freeze({
    ...first,
    rooms: Object.freeze(rooms),
    environment,
    originUrl,
    issuer,
    audience,
    // Set whenever no problem was found (see above).
    redis: redis as Config["redis"],
    redisTimeoutMs: Math.round(redisTimeoutMs),
    passSigningKeys,
    ticketSecret,
    adminToken,
    metricsToken,
    turnstile,
    frameAncestors,
  });
}

/**
 * One room's settings, read through `raw` (a setting's text) and `list` (a
 * list setting's entries): the single-room settings, or a ROOMS entry's
 * fields with the single-room settings as their defaults.
 */
function roomSettings(
  raw: (name: SettingName) => string | undefined,
  list: (name: SettingName) => readonly string[],
  problems: string[],
  cookieSuffix: string,
  extra: { readonly hosts: readonly string[] } = { hosts: [] },
): RoomConfig {
  const room = raw("ROOM") ?? "default";
  if (!ROOM_NAME.test(room)) {
    problems.push(`ROOM must be 1-64 letters, digits, "-" or "_", got ${JSON.stringify(room)}`);
  }
  const admitPerMinute = positiveNumber(raw("ADMIT_PER_MINUTE"), "ADMIT_PER_MINUTE", 1_000_000, problems);
  const mode = oneOf(raw("MODE"), "MODE", MODES, problems, "auto");
  const queueing = oneOf(raw("QUEUEING"), "QUEUEING", QUEUEINGS, problems, "fifo");
  const sessionMinutes = positiveNumber(raw("SESSION_MINUTES"), "SESSION_MINUTES", 7 * 24 * 60, problems);
  const sessionMaxMinutes = sessionMaximum(raw("SESSION_MAX_MINUTES"), sessionMinutes, problems);
  const ticketTtlMinutes = positiveNumber(raw("TICKET_TTL_MINUTES"), "TICKET_TTL_MINUTES", 30 * 24 * 60, problems);
  const queuePaths = pathPatterns(list("QUEUE_PATHS"), "QUEUE_PATHS", problems);
  const bypassPaths = pathPatterns(list("BYPASS_PATHS"), "BYPASS_PATHS", problems, bypassPattern);
  const storeFailureMode = oneOf(
    raw("STORE_FAILURE_MODE"),
    "STORE_FAILURE_MODE",
    STORE_FAILURE_MODES,
    problems,
    "soft",
  );
  const storeFailureRateShare = positiveNumber(
    raw("STORE_FAILURE_RATE_SHARE"),
    "STORE_FAILURE_RATE_SHARE",
    1,
    problems,
  );
  const cookieCheck = oneOf(raw("COOKIE_CHECK"), "COOKIE_CHECK", COOKIE_CHECKS, problems, "busy");
  const binding = oneOf(raw("TICKET_BINDING"), "TICKET_BINDING", TICKET_BINDINGS, problems, "none");
  const passBinding = oneOf(raw("PASS_BINDING"), "PASS_BINDING", TICKET_BINDINGS, problems, "none");
  const offerSeconds = positiveNumber(raw("OFFER_SECONDS"), "OFFER_SECONDS", 7 * 86_400, problems);
  const language = raw("LANGUAGE") ?? "en";
  if (!isLanguage(language)) {
    problems.push(`LANGUAGE must be one of ${LANGUAGES.join(", ")}, got ${JSON.stringify(language)}`);
  }
  const perIp = raw("NEW_TICKETS_PER_IP_PER_MINUTE") ?? "0";
  const newTicketsPerIpPerMinute = /^\d{1,7}$/.test(perIp) ? Number(perIp) : 0;
  if (!/^\d{1,7}$/.test(perIp)) {
    problems.push(
      `NEW_TICKETS_PER_IP_PER_MINUTE must be a whole number (0 turns the limit off), got ${JSON.stringify(perIp)}`,
    );
  }

  const maxActiveRaw = raw("MAX_ACTIVE") ?? "0";
  const maxActive = /^\d{1,9}$/.test(maxActiveRaw) ? Number(maxActiveRaw) : 0;
  if (!/^\d{1,9}$/.test(maxActiveRaw)) {
    problems.push(
      `MAX_ACTIVE must be a whole number of visitors (0 turns the cap off), got ${JSON.stringify(maxActiveRaw)}`,
    );
  }
  const autopilot = autopilotSettings(raw, admitPerMinute, problems);
  const bypass = bypassRules(list, problems);

  return Object.freeze({
    room,
    hosts: Object.freeze([...extra.hosts]),
    admitPerMinute,
    mode,
    queueing,
    sessionSeconds: Math.round(sessionMinutes * 60),
    sessionMaxSeconds: Math.round(sessionMaxMinutes * 60),
    ticketTtlSeconds: Math.round(ticketTtlMinutes * 60),
    queuePaths: Object.freeze(queuePaths),
    bypassPaths: Object.freeze(bypassPaths),
    bypass,
    storeFailureMode,
    storeFailureRateShare,
    holdingPageTemplate: raw("HOLDING_PAGE_TEMPLATE") ?? null,
    newTicketsPerIpPerMinute,
    maxActive,
    offerSeconds,
    language: isLanguage(language) ? language : "en",
    cookieCheck,
    requester: Object.freeze({ perIpLimit: newTicketsPerIpPerMinute, binding, passBinding }),
    autopilot,
    cookieSuffix,
  });
}

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** BYPASS_HEADERS, BYPASS_COOKIES and BYPASS_IPS (a room's `bypassHeaders`, `bypassCookies`, `bypassIps`). */
function bypassRules(list: (name: SettingName) => readonly string[], problems: string[]): BypassRules {
  const headers = list("BYPASS_HEADERS").flatMap((entry) => {
    const rule = headerRule(entry);
    if ("problem" in rule) problems.push(`BYPASS_HEADERS: ${rule.problem}`);
    return "problem" in rule ? [] : [Object.freeze(rule)];
  });
  const cookies = list("BYPASS_COOKIES").flatMap((entry) => {
    const rule = cookieRule(entry);
    if ("problem" in rule) problems.push(`BYPASS_COOKIES: ${rule.problem}`);
    return "problem" in rule ? [] : [Object.freeze(rule)];
  });
  const networks = list("BYPASS_IPS").filter((entry) => {
    const problem = networkProblem(entry);
    if (problem) problems.push(`BYPASS_IPS: ${problem}`);
    return problem === null;
  });
  if (headers.length + cookies.length + networks.length === 0) return NO_BYPASS_RULES;
  return Object.freeze({
    headers: Object.freeze(headers),
    cookies: Object.freeze(cookies),
    networks: Object.freeze(networks),
  });
}

/** A comma-separated setting's entries, trimmed, empty ones dropped. */
function listOf(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/**
 * A ROOMS entry's fields and the single-room settings they stand for. Each
 * field a room leaves out takes that setting's value (its default if unset).
 */
const ROOM_FIELDS = {
  name: "ROOM",
  paths: "QUEUE_PATHS",
  bypassPaths: "BYPASS_PATHS",
  bypassHeaders: "BYPASS_HEADERS",
  bypassCookies: "BYPASS_COOKIES",
  bypassIps: "BYPASS_IPS",
  admitPerMinute: "ADMIT_PER_MINUTE",
  mode: "MODE",
  queueing: "QUEUEING",
  maxActive: "MAX_ACTIVE",
  sessionMinutes: "SESSION_MINUTES",
  sessionMaxMinutes: "SESSION_MAX_MINUTES",
  ticketTtlMinutes: "TICKET_TTL_MINUTES",
  offerSeconds: "OFFER_SECONDS",
  language: "LANGUAGE",
  holdingPageTemplate: "HOLDING_PAGE_TEMPLATE",
  newTicketsPerIpPerMinute: "NEW_TICKETS_PER_IP_PER_MINUTE",
  cookieCheck: "COOKIE_CHECK",
  storeFailureMode: "STORE_FAILURE_MODE",
  storeFailureRateShare: "STORE_FAILURE_RATE_SHARE",
  autopilot: "AUTOPILOT",
  autopilotMinRate: "AUTOPILOT_MIN_RATE",
  autopilotMaxRate: "AUTOPILOT_MAX_RATE",
  originTargetP95Ms: "ORIGIN_TARGET_P95_MS",
  originMaxErrorRate: "ORIGIN_MAX_ERROR_RATE",
  originTimeoutMs: "ORIGIN_TIMEOUT_MS",
} as const satisfies Record<string, SettingName>;

/** Fields a ROOMS entry has that no single-room setting stands for. */
const ROOM_ONLY_FIELDS = ["hosts"] as const;

/** List fields: a JSON array of strings (or one comma-separated string). */
const LIST_FIELDS = new Set<string>(["paths", "bypassPaths", "bypassHeaders", "bypassCookies", "bypassIps", "hosts"]);

/** ROOMS, as a JSON array in wrangler.toml [vars] or as a string holding one; null when unset. */
function roomsSetting(value: unknown, problems: string[]): readonly Record<string, unknown>[] | null {
  if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return null;
  let parsed: unknown = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      problems.push(
        'ROOMS must be a JSON array of rooms, e.g. [{"name":"shop","paths":["/shop/*"],"admitPerMinute":60}]: it is not valid JSON',
      );
      return [];
    }
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_ROOMS) {
    problems.push(`ROOMS must be a JSON array of 1 to ${MAX_ROOMS} rooms`);
    return [];
  }
  return parsed.flatMap((entry, i) => {
    if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) return [entry as Record<string, unknown>];
    problems.push(`ROOMS[${i}] must be an object such as {"name":"shop","paths":["/shop/*"]}`);
    return [];
  });
}

/** Most rooms one deployment serves: each costs every instance a link, caches and a share of the memory. */
export const MAX_ROOMS = 50;

/**
 * One ROOMS entry: its fields read as the single-room settings they stand for,
 * each problem naming the room and the field (or the inherited setting).
 */
function roomOf(
  entry: Readonly<Record<string, unknown>>,
  inherited: (name: SettingName) => string | undefined,
  problems: string[],
): RoomConfig {
  const name = typeof entry.name === "string" ? entry.name : "";
  const label = `ROOMS room ${JSON.stringify(name)}`;
  const own: string[] = [];
  if (typeof entry.name !== "string") own.push(`name must be a string of 1-64 letters, digits, "-" or "_"`);
  if (entry.paths === undefined) own.push('paths must be set: the path patterns the room queues, e.g. ["/shop/*"]');
  const fieldOf = new Map<string, string>(Object.entries(ROOM_FIELDS).map(([field, setting]) => [setting, field]));
  const text = new Map<string, string>();
  const lists = new Map<string, readonly string[]>();
  for (const [field, value] of Object.entries(entry)) {
    const known = field in ROOM_FIELDS || (ROOM_ONLY_FIELDS as readonly string[]).includes(field);
    if (!known) {
      const all = [...Object.keys(ROOM_FIELDS), ...ROOM_ONLY_FIELDS];
      const near = all.find((k) => editDistance(field.toLowerCase(), k.toLowerCase()) <= 2);
      own.push(`unknown field ${JSON.stringify(field)}${near ? ` (did you mean ${near}?)` : ""}`);
      continue;
    }
    if (LIST_FIELDS.has(field)) {
      const entries = typeof value === "string" ? listOf(value) : value;
      if (!Array.isArray(entries) || !entries.every((e): e is string => typeof e === "string")) {
        own.push(`${field} must be an array of strings`);
      } else
        lists.set(
          field,
          entries.map((e) => e.trim()).filter((e) => e !== ""),
        );
      continue;
    }
    if (field === "autopilot" && typeof value === "boolean") text.set(field, value ? "on" : "off");
    else if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) {
      text.set(field, String(value).trim());
    } else own.push(`${field} must be a string or number, got ${JSON.stringify(value)}`);
  }
  const hosts = lists.get("hosts") ?? [];
  for (const host of hosts) {
    if (!HOST.test(host))
      own.push(
        `hosts: ${JSON.stringify(host)} must be a host name such as shop.example or *.shop.example (no scheme, port or path)`,
      );
  }
  const roomProblems: string[] = [];
  const raw = (setting: SettingName): string | undefined => {
    const field = fieldOf.get(setting);
    const value = field === undefined ? undefined : text.get(field);
    if (field === "name") return name;
    return value === undefined || value === "" ? inherited(setting) : value;
  };
  const list = (setting: SettingName): readonly string[] => {
    const field = fieldOf.get(setting);
    return (field === undefined ? undefined : lists.get(field)) ?? listOf(inherited(setting));
  };
  const config = roomSettings(raw, list, roomProblems, roomCookieName("", name), {
    hosts: hosts.map((h) => h.toLowerCase()),
  });
  // A problem names the field when the room set it, else the setting the room inherited.
  const set = new Set([...text.keys(), ...lists.keys(), "name"]);
  const renamed = roomProblems.map((problem) =>
    Object.entries(ROOM_FIELDS).reduce(
      (message, [field, setting]) =>
        set.has(field) ? message.replace(new RegExp(`\\b${setting}\\b`, "g"), field) : message,
      problem,
    ),
  );
  problems.push(...[...own, ...renamed].map((problem) => `${label}: ${problem}`));
  return config;
}

const HOST = /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;

/**
 * What would make the rooms ambiguous: two with one name (it is their Redis
 * keys and their tokens' claim), or two that queue the same path pattern on
 * the same host (no rule could say which is more specific).
 */
function roomClashes(rooms: readonly RoomConfig[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const owners = new Map<string, string>();
  for (const room of rooms) {
    if (names.has(room.room)) problems.push(`ROOMS: two rooms are named ${JSON.stringify(room.room)}`);
    names.add(room.room);
    for (const host of room.hosts.length > 0 ? room.hosts : ["(any host)"]) {
      for (const path of room.queuePaths) {
        // Paths match ignoring case: "/Shop/*" and "/shop/*" are one pattern.
        const key = `${host} ${path.toLowerCase()}`;
        const owner = owners.get(key);
        if (owner !== undefined && owner !== room.room) {
          problems.push(
            `ROOMS: rooms ${JSON.stringify(owner)} and ${JSON.stringify(room.room)} both queue ${JSON.stringify(path)} on ${host}: give one of them another pattern or host`,
          );
        }
        owners.set(key, room.room);
      }
    }
  }
  return problems;
}

/**
 * The autopilot's settings. The rate bounds default to a tenth and ten times
 * ADMIT_PER_MINUTE (within {@link AUTOPILOT_BOUNDS}); bounds that cross are a
 * problem naming both, with a hint when one of them is a default (as
 * SESSION_MAX_MINUTES does). A bound already reported as invalid is not
 * compared, nor a default of an invalid ADMIT_PER_MINUTE.
 */
function autopilotSettings(
  raw: (name: SettingName) => string | undefined,
  admitPerMinute: number,
  problems: string[],
): AutopilotSettings {
  const on = oneOf(raw("AUTOPILOT"), "AUTOPILOT", ["off", "on"] as const, problems, "off") === "on";
  const before = problems.length;
  const minRaw = raw("AUTOPILOT_MIN_RATE");
  const maxRaw = raw("AUTOPILOT_MAX_RATE");
  const { minRate: minBounds, maxRate: maxBounds } = AUTOPILOT_BOUNDS;
  const minRate =
    minRaw === undefined
      ? Math.max(minBounds.min, Math.min(minBounds.max, admitPerMinute / AUTOPILOT_DEFAULT_SPAN))
      : boundedNumber(minRaw, "AUTOPILOT_MIN_RATE", minBounds, false, problems);
  const maxRate =
    maxRaw === undefined
      ? Math.max(maxBounds.min, Math.min(maxBounds.max, admitPerMinute * AUTOPILOT_DEFAULT_SPAN))
      : boundedNumber(maxRaw, "AUTOPILOT_MAX_RATE", maxBounds, false, problems);
  // A default follows ADMIT_PER_MINUTE: when that is invalid, the default says nothing.
  const admitValid = !problems.some((p) => p.startsWith("ADMIT_PER_MINUTE"));
  const comparable = problems.length === before && (admitValid || (minRaw !== undefined && maxRaw !== undefined));
  if (comparable && minRate > maxRate) {
    const defaulted =
      minRaw === undefined
        ? " (AUTOPILOT_MIN_RATE is the default, ADMIT_PER_MINUTE / 10: set it as well)"
        : maxRaw === undefined
          ? " (AUTOPILOT_MAX_RATE is the default, ADMIT_PER_MINUTE x 10: set it as well)"
          : "";
    problems.push(`AUTOPILOT_MIN_RATE (${minRate}) must not exceed AUTOPILOT_MAX_RATE (${maxRate})${defaulted}`);
  }
  const targetP95Ms = boundedNumber(
    raw("ORIGIN_TARGET_P95_MS"),
    "ORIGIN_TARGET_P95_MS",
    AUTOPILOT_BOUNDS.targetP95Ms,
    true,
    problems,
  );
  const maxErrorRate = errorShare(raw("ORIGIN_MAX_ERROR_RATE"), "ORIGIN_MAX_ERROR_RATE", problems);
  const timeoutMs = boundedNumber(
    raw("ORIGIN_TIMEOUT_MS"),
    "ORIGIN_TIMEOUT_MS",
    AUTOPILOT_BOUNDS.timeoutMs,
    true,
    problems,
  );
  return Object.freeze({ on, minRate, maxRate, targetP95Ms, maxErrorRate, timeoutMs });
}

/** A plain decimal number (no sign, hex, Infinity or NaN), else NaN. */
function plainNumber(value: string | undefined): number {
  return value !== undefined && /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN;
}

/** A plain number in [min, max], whole when `whole`; else a problem naming the setting and the range. */
function boundedNumber(
  value: string | undefined,
  name: string,
  bounds: { readonly min: number; readonly max: number },
  whole: boolean,
  problems: string[],
): number {
  const parsed = plainNumber(value);
  if (parsed >= bounds.min && parsed <= bounds.max && (!whole || Number.isInteger(parsed))) return parsed;
  problems.push(
    `${name} must be a ${whole ? "whole number" : "number"} from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(value ?? "")}`,
  );
  return bounds.min;
}

/** ORIGIN_MAX_ERROR_RATE: a share strictly between 0 and 1 (0 would cut on any error; 1 never). */
function errorShare(value: string | undefined, name: string, problems: string[]): number {
  const parsed = plainNumber(value);
  if (parsed > 0 && parsed < 1) return parsed;
  problems.push(
    `${name} must be a share between 0 and 1 (exclusive), e.g. 0.01 for 1%, got ${JSON.stringify(value ?? "")}`,
  );
  return 0.01;
}

function oneOf<const T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
  problems: string[],
  fallback: T = allowed[allowed.length - 1] as T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  return fallback;
}

function positiveNumber(value: string | undefined, name: string, max: number, problems: string[]): number {
  const parsed = value === undefined ? Number.NaN : Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || parsed > max || !/^\s*[0-9.eE+]+\s*$/.test(value ?? "")) {
    problems.push(`${name} must be a positive number no greater than ${max}, got ${JSON.stringify(value ?? "")}`);
    return 1;
  }
  return parsed;
}

/**
 * SESSION_MAX_MINUTES: the absolute session length, which must leave room for
 * at least one whole pass (SESSION_MINUTES); the comparison is skipped when
 * either is already reported as invalid.
 */
function sessionMaximum(value: string | undefined, sessionMinutes: number, problems: string[]): number {
  const before = problems.length;
  const maximum = positiveNumber(value, "SESSION_MAX_MINUTES", 30 * 24 * 60, problems);
  const sessionValid = !problems.some((p) => p.startsWith("SESSION_MINUTES"));
  if (problems.length === before && sessionValid && Math.round(maximum * 60) < Math.round(sessionMinutes * 60)) {
    problems.push(
      `SESSION_MAX_MINUTES must be at least SESSION_MINUTES (${sessionMinutes}): a session cannot end before its first pass does, got ${JSON.stringify(value ?? "")}${value === SETTINGS.SESSION_MAX_MINUTES ? " (the default: set SESSION_MAX_MINUTES as well)" : ""}`,
    );
  }
  return maximum;
}

function httpUrl(value: string | undefined, name: string, problems: string[]): URL | null {
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} must be an absolute http(s) URL, got ${JSON.stringify(value)}`);
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(`${name} must use http or https, got ${JSON.stringify(value)}`);
    return null;
  }
  if (url.search || url.hash) {
    problems.push(`${name} must not have a query or fragment, got ${JSON.stringify(value)}`);
    return null;
  }
  return url;
}

function pathPatterns(
  patterns: readonly string[],
  name: string,
  problems: string[],
  patternOf: (entry: string) => string | { readonly problem: string } = (entry) => entry,
): string[] {
  for (const entry of patterns) {
    // BYPASS_PATHS entries may start with a method ("POST /webhooks/*"; paths.ts).
    const pattern = patternOf(entry);
    if (typeof pattern !== "string") {
      problems.push(`${name}: ${pattern.problem}`);
      continue;
    }
    if (!pattern.startsWith("/")) {
      problems.push(`${name}: pattern ${JSON.stringify(pattern)} must start with "/"`);
      continue;
    }
    try {
      new URLPattern({ pathname: pattern });
    } catch {
      problems.push(`${name}: ${JSON.stringify(pattern)} is not a valid path pattern (use /path, /prefix/* or /*.ext)`);
    }
  }
  return [...patterns];
}

/**
 * A CSP source list for `frame-ancestors`, checked strictly because it goes
 * into a header verbatim: `'none'` alone, or `'self'` and https origins
 * (`https://shop.example`, `https://*.shop.example:8443`). Nothing else, so no
 * value can smuggle another directive in with a `;`.
 */
function frameAncestorList(value: string | undefined, name: string, problems: string[]): string {
  const sources = (value ?? "'none'").split(/\s+/).filter((s) => s !== "");
  const origin =
    /^https:\/\/(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/i;
  const bad = sources.filter((s) => s !== "'self'" && s !== "'none'" && !origin.test(s));
  const noneWithOthers = sources.includes("'none'") && sources.length > 1;
  if (sources.length === 0 || bad.length > 0 || noneWithOthers) {
    problems.push(
      `${name} must be 'none', or a space-separated list of 'self' and https origins such as https://shop.example (keywords in single quotes, no paths), got ${JSON.stringify(value ?? "")}`,
    );
    return "'none'";
  }
  return sources.join(" ");
}

/** Catches typos such as ADMIT_PER_MINUT, which would otherwise fall back to a default silently. */
function unknownSettings(env: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== "string" || KNOWN.has(name)) continue;
    const near = [...KNOWN].find((known) => editDistance(name, known) <= 2);
    if (near) problems.push(`unknown setting ${name} (did you mean ${near}?)`);
    else if (name.startsWith("ANTEROOM_")) problems.push(`unknown setting ${name}`);
  }
  return problems;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
