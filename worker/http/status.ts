import type { Handler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { flushInBackground } from "./background.ts";
import { countdownJson, queuedJson, refusalResponse } from "./responses.ts";
import { roomAsked, unknownRoom } from "./room-asked.ts";
import { judge } from "./verdict.ts";

/**
 * `GET /__anteroom/status`: where the visitor stands, as JSON, for the holding
 * page's polling and for apps. Admission happens here too: when the
 * visitor's turn has come, the response sets the pass cookie.
 *
 * A request with no valid ticket joins the queue, exactly as a page request
 * would, so a visitor whose cookie was lost is never stranded.
 *
 * The room a poll is for: `?room=NAME` (the holding page asks so; an unknown
 * name is a 404 naming it), else the room of the page that asked (its
 * `Referer`, matched as a page request is), else the first room.
 *
 * @example
 * ```ts
 * app.get("/__anteroom/status", status());
 * ```
 */
export function status(): Handler<AppEnv> {
  return async function status(c) {
    c.header("Cache-Control", "no-store");
    const runtime = roomAsked(c);
    if (runtime === null) return unknownRoom(c, c.req.query("room") ?? "");
    c.set("runtime", runtime);
    const verdict = await judge(c);
    // An admission here used a place: its claim is sent soon after this answer, in the background.
    flushInBackground(c, verdict.kind === "pass" || verdict.kind === "admitted");
    switch (verdict.kind) {
      case "pass":
        return c.json(admittedJson(null));
      case "admitted":
        return c.json(admittedJson(verdict.position));
      case "queued":
        return c.json(queuedJson(verdict.view));
      case "prequeued":
        return c.json(countdownJson(verdict.view));
      default:
        return refusalResponse(c, verdict, runtime.config.turnstile?.siteKey ?? "", runtime.config.language);
    }
  };
}

function admittedJson(position: number | null) {
  return { state: "admitted" as const, position, ahead: 0, etaSeconds: 0, refreshSeconds: 0 };
}
