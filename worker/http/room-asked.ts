import type { Context } from "hono";
import type { Runtime } from "../runtime.ts";
import type { AppEnv } from "./app-env.ts";
import { errorResponse } from "./responses.ts";

/**
 * The room a request to one of Anteroom's own endpoints (status poll,
 * Turnstile answer) is for: `?room=NAME` (the pages ask so), else the room of
 * the page that asked (its `Referer`, matched as a page request is), else the
 * first room. Null for a `?room=` no room has (answer with {@link unknownRoom}).
 *
 * @example
 * ```ts
 * const runtime = roomAsked(c);
 * if (runtime === null) return unknownRoom(c, c.req.query("room") ?? "");
 * c.set("runtime", runtime);
 * ```
 */
export function roomAsked(c: Context<AppEnv>): Runtime | null {
  const runtime = c.get("runtime");
  const name = c.req.query("room");
  if (name !== undefined) return runtime.deployment.named(name) ?? null;
  const referer = c.req.header("referer");
  if (referer && runtime.deployment.rooms.length > 1) {
    try {
      const page = new URL(referer);
      return runtime.deployment.roomOf(page.hostname, "GET", page.pathname) ?? runtime;
    } catch {
      // A garbled Referer says nothing: the first room.
    }
  }
  return runtime;
}

/** 404 naming the room asked for (cut short: it is client input). */
export function unknownRoom(c: Context, name: string): Response {
  return errorResponse(c, 404, "room_not_found", `No room named ${JSON.stringify(name.slice(0, 64))}.`);
}
