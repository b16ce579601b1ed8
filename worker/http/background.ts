import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";

/**
 * Has the instance send what this response left in its outbox (claims,
 * visits, a release, the origin's answer) soon after the response, in the
 * background (`RoomLink.flushSoon`): `waitUntil` keeps the instance alive
 * until the flush is done (Workers allow up to 30 s after the response), so
 * an instance evicted after its last response has still sent what it held.
 * Without an execution context (`app.request` in tests) nothing would wait
 * for a flush scheduled for later, so only one due at once is made.
 *
 * @param watching the response relied on the denylist (an admitted visitor):
 *   the instance's feeds are kept no older than `IDLE_TICK_MS`
 * @example
 * ```ts
 * const response = await forward(upstream, fetcher);
 * flushInBackground(c, true);
 * return response;
 * ```
 */
export function flushInBackground(c: Context<AppEnv>, watching: boolean): void {
  const link = c.get("runtime").gate.link;
  let context: { waitUntil(work: Promise<unknown>): void } | null;
  try {
    context = c.executionCtx;
  } catch {
    context = null;
  }
  if (context === null) {
    void link.flushIfDue(watching);
    return;
  }
  const work = link.flushSoon(watching);
  if (work) context.waitUntil(work);
}
