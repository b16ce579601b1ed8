import type { Context, MiddlewareHandler, Next } from "hono";
import { RELEASE_HEADER } from "../../origin-adapter/contract.ts";
import { log } from "../log.ts";
import type { Runtime } from "../runtime.ts";
import type { AppEnv } from "./app-env.ts";
import { flushInBackground } from "./background.ts";
import { cookieValue } from "./cookies.ts";
import { forward, forwardTimed, keepPrivate, type Upstream, upstreamRequest } from "./proxy.ts";
import { releaseIfAsked } from "./release.ts";
import { countdownResponse, errorResponse, type PageSettings, refusalResponse, waitingResponse } from "./responses.ts";
import { judge } from "./verdict.ts";

/**
 * Where a request the room lets through goes: `origin`, proxied to ORIGIN_URL
 * (or the request's own URL) as the standalone worker does; or `app`, on to
 * the handlers after the room in the same Hono app (`next()`), as the
 * `anteroom()` middleware does.
 */
export type Onward = "origin" | "app";

/**
 * The waiting rooms in front of the origin. A request goes to its most
 * specific room (host, then path; http/rooms.ts); one that no room queues, a
 * bypassed path, or a request a room's bypass rules let through (a secret
 * header or cookie, a listed network; http/bypass.ts) goes straight through
 * (no store call, no cookie); every other goes through its room's gate,
 * and its verdict is translated to HTTP here: proxy (or the app's own routes),
 * holding page, or 429 JSON.
 *
 * @example
 * ```ts
 * app.all("*", waitingRoom());
 * ```
 */
export function waitingRoom(onward: Onward = "origin"): MiddlewareHandler<AppEnv> {
  return async function waitingRoom(c, next) {
    // c.get, not c.var: c.var builds an object of every variable on each read.
    const url = new URL(c.req.url);
    const app = onward === "app" ? next : null;
    // The most specific room for the host and path (http/rooms.ts); none, or a bypassed path: straight through.
    const runtime = c.get("runtime").deployment.roomOf(url.hostname, c.req.method, url.pathname);
    if (runtime === null) return proxy(c, url, null, app);
    c.set("runtime", runtime);
    if (runtime.bypasses && (await runtime.bypasses(c.req.raw, (name) => cookieValue(c, name)))) {
      return proxy(c, url, null, app);
    }

    const verdict = await judge(c);
    switch (verdict.kind) {
      case "pass":
        return proxy(
          c,
          url,
          { token: verdict.renewed ?? verdict.token, subject: verdict.subject, set: verdict.renewed !== null },
          app,
        );
      case "admitted":
        return proxy(c, url, { token: verdict.token, subject: verdict.subject, set: true }, app);
      case "queued":
        return waitingResponse(c, verdict.view, pageSettings(runtime));
      case "prequeued":
        return countdownResponse(c, verdict.view, pageSettings(runtime));
      default:
        return refusalResponse(c, verdict, runtime.config.turnstile?.siteKey ?? "", runtime.config.language);
    }
  };
}

/** What this room's pages are made of (built only when a page is rendered). */
function pageSettings(runtime: Runtime): PageSettings {
  const { config } = runtime;
  // The pass set at the turn lasts a session: the page never promises longer than that.
  const offerSeconds = Math.min(config.offerSeconds, config.sessionSeconds);
  return { template: runtime.template, room: config.room, language: config.language, offerSeconds };
}

/** The pass a proxied request goes with: the token, its subject, and whether this response sets it (new or renewed). */
interface ProxiedPass {
  readonly token: string;
  readonly subject: string;
  readonly set: boolean;
}

/**
 * Forwards to the origin with the visitor's pass (null on bypassed paths), or,
 * given the app's `next`, hands the request on to the app's own routes
 * (untouched: they read the pass from the `anteroomPass` variable),
 * acts on an early release the origin asks for, and has the instance's
 * background flush report what it saw soon after the response (claims,
 * visits, releases, and how the origin answered: an admitted visitor's
 * request is timed for the autopilot; a bypassed one is not, as the room
 * does not meter it; see `RoomLink.flushSoon`). A response
 * that sets or clears a pass is the visitor's alone: it leaves as
 * `Cache-Control: private`, never `public`.
 */
async function proxy(c: Context<AppEnv>, url: URL, pass: ProxiedPass | null, app: Next | null): Promise<Response> {
  const runtime = c.get("runtime");
  if (app && pass) c.set("anteroomPass", pass.token);
  const upstream = app ? c.req.raw : upstreamRequest(c.req.raw, runtime.config.originUrl, pass?.token ?? null, url);
  const fetcher = app ? appRoutes(c, app) : runtime.fetcher;
  const forwarded = pass
    ? await forwardTimed(upstream, fetcher, runtime.gate.now, originTimeoutMs(runtime), runtime.gate.link)
    : await forward(upstream, fetcher);
  if (forwarded.kind === "unreachable") {
    log({ event: "origin_unreachable", reason: forwarded.reason });
    // The failure is in the meter (the autopilot's signal): the background flush reports it.
    flushInBackground(c, pass !== null);
    return errorResponse(c, 502, "origin_unreachable", "The site could not be reached. Please try again shortly.");
  }
  const origin = forwarded.response;
  // The origin's headers are copied only when the room changes them (fetch hands them out immutable).
  let changed: Headers | null = null;
  let released = false;
  if (origin.headers.has(RELEASE_HEADER)) {
    changed = new Headers(origin.headers);
    released = await releaseIfAsked(c, changed, pass?.subject ?? null);
  }
  if (pass?.set || released) {
    changed ??= new Headers(origin.headers);
    keepPrivate(changed);
  }
  // Claims, visits, a release (on a bypassed path too) and the origin's answer: sent soon, in the background.
  flushInBackground(c, pass !== null);
  return answer(c, origin, changed);
}

/** The app's own routes as an {@link Upstream}: runs them (`next()`) and takes their response off `c`. */
function appRoutes(c: Context<AppEnv>, next: Next): Upstream {
  return async () => {
    await next();
    const response = c.res;
    // The routes' response leaves `c`, so the room's own headers (cookies) are again what `c` holds
    // (answer()) and the room's answer replaces it rather than having its headers merged in.
    c.res = undefined as unknown as Response;
    c.finalized = false;
    return response;
  };
}

/** How long the origin may take to answer before the request counts as failed: the live setting, else ORIGIN_TIMEOUT_MS. */
function originTimeoutMs(runtime: Runtime): number {
  return runtime.gate.link.lastSettings()?.autopilot?.timeoutMs ?? runtime.config.autopilot.timeoutMs;
}

/**
 * The response to a proxied request. Most leave exactly as the origin sent
 * them, and then the origin's response object itself is returned: copying a
 * response (body, status, headers) costs more than everything else the room
 * does on a bypassed path. Otherwise one new response is made, with the
 * origin's status and body and the headers merged as Hono's `c.newResponse`
 * merges them: what the handler set on `c` (the verdict's cookies, a
 * release's), then the origin's (`changed`, when the room changed a copy),
 * Set-Cookie appended after the room's (unless the same: an app's route that
 * answers with `c.json()` and the like already carries the room's cookies),
 * any other header the origin's.
 */
function answer(c: Context<AppEnv>, origin: Response, changed: Headers | null): Response {
  // What the handler set on `c` so far, which Hono hands out only in a response it makes.
  const own = c.newResponse(null).headers;
  if (own.keys().next().done) return changed === null ? origin : withHeaders(origin, changed);
  const cookies = new Set(own.getSetCookie());
  for (const [name, value] of changed ?? origin.headers) {
    if (name !== "set-cookie") own.set(name, value);
    else if (!cookies.has(value)) own.append(name, value);
  }
  return withHeaders(origin, own);
}

/** The origin's response (status, reason, body) with other headers. */
function withHeaders(origin: Response, headers: Headers): Response {
  return new Response(origin.body, { status: origin.status, statusText: origin.statusText, headers });
}
