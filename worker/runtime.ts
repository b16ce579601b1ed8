import type { MiddlewareHandler } from "hono";
import { AuthThrottle } from "./admin/auth-throttle.ts";
import { type Config, parseConfig } from "./config.ts";
import { AnteroomError, ConfigError } from "./errors.ts";
import { StoreFallback } from "./gate/fallback.ts";
import type { GateDeps, Placement } from "./gate/gate.ts";
import { Memo } from "./gate/memo.ts";
import { PassMemo } from "./gate/pass-memo.ts";
import { instanceId, RoomLink } from "./gate/room-link.ts";
import type { AppEnv } from "./http/app-env.ts";
import { bypassChecker } from "./http/bypass.ts";
import { DEFAULT_TEMPLATE } from "./http/pages/template.ts";
import { bypassMatcher, queueMatcher } from "./http/paths.ts";
import type { Upstream } from "./http/proxy.ts";
import { roomMatcher } from "./http/rooms.ts";
import { log } from "./log.ts";
import { StoreFailureLog, watchedStore } from "./store/failure-log.ts";
import { stateTtlMs } from "./store/keys.ts";
import { LogThrottle } from "./store/log-throttle.ts";
import { connectRedis, RedisStore } from "./store/redis.ts";
import type { AdmissionStore } from "./store/store.ts";
import { ephemeralKeyring, type Keyring, loadKeyring } from "./tokens/keyring.ts";
import { ephemeralTicketKey } from "./tokens/ticket.ts";

/**
 * Everything built from the environment once per worker instance, for one
 * room: its settings, gate (link, caches, fallback) and matchers, with what
 * the rooms share (keys, store client, failure log, admin throttle). Without
 * ROOMS there is one; `deployment` holds every room's.
 */
export interface Runtime {
  /** The deployment's settings with this room's in the room fields. */
  readonly config: Config;
  readonly keyring: Keyring;
  readonly gate: GateDeps;
  /** BYPASS_PATHS: whether a request skips the room (GET and HEAD only unless a pattern names its methods; paths.ts). */
  readonly isBypassed: (method: string, pathname: string) => boolean;
  /** QUEUE_PATHS: whether any reading of a path queues (paths.ts). */
  readonly isQueued: (pathname: string) => boolean;
  /** BYPASS_HEADERS, BYPASS_COOKIES, BYPASS_IPS (http/bypass.ts); null when the room has none. */
  readonly bypasses: BypassCheck | null;
  readonly template: string;
  readonly fetcher: Upstream;
  /** This instance's store failures: counted for the admin stats, logged throttled (failure-log.ts). */
  readonly storeFailures: StoreFailureLog;
  /** This instance's failed admin authentications per client (admin/auth-throttle.ts). */
  readonly adminThrottle: AuthThrottle;
  /**
   * This worker instance (isolate): a random id (instanceId, 12 hex) and when
   * it was built (ms). Every room's link carries the id to the store's fleet
   * count, and the metrics label the isolate's counters with it.
   */
  readonly instance: { readonly id: string; readonly startedAt: number };
  /** Every room of the deployment, and which one a request is for. */
  readonly deployment: Deployment;
}

/** A test of a request against a room's header, cookie and network bypass rules. */
export type BypassCheck = (request: Request, cookieValue: (name: string) => string | undefined) => Promise<boolean>;

/** The rooms of one deployment (ROOMS), built once per instance. */
export interface Deployment {
  /** In the order of ROOMS; the first answers the single-room endpoints. */
  readonly rooms: readonly Runtime[];
  /** The room a request is for (http/rooms.ts), or null: it goes straight through. */
  readonly roomOf: (host: string, method: string, pathname: string) => Runtime | null;
  /** A room by name. */
  readonly named: (name: string) => Runtime | undefined;
}

/** Replacements for tests: a store, a clock, an upstream fetch. */
export interface RuntimeOverrides {
  readonly store?: AdmissionStore;
  readonly now?: () => number;
  readonly fetcher?: Upstream;
}

/**
 * Builds a {@link Runtime}: parses the config, loads or makes keys, and
 * connects the store: Redis through Upstash's REST API at
 * UPSTASH_REDIS_REST_URL (which `npm start` points at its REST bridge, in
 * front of a redis-server or of the embedded engine), unless a test passes one.
 * Each room (ROOMS) gets its own runtime on the shared keys and store; the
 * first room's is returned, and `deployment` holds them all.
 *
 * @throws {ConfigError | AnteroomError} on a bad setting or key.
 */
export async function buildRuntime(
  env: Readonly<Record<string, unknown>>,
  overrides: RuntimeOverrides = {},
): Promise<Runtime> {
  const config = parseConfig(env);
  const now = overrides.now ?? Date.now;
  const keyring = config.passSigningKeys ? await loadKeyring(config.passSigningKeys) : await ephemeralKeyring();
  const ticketKey = config.ticketSecret ? new TextEncoder().encode(config.ticketSecret) : ephemeralTicketKey();
  const storeFailures = new StoreFailureLog({ now });
  const store = watchedStore(
    overrides.store ??
      new RedisStore(
        connectRedis({ url: config.redis.url, token: config.redis.token, timeoutMs: config.redisTimeoutMs }),
        { unreadable: (reason) => storeFailures.unreadable(reason) },
      ),
    storeFailures,
  );
  if (keyring.ephemeral) {
    // PASS_SIGNING_KEYS is not set: development only (production refuses to start without it).
    log({ event: "ephemeral_signing_key", kid: keyring.signing.kid });
  }
  const adminThrottle = new AuthThrottle();
  const instance = Object.freeze({ id: instanceId(), startedAt: now() });
  const fetcher = overrides.fetcher ?? ((request: Request) => fetch(request));
  const rooms: Runtime[] = [];
  const matcher = roomMatcher(config.rooms);
  const byName = new Map<string, Runtime>();
  const deployment: Deployment = Object.freeze({
    rooms,
    roomOf: (host: string, method: string, pathname: string) => rooms[matcher(host, method, pathname)] ?? null,
    named: (name: string) => byName.get(name),
  });
  for (const roomConfig of config.rooms) {
    const roomRuntime = await roomRuntimeOf(Object.freeze({ ...config, ...roomConfig }), {
      keyring,
      ticketKey,
      store,
      now,
      fetcher,
      storeFailures,
      adminThrottle,
      deployment,
      instance,
    });
    rooms.push(roomRuntime);
    byName.set(roomConfig.room, roomRuntime);
  }
  Object.freeze(rooms);
  return rooms[0] as Runtime;
}

/** What the rooms of one instance share. */
interface Shared {
  readonly keyring: Keyring;
  readonly ticketKey: Uint8Array;
  readonly store: AdmissionStore;
  readonly now: () => number;
  readonly fetcher: Upstream;
  readonly storeFailures: StoreFailureLog;
  readonly adminThrottle: AuthThrottle;
  readonly deployment: Deployment;
  readonly instance: Runtime["instance"];
}

/** One room's runtime: its own link, caches, fallback and tokens' room claim, on the shared keys and store. */
async function roomRuntimeOf(config: Config, shared: Shared): Promise<Runtime> {
  const { keyring, ticketKey, store, now } = shared;
  const room = {
    room: config.room,
    defaultPerMinute: config.admitPerMinute,
    defaultMode: config.mode,
    queueing: config.queueing,
    stateTtlMs: stateTtlMs(config.ticketTtlSeconds),
    newTicketsPerClientPerMinute: config.newTicketsPerIpPerMinute,
    maxActive: config.maxActive,
    sessionMs: config.sessionSeconds * 1000,
    autopilot: config.autopilot,
  };
  const pass = {
    keyring,
    issuer: config.issuer,
    audience: config.audience,
    room: config.room,
    sessionSeconds: config.sessionSeconds,
    maxSessionSeconds: config.sessionMaxSeconds,
    bound: config.requester.passBinding !== "none",
  };
  return Object.freeze({
    config,
    keyring,
    gate: {
      room,
      store,
      link: new RoomLink(store, room, now, undefined, { instance: shared.instance.id }),
      passes: new PassMemo(pass),
      fallback: new StoreFallback({ mode: config.storeFailureMode, rateShare: config.storeFailureRateShare }, room),
      pass,
      ticket: { key: ticketKey, issuer: config.issuer, room: config.room, ttlSeconds: config.ticketTtlSeconds },
      now,
      offerSeconds: config.offerSeconds,
      placements: new Memo<Placement>(),
      spentStamps: new Memo<true>(),
      probe: { mode: config.cookieCheck, key: ticketKey, issuer: config.issuer, room: config.room },
      turnstile: config.turnstile
        ? {
            ...config.turnstile,
            proofKey: ticketKey,
            issuer: config.issuer,
            room: config.room,
            proofSeconds: TURNSTILE_PROOF_SECONDS,
          }
        : null,
    },
    isBypassed: bypassMatcher(config.bypassPaths),
    isQueued: queueMatcher(config.queuePaths),
    bypasses: await bypassChecker(config.bypass),
    template: config.holdingPageTemplate ?? DEFAULT_TEMPLATE,
    fetcher: shared.fetcher,
    storeFailures: shared.storeFailures,
    adminThrottle: shared.adminThrottle,
    deployment: shared.deployment,
    instance: shared.instance,
  });
}

/** A solved challenge lets its browser take a ticket within this time. */
const TURNSTILE_PROOF_SECONDS = 600;

/**
 * Caches one {@link Runtime} per environment, so keys, the store client and the
 * link to the room live as long as the worker instance. Keyed by the env object,
 * and by its string values as a fallback in case the platform hands out a new
 * env object: an ephemeral key must not change between requests.
 */
export function runtimeCache(
  overrides: RuntimeOverrides = {},
): (env: Readonly<Record<string, unknown>>) => Promise<Runtime> {
  const byObject = new WeakMap<object, Promise<Runtime>>();
  const byValues = new Map<string, Promise<Runtime>>();
  return (env) => {
    const cached = byObject.get(env);
    if (cached) return cached;
    const fingerprint = JSON.stringify(
      Object.entries(env)
        .filter(([name, value]) => typeof value === "string" || name === "ROOMS")
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    let runtime = byValues.get(fingerprint);
    if (!runtime) {
      runtime = buildRuntime(env, overrides);
      // A failed build (bad config) is not cached, so fixing the setting takes effect at once.
      runtime.catch(() => {
        byValues.delete(fingerprint);
        byObject.delete(env);
      });
      if (byValues.size >= 32) byValues.clear();
      byValues.set(fingerprint, runtime);
    }
    byObject.set(env, runtime);
    return runtime;
  };
}

/**
 * Middleware that puts the instance's {@link Runtime} on the context. A bad
 * setting answers 500 with the stable code `config_invalid`; the details go to
 * the log (and, in development, to the response), never a stack trace.
 */
export function withRuntime(
  runtimeFor: (env: Readonly<Record<string, unknown>>) => Promise<Runtime>,
): MiddlewareHandler<AppEnv> {
  // A bad setting fails every request until it is fixed: one line per 10 s says as much.
  const throttle = new LogThrottle({ windowMs: 10_000, now: Date.now });
  return async function withRuntime(c, next) {
    try {
      c.set("runtime", await runtimeFor((c.env ?? {}) as unknown as Readonly<Record<string, unknown>>));
    } catch (error) {
      if (!(error instanceof AnteroomError)) throw error;
      const line = throttle.admit(error.message);
      if (line) {
        log({
          event: "config_invalid",
          code: error.code,
          problems: error instanceof ConfigError ? error.problems : [error.message],
          heldBack: line.suppressed,
        });
      }
      const development = c.env?.ANTEROOM_ENV === "development";
      const message = development
        ? error.message
        : "The waiting room is misconfigured; the operator's logs have details.";
      return c.json({ error: { code: error.code, message } }, 500, { "Cache-Control": "no-store" });
    }
    return next();
  };
}
