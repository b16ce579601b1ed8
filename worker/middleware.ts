import type { Context, MiddlewareHandler } from "hono";
import type { AnySettingName } from "./config.ts";
import type { AppEnv } from "./http/app-env.ts";
import { waitingRoom } from "./http/room.ts";
import { createApp } from "./index.ts";
import { type RuntimeOverrides, runtimeCache, withRuntime } from "./runtime.ts";
import type { AdmissionStore } from "./store/store.ts";

/**
 * The room's settings by their `wrangler.toml` names (README "Configuration"),
 * exactly as the standalone worker reads them from its env: strings, and
 * ROOMS as a JSON string or the array itself (as wrangler.toml `[vars]` gives
 * it). Every name config.ts reads is here (`AnySettingName`), so a new
 * setting needs no change in this file.
 */
export type AnteroomSettings = {
  readonly [Name in AnySettingName]?: Name extends "ROOMS" ? string | readonly object[] : string;
};

/** What {@link anteroom} puts on the context for the app's routes: the admitted visitor's pass (a JWT). */
export interface AnteroomVariables {
  anteroomPass?: string;
}

/** Options of {@link anteroom}; `Bindings` is the worker's env type (its vars, secrets and bindings). */
export interface AnteroomOptions<Bindings extends object = Record<string, unknown>> {
  /**
   * The settings: an object, or a function of the worker's env (where the
   * secrets are: `PASS_SIGNING_KEYS`, `TICKET_SECRET`, `UPSTASH_REDIS_REST_*`,
   * `ADMIN_TOKEN`). Unset: the worker's env itself, as the standalone worker
   * reads it. Checked on the first request, like the worker's own settings: a
   * bad one answers 500 `config_invalid` and names the setting in the log.
   */
  readonly settings?: AnteroomSettings | ((env: Bindings) => AnteroomSettings);
  /** A store other than Redis through UPSTASH_REDIS_REST_URL (tests). */
  readonly store?: AdmissionStore;
  /** A clock other than `Date.now` (tests). */
  readonly now?: () => number;
}

/**
 * The waiting room as a Hono middleware, for a site that already runs a Hono
 * worker: mount it in front of the routes it guards. It answers the room's
 * own endpoints (`/__anteroom/*`: status, JWKS, admin API, dashboard),
 * lets bypassed and unqueued paths through untouched, gives newcomers and
 * waiting visitors the holding page (or 429 JSON), and hands admitted
 * visitors on to the app's own routes with `next()`.
 *
 * The difference from the standalone worker (`createApp()`): nothing is
 * proxied, so ORIGIN_URL is not used, and the routes see the request exactly
 * as the visitor sent it (the ticket cookie too); the pass is theirs to read
 * as the `anteroomPass` context variable (a JWT) rather than the
 * `anteroom-pass` header. The autopilot times the routes' answers as it
 * times an origin's.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { anteroom, type AnteroomVariables } from "anteroom";
 *
 * type Bindings = { TICKET_SECRET: string; PASS_SIGNING_KEYS: string; UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string };
 * const app = new Hono<{ Bindings: Bindings; Variables: AnteroomVariables }>();
 * app.use("*", anteroom<Bindings>({ settings: (env) => ({ ...env, ADMIT_PER_MINUTE: "120", QUEUE_PATHS: "/checkout/*" }) }));
 * app.get("/checkout/", (c) => c.text(`Welcome in (pass: ${c.get("anteroomPass") ? "yes" : "no"})`));
 * export default app;
 * ```
 */
export function anteroom<Bindings extends object = Record<string, unknown>>(
  options: AnteroomOptions<Bindings> = {},
): MiddlewareHandler<{ Bindings: Bindings; Variables: AnteroomVariables }> {
  const overrides: RuntimeOverrides = {
    ...(options.store ? { store: options.store } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  const settingsOf = settingsSource(options.settings);
  // One cache for the room and its endpoints: one runtime (keys, store link, view) per instance.
  const runtimeFor = runtimeCache(overrides);
  const endpoints = createApp(overrides, runtimeFor);
  const runtime = withRuntime((env) => runtimeFor(settingsOf(env as Bindings)));
  const room = waitingRoom("app");
  return async function anteroom(c, next) {
    const path = c.req.path;
    if (path === "/__anteroom" || path.startsWith("/__anteroom/")) {
      return endpoints.fetch(c.req.raw, settingsOf(c.env), executionContext(c));
    }
    const roomContext = c as unknown as Context<AppEnv>;
    // withRuntime returns what its `next` returns, here the room's response (typed as Hono's Next).
    return runtime(roomContext, () => room(roomContext, next) as Promise<void>);
  };
}

/** The settings for an env, the same object for the same env (so the runtime cache finds it by identity). */
function settingsSource<Bindings extends object>(
  settings: AnteroomOptions<Bindings>["settings"],
): (env: Bindings | undefined) => Readonly<Record<string, unknown>> {
  if (settings === undefined) return (env) => (env as Readonly<Record<string, unknown>> | undefined) ?? NO_ENV;
  if (typeof settings !== "function") {
    const fixed = Object.freeze({ ...settings });
    return () => fixed;
  }
  const byEnv = new WeakMap<object, Readonly<Record<string, unknown>>>();
  return (env) => {
    const from = env ?? (NO_ENV as Bindings);
    let made = byEnv.get(from);
    if (!made) {
      made = Object.freeze({ ...settings(from) });
      byEnv.set(from, made);
    }
    return made;
  };
}

const NO_ENV: Readonly<Record<string, unknown>> = Object.freeze({});

/** The platform's execution context, when there is one (`app.request()` in tests has none). */
function executionContext(c: Context): Context["executionCtx"] | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
