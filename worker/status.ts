import type { Handler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { requesterOf } from "./client.ts";
import { readCredentials, setVerdictCookies } from "./cookies.ts";
import { evaluate } from "./gate.ts";
import {
  challengeResponse,
  closedResponse,
  cookieCheckResponse,
  countdownJson,
  limitedResponse,
  queuedJson,
  unavailableResponse,
} from "./responses.ts";

/**
 * `GET /__anteroom/status`: where the visitor stands, as JSON, for the holding
 * page's polling and for apps. Admission happens here too: when the
 * visitor's turn has come, the response sets the pass cookie.
 *
 * A request with no valid ticket joins the queue, exactly as a page request
 * would, so a visitor whose cookie was lost is never stranded.
 *
 * @example
 * ```ts
 * app.get("/__anteroom/status", status());
 * ```
 */
export function status(): Handler<AppEnv> {
  return async function status(c) {
    const runtime = c.var.runtime;
    c.header("Cache-Control", "no-store");
    const credentials = readCredentials(c);
    const requester = await requesterOf(c.req.raw, runtime.config.requester);
    const verdict = await evaluate(credentials, runtime.gate, requester);
    setVerdictCookies(c, verdict, credentials, runtime.config.ticketTtlSeconds);
    switch (verdict.kind) {
      case "pass":
        return c.json(admittedJson(null));
      case "admitted":
        return c.json(admittedJson(verdict.position));
      case "queued":
        return c.json(queuedJson(verdict.view));
      case "prequeued":
        return c.json(countdownJson(verdict.view));
      case "cookie_check":
        return cookieCheckResponse(c);
      case "challenge":
        return challengeResponse(c, runtime.config.turnstile?.siteKey ?? "");
      case "limited":
        return limitedResponse(c, verdict.retryAfterSeconds);
      case "closed":
        return closedResponse(c);
      case "unavailable":
        return unavailableResponse(c, verdict.retryAfterSeconds);
    }
  };
}

function admittedJson(position: number | null) {
  return { state: "admitted" as const, position, ahead: 0, etaSeconds: 0, refreshSeconds: 0 };
}
