import type { Context, MiddlewareHandler } from "hono";
import { RELEASE_HEADER } from "../../origin-adapter/contract.ts";
import { Memo } from "../gate/memo.ts";
import type { Runtime } from "../runtime.ts";
import type { AppEnv } from "./app-env.ts";
import { forward, forwardTimed, keepPrivate, upstreamRequest } from "./proxy.ts";
import { inBackground, releaseIfAsked } from "./release.ts";
import { countdownResponse, errorResponse, type PageSettings, refusalResponse, waitingResponse } from "./responses.ts";
import { judge } from "./verdict.ts";

/**
 * The waiting room in front of the origin. Bypassed paths go straight through
 * (no store call, no cookie); every other queued path goes through the gate,
 * and its verdict is translated to HTTP here: proxy, holding page, or 429 JSON.
 *
 * @example
 * ```ts
 * app.all("*", waitingRoom());
 * ```
 */
export function waitingRoom(): MiddlewareHandler<AppEnv> {
  return async function waitingRoom(c) {
    // c.get, not c.var: c.var builds an object of every variable on each read.
    const runtime = c.get("runtime");
    const url = new URL(c.req.url);
    if (!gated(runtime, c.req.method, url.pathname)) return proxy(c, url, null);

    const verdict = await judge(c);
    switch (verdict.kind) {
      case "pass":
        return proxy(c, url, {
          token: verdict.renewed ?? verdict.token,
          subject: verdict.subject,
          set: verdict.renewed !== null,
        });
      case "admitted":
        return proxy(c, url, { token: verdict.token, subject: verdict.subject, set: true });
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
 * Forwards to the origin with the visitor's pass (null on bypassed paths),
 * acts on an early release the origin asks for, and lets the instance's
 * background tick report what it saw (claims, visits, releases, and how the
 * origin answered: an admitted visitor's request is timed for the autopilot;
 * a bypassed one is not, as the room does not meter it). A response
 * that sets or clears a pass is the visitor's alone: it leaves as
 * `Cache-Control: private`, never `public`.
 */
async function proxy(c: Context<AppEnv>, url: URL, pass: ProxiedPass | null): Promise<Response> {
  const runtime = c.get("runtime");
  const upstream = upstreamRequest(c.req.raw, runtime.config.originUrl, pass?.token ?? null, url);
  const forwarded = pass
    ? await forwardTimed(upstream, runtime.fetcher, runtime.gate.now, originTimeoutMs(runtime), runtime.gate.link)
    : await forward(upstream, runtime.fetcher);
  if (forwarded.kind === "unreachable") {
    console.error(`anteroom: origin unreachable: ${forwarded.reason}`);
    // The failure is in the meter (the autopilot's signal): the background tick reports it.
    if (pass) inBackground(c, runtime.gate.link.tickIfDue());
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
  if (pass) inBackground(c, runtime.gate.link.tickIfDue());
  return answer(c, origin, changed);
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
 * Set-Cookie appended after the room's, any other header the origin's.
 */
function answer(c: Context<AppEnv>, origin: Response, changed: Headers | null): Response {
  // What the handler set on `c` so far, which Hono hands out only in a response it makes.
  const own = c.newResponse(null).headers;
  if (own.keys().next().done) return changed === null ? origin : withHeaders(origin, changed);
  for (const [name, value] of changed ?? origin.headers) {
    if (name === "set-cookie") own.append(name, value);
    else own.set(name, value);
  }
  return withHeaders(origin, own);
}

/** The origin's response (status, reason, body) with other headers. */
function withHeaders(origin: Response, headers: Headers): Response {
  return new Response(origin.body, { status: origin.status, statusText: origin.statusText, headers });
}

/** How many routing decisions (method and path) an instance remembers, per runtime. */
const ROUTE_MEMO_ENTRIES = 2_000;
/** Longer paths are matched afresh each time, so the memo holds about a megabyte at most. */
const ROUTE_MEMO_PATH_LENGTH = 256;
/** Each runtime's routing decisions: its settings decide them, and it lives as long as the instance. */
const routeMemos = new WeakMap<Runtime, Memo<boolean>>();

/**
 * Whether a request goes through the gate: its path queues (QUEUE_PATHS) and
 * does not bypass (BYPASS_PATHS, for this method). The matchers read a path
 * several ways and test each reading with URLPattern (paths.ts), about a
 * microsecond per pattern tried; a page view, which no bypass pattern
 * matches, tries them all, and that was the largest part of what the room
 * added to an admitted view. The answer depends on the method, the path and
 * the settings alone, so each instance remembers it for the paths its
 * visitors ask for, bounded (the least recently used goes).
 */
function gated(runtime: Runtime, method: string, pathname: string): boolean {
  if (pathname.length > ROUTE_MEMO_PATH_LENGTH) return matched(runtime, method, pathname);
  let memo = routeMemos.get(runtime);
  if (!memo) {
    memo = new Memo<boolean>(ROUTE_MEMO_ENTRIES);
    routeMemos.set(runtime, memo);
  }
  const key = `${method} ${pathname}`;
  // Decisions never expire: the settings behind them live as long as the runtime (time 0, expiry never).
  const known = memo.recall(key, 0);
  if (known !== undefined) return known;
  const decision = matched(runtime, method, pathname);
  memo.remember(key, decision, Number.POSITIVE_INFINITY);
  return decision;
}

/** What the matchers say (paths.ts): not bypassed, and queued. */
function matched(runtime: Runtime, method: string, pathname: string): boolean {
  return !runtime.isBypassed(method, pathname) && runtime.isQueued(pathname);
}
