import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { forward, upstreamRequest } from "./proxy.ts";
import { inBackground, releaseIfAsked } from "./release.ts";
import { countdownResponse, errorResponse, refusalResponse, waitingResponse } from "./responses.ts";
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
    const runtime = c.var.runtime;
    const { pathname } = new URL(c.req.url);
    if (runtime.isBypassed(pathname) || !runtime.isQueued(pathname)) return proxy(c, null);

    const verdict = await judge(c);
    switch (verdict.kind) {
      case "pass":
        return proxy(c, { token: verdict.renewed ?? verdict.token, subject: verdict.subject });
      case "admitted":
        return proxy(c, verdict);
      case "queued":
        return waitingResponse(c, verdict.view, runtime.template, runtime.config.room);
      case "prequeued":
        return countdownResponse(c, verdict.view, runtime.config.room);
      default:
        return refusalResponse(c, verdict, runtime.config.turnstile?.siteKey ?? "");
    }
  };
}

/**
 * Forwards to the origin with the visitor's pass (null on bypassed paths),
 * acts on an early release the origin asks for, and lets the instance's
 * background tick report what it saw (claims, visits, releases).
 */
async function proxy(c: Context<AppEnv>, pass: { token: string; subject: string } | null): Promise<Response> {
  const runtime = c.var.runtime;
  const upstream = upstreamRequest(c.req.raw, runtime.config.originUrl, pass?.token ?? null);
  const forwarded = await forward(upstream, runtime.fetcher);
  if (forwarded.kind === "unreachable") {
    console.error(`anteroom: origin unreachable: ${forwarded.reason}`);
    return errorResponse(c, 502, "origin_unreachable", "The site could not be reached. Please try again shortly.");
  }
  await releaseIfAsked(c, forwarded.response.headers, pass?.subject ?? null);
  if (pass) inBackground(c, runtime.gate.link.tickIfDue());
  return c.newResponse(forwarded.response.body, forwarded.response);
}
