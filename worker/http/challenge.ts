import type { Handler } from "hono";
import { requesterOf } from "../gate/client.ts";
import { log } from "../log.ts";
import { safeReturnPath, signProof, verifyTurnstile } from "../tokens/turnstile.ts";
import type { AppEnv } from "./app-env.ts";
import { setHumanCookie } from "./cookies.ts";
import { TEXTS } from "./pages/i18n/catalog.ts";
import { challengeResponse, errorResponse } from "./responses.ts";
import { roomAsked, unknownRoom } from "./room-asked.ts";

/**
 * `POST /__anteroom/turnstile`: checks a Turnstile answer with Cloudflare's
 * siteverify and, if good, sets the short-lived proof cookie (good for one
 * ticket, from this client only) and sends the browser back to the page it
 * asked for (303, a path on this site only).
 * Browsers post the widget's form (`cf-turnstile-response`, `return`); apps
 * may post JSON `{ "token": "..." }` and get `{ "ok": true }`. A refused or
 * unverifiable answer gets the challenge again, never a ticket.
 *
 * @example
 * ```ts
 * app.post("/__anteroom/turnstile", turnstileCheck());
 * ```
 */
export function turnstileCheck(): Handler<AppEnv> {
  return async function turnstileCheck(c) {
    // The room whose challenge this answers (?room= or the page's Referer): its proof cookie is the room's own.
    const runtime = roomAsked(c);
    if (runtime === null) return unknownRoom(c, c.req.query("room") ?? "");
    c.set("runtime", runtime);
    const options = runtime.gate.turnstile;
    c.header("Cache-Control", "no-store");
    if (!options) return errorResponse(c, 404, "not_found", "No such Anteroom endpoint.");
    const isJson = (c.req.header("content-type") ?? "").includes("application/json");
    let token = "";
    let returnTo: unknown = "/";
    try {
      if (isJson) {
        const body = (await c.req.json()) as { token?: unknown };
        token = typeof body?.token === "string" ? body.token : "";
      } else {
        const form = await c.req.formData();
        token = String(form.get("cf-turnstile-response") ?? "");
        returnTo = form.get("return");
      }
    } catch {
      token = "";
    }
    const ip = c.req.header("cf-connecting-ip") ?? null;
    const check = await verifyTurnstile(token, ip, options, (request) => fetch(request));
    if (!check.ok) {
      if (check.reason === "unavailable") log({ event: "turnstile_unavailable", codes: check.codes });
      const notice = check.reason === "unavailable" ? "challengeUnavailable" : "challengeFailed";
      if (isJson) {
        const message = TEXTS.en[notice];
        return c.json({ ok: false, error: { code: `turnstile_${check.reason}`, message } }, 403);
      }
      const language = runtime.config.language;
      return challengeResponse(c, options.siteKey, language, { notice, returnTo: safeReturnPath(returnTo) });
    }
    // Bound to the client that solved it, and good for one ticket (the gate spends it with the place).
    const { proofHint } = await requesterOf(c.req.raw, runtime.config.requester);
    setHumanCookie(c, await signProof(options, runtime.gate.now(), proofHint), options.proofSeconds);
    if (isJson) return c.json({ ok: true });
    return c.redirect(safeReturnPath(returnTo), 303);
  };
}
