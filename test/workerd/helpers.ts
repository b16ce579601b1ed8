import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair } from "jose";
import type { Upstream } from "../../worker/http/proxy.ts";
import { createApp } from "../../worker/index.ts";
import { buildRuntime } from "../../worker/runtime.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import type { AdmissionStore, RoomSpec } from "../../worker/store/store.ts";

/** The bindings the vitest config gives the worker (wrangler.toml vars plus test ones). */
export const bindings = env as unknown as Record<string, string>;

export const T0 = 1_800_000_000_000;
let rooms = 0;

/** One private ES256 JWK as PASS_SIGNING_KEYS wants it, so several app instances share keys. */
export async function signingKeys(kid = "test-key"): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return JSON.stringify([{ ...(await exportJWK(privateKey)), kid }]);
}

const sharedKeys = signingKeys();

/** What a test may put in place of the real thing: the origin (default: the demo origin at ORIGIN_URL). */
export interface TestRoomOptions {
  readonly fetcher?: Upstream;
}

/**
 * A room of its own (unique ROOM, so tests do not share Redis state) served by
 * the real app in workerd, against the real Redis behind the bridge, with a
 * clock the test moves.
 */
export async function testRoom(settings: Record<string, string> = {}, options: TestRoomOptions = {}) {
  rooms += 1;
  let now = T0;
  const roomEnv: Record<string, string> = {
    ...bindings,
    ROOM: `it-${Date.now()}-${rooms}`,
    // Feature tests drive the room with one-off requests; the cookie check has its own tests (abuse.test.ts).
    COOKIE_CHECK: "off",
    ADMIT_PER_MINUTE: "60",
    PASS_SIGNING_KEYS: await sharedKeys,
    TICKET_SECRET: "t".repeat(40),
    ...settings,
  };
  const newStore = () =>
    new RedisStore(
      connectRedis({
        url: roomEnv.UPSTASH_REDIS_REST_URL ?? "",
        token: roomEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
        timeoutMs: 3000,
      }),
      { now: () => now },
    );
  // Another worker instance: its own store client, runtime and frontier cache, on the same Redis and clock.
  const instance = () =>
    createApp({ store: newStore(), now: () => now, ...(options.fetcher ? { fetcher: options.fetcher } : {}) });
  const app = instance();
  return {
    env: roomEnv,
    app,
    instance,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
    /**
     * The room's store on the same Redis and clock, and its spec as the worker
     * builds it from the env: for reading (or ticking) the room the way an
     * instance does, e.g. `store.autopilot(spec)`.
     */
    store: async (): Promise<{ store: RedisStore; spec: RoomSpec }> => {
      const store = newStore();
      const runtime = await buildRuntime(roomEnv, { store, now: () => now });
      return { store, spec: runtime.gate.room };
    },
    /** Sends a request as `visitor` (cookies kept between calls), the way a browser would. */
    request: (visitor: Visitor, path: string, init: RequestInit = {}) => visitor.send(app, roomEnv, path, init),
  };
}

/** A client with a cookie jar. Parsing Set-Cookie here is test plumbing, not product code. */
export class Visitor {
  readonly cookies = new Map<string, string>();
  readonly accept: string;

  constructor(accept = "text/html,application/xhtml+xml") {
    this.accept = accept;
  }

  /** Sends a request to `app`; with `context`, the worker's background work is handed to it (`waitUntil`). */
  async send(
    app: ReturnType<typeof createApp>,
    roomEnv: Record<string, string>,
    path: string,
    init: RequestInit = {},
    context?: ExecutionContext,
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("accept")) headers.set("accept", this.accept);
    const jar = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (jar) headers.set("cookie", headers.has("cookie") ? `${headers.get("cookie")}; ${jar}` : jar);
    // A path goes to the test host; a whole URL (another host: rooms by host) as it is.
    const url = path.startsWith("http") ? path : `http://room.test${path}`;
    const res = await app.request(url, { ...init, headers }, roomEnv, context);
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attributes.some((a) => a.trim().toLowerCase() === "max-age=0") || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

/** The subject of a pass JWT, or null (test plumbing: the worker verified the pass already). */
export function subjectOf(jwt: string | null): string | null {
  if (!jwt) return null;
  const payload = JSON.parse(atob((jwt.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as { sub: string };
  return payload.sub;
}

/** Calls of Redis commands so far, from INFO commandstats through the bridge. */
export async function redisCalls(): Promise<number> {
  const res = await fetch(bindings.UPSTASH_REDIS_REST_URL ?? "", {
    method: "POST",
    headers: { authorization: `Bearer ${bindings.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(["INFO", "commandstats"]),
  });
  const { result } = (await res.json()) as { result: string };
  let total = 0;
  for (const match of result.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
    if (match[1] !== "info") total += Number(match[2]);
  }
  return total;
}

/**
 * A store in front of the real Redis that can be switched off: while off, every
 * call answers `unavailable`, exactly as RedisStore does on a timeout. Calls are
 * counted either way, so a test can show that a path needed none.
 */
export function switchableStore(inner: AdmissionStore) {
  const control = { down: false, calls: 0 };
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        control.calls += 1;
        if (control.down) {
          const off = { kind: "unavailable", failure: "outage", reason: "switched off by the test" };
          // A batch of newcomers gets the failure each.
          return Promise.resolve(property === "joinMany" ? (args[1] as unknown[]).map(() => off) : off);
        }
        return value.apply(target, args);
      };
    },
  });
  return { store, control };
}
