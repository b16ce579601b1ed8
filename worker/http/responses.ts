import type { Context } from "hono";
import type { CountdownView, QueuedView, Verdict } from "../gate/gate.ts";
import { safeReturnPath, TURNSTILE_ORIGIN } from "../tokens/turnstile.ts";
import { securePage } from "./headers.ts";
import { pageLanguage } from "./language.ts";
import { type ChallengeNotice, renderChallenge } from "./pages/challenge.ts";
import { renderCountdown } from "./pages/countdown.ts";
import { type Language, TEXTS, type TextKey } from "./pages/i18n/catalog.ts";
import { escapeHtml, pageStart, pageValues, renderTemplate } from "./pages/page.ts";

/**
 * What the pages of one room are made of: its holding page template, its
 * name, its default language (LANGUAGE; a visitor's cookie or
 * Accept-Language may choose another) and its offer window (OFFER_SECONDS).
 */
export interface PageSettings {
  readonly template: string;
  readonly room: string;
  readonly language: Language;
  readonly offerSeconds: number;
}

/**
 * True for requests a person's browser makes to show a page. Everything else
 * (fetch/XHR, API clients asking for JSON, non-GET methods) gets JSON, never
 * the HTML holding page.
 */
export function wantsPage(request: Request): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  const mode = request.headers.get("sec-fetch-mode");
  if (mode && mode !== "navigate") return false;
  const accept = request.headers.get("accept") ?? "";
  if (accept.includes("text/html")) return true;
  return !/application\/(?:[\w.+-]*\+)?json/.test(accept);
}

/**
 * The JSON body of a queued visitor, for API clients (429) and the status
 * endpoint. While the room is paused it has `paused: true` and no
 * `etaSeconds`: a paused room promises no wait.
 */
export function queuedJson(view: QueuedView) {
  return {
    state: "queued" as const,
    position: view.position,
    ahead: view.ahead,
    ...(view.paused || view.etaSeconds === null ? {} : { etaSeconds: view.etaSeconds }),
    refreshSeconds: view.refreshSeconds,
    progress: Number(view.progress.toFixed(4)),
    delayed: view.delayed,
    paused: view.paused,
  };
}

/** The holding page (browsers) or a 429 with JSON and Retry-After (everyone else). */
export function waitingResponse(c: Context, view: QueuedView, page: PageSettings): Response {
  c.header("Cache-Control", "no-store");
  if (!wantsPage(c.req.raw)) {
    c.header("Retry-After", String(view.refreshSeconds));
    return c.json({ ...queuedJson(view), retryAfter: view.refreshSeconds }, 429);
  }
  const context = { language: pageLanguage(c, page.language), offerSeconds: page.offerSeconds };
  const html = renderTemplate(page.template, pageValues(view, page.room, securePage(c), context));
  return c.html(c.req.method === "HEAD" ? "" : html, 200);
}

/** The store is down and this visitor has no place yet: ask again shortly, without touching the origin. */
export function unavailableResponse(c: Context, retryAfterSeconds: number, language: Language): Response {
  return retryLater(c, language, { status: 503, state: "unavailable", code: "store_unavailable", retryAfterSeconds });
}

/**
 * A newcomer turned away for now: JSON with a stable code and `Retry-After`
 * for apps, a short page that retries by itself for browsers.
 */
function retryLater(
  c: Context,
  language: Language,
  answer: {
    readonly status: 429 | 503;
    /** Also the key of what is said: in English in the JSON (for programs' logs), in the visitor's language on the page. */
    readonly state: Extract<TextKey, "unavailable" | "limited">;
    readonly code: string;
    readonly retryAfterSeconds: number;
  },
): Response {
  const { status, state, code, retryAfterSeconds } = answer;
  const message = TEXTS.en[state];
  c.header("Cache-Control", "no-store");
  c.header("Retry-After", String(retryAfterSeconds));
  if (!wantsPage(c.req.raw)) return c.json({ state, error: { code, message }, retryAfter: retryAfterSeconds }, status);
  securePage(c);
  const chosen = pageLanguage(c, language);
  const text = TEXTS[chosen];
  return c.html(
    `${pageStart(text.retryTitle, chosen)}<meta http-equiv="refresh" content="${retryAfterSeconds}"></head><body><main><h1>${escapeHtml(text.retryTitle)}</h1><p role="status">${escapeHtml(text[state])} ${escapeHtml(text.retriesItself)}</p></main></body></html>`,
    status,
  );
}

/** The room takes no newcomers (closed / sold out): a page for browsers, 403 JSON for everyone else. */
export function closedResponse(c: Context, language: Language): Response {
  c.header("Cache-Control", "no-store");
  const message = TEXTS.en.closed;
  if (!wantsPage(c.req.raw)) return c.json({ state: "closed", error: { code: "room_closed", message } }, 403);
  securePage(c);
  const chosen = pageLanguage(c, language);
  const text = TEXTS[chosen];
  return c.html(
    `${pageStart(text.closedTitle, chosen)}</head><body><main><h1>${escapeHtml(text.closedTitle)}</h1><p role="status">${escapeHtml(text.closed)} ${escapeHtml(text.closedThanks)}</p></main></body></html>`,
    200,
  );
}

/**
 * A newcomer over the rate in a room whose QUEUEING is `reject`: 503 with
 * `Retry-After`; JSON `room_full` for apps, a static "come back later" page
 * for browsers. The page does not refresh itself: an automatic retry would
 * bring every rejected visitor back at the same moment, each a new store
 * call, to be turned away again; a "Try again" link leaves it to the person.
 */
export function rejectedResponse(c: Context, retryAfterSeconds: number, language: Language): Response {
  c.header("Cache-Control", "no-store");
  c.header("Retry-After", String(retryAfterSeconds));
  if (!wantsPage(c.req.raw)) {
    const message = TEXTS.en.rejected;
    return c.json({ state: "rejected", error: { code: "room_full", message }, retryAfter: retryAfterSeconds }, 503);
  }
  securePage(c);
  const chosen = pageLanguage(c, language);
  const text = TEXTS[chosen];
  const url = new URL(c.req.url);
  const again = escapeHtml(safeReturnPath(url.pathname + url.search));
  return c.html(
    `${pageStart(text.rejectedTitle, chosen)}</head><body><main><h1>${escapeHtml(text.rejectedTitle)}</h1><p role="status">${escapeHtml(text.rejected)}</p><p><a href="${again}">${escapeHtml(text.rejectedRetry)}</a></p></main></body></html>`,
    503,
  );
}

/** A JSON error with a stable code; the message is for people, the code for programs. */
export function errorResponse(
  c: Context,
  status: 401 | 404 | 413 | 429 | 500 | 502,
  code: string,
  message: string,
): Response {
  c.header("Cache-Control", "no-store");
  return c.json({ error: { code, message } }, status);
}

/** A pre-queued visitor: the countdown page for browsers, 429 JSON with Retry-After for everyone else. */
export function countdownResponse(c: Context, view: CountdownView, page: PageSettings): Response {
  c.header("Cache-Control", "no-store");
  if (!wantsPage(c.req.raw)) {
    c.header("Retry-After", String(view.refreshSeconds));
    return c.json({ ...countdownJson(view), retryAfter: view.refreshSeconds }, 429);
  }
  const context = { language: pageLanguage(c, page.language) };
  return c.html(c.req.method === "HEAD" ? "" : renderCountdown(view, page.room, securePage(c), context), 200);
}

/** The JSON body of a pre-queued visitor, for API clients (429) and the status endpoint. */
export function countdownJson(view: CountdownView) {
  return {
    state: "prequeue" as const,
    startsAt: new Date(view.startsAt).toISOString(),
    secondsToStart: view.secondsToStart,
    refreshSeconds: view.refreshSeconds,
    delayed: view.delayed,
  };
}

/** A client over NEW_TICKETS_PER_IP_PER_MINUTE: 429 (JSON or a short page), no ticket, try again next minute. */
export function limitedResponse(c: Context, retryAfterSeconds: number, language: Language): Response {
  return retryLater(c, language, { status: 429, state: "limited", code: "too_many_new_tickets", retryAfterSeconds });
}

/** A newcomer must solve the Turnstile challenge first: the widget page, or 403 JSON naming the site key for apps. */
export function challengeResponse(
  c: Context,
  siteKey: string,
  language: Language,
  retry?: { readonly notice: ChallengeNotice; readonly returnTo: string },
): Response {
  c.header("Cache-Control", "no-store");
  // A retry answers the widget's own form post: a page again, whatever the method.
  if (!retry && !wantsPage(c.req.raw)) {
    const message = "Solve the Turnstile challenge, then POST its token to /__anteroom/turnstile.";
    return c.json({ state: "challenge", error: { code: "turnstile_required", message }, siteKey }, 403);
  }
  const url = new URL(c.req.url);
  const returnPath = safeReturnPath(retry?.returnTo ?? url.pathname + url.search);
  const nonce = securePage(c, TURNSTILE_ORIGIN);
  const notice = retry?.notice ?? null;
  const chosen = pageLanguage(c, language);
  // The room the handler put on the context: the form names it, as a browser may send no Referer to tell it by.
  const runtime: { readonly config: { readonly room: string } } | undefined = c.get("runtime");
  const room = runtime?.config.room ?? null;
  return c.html(renderChallenge({ siteKey, returnPath, room, nonce, notice, language: chosen }), retry ? 403 : 200);
}

/**
 * The cookie check (COOKIE_CHECK): the probe cookie is set by the verdict; a
 * browser's navigation is sent straight back to the same URL (307, so a form
 * post is repeated as it was), and it returns with the cookie; apps get 429
 * JSON `cookie_required` and should repeat the request with the cookie. A
 * client that keeps no cookies goes round without ever taking a place.
 */
export function cookieCheckResponse(c: Context): Response {
  c.header("Cache-Control", "no-store");
  const url = new URL(c.req.url);
  if (wantsPage(c.req.raw)) return c.redirect(`${url.pathname}${url.search}`, 307);
  c.header("Retry-After", "1");
  const message =
    "Send this request again with the cookie just set: the waiting room gives places to clients that keep cookies.";
  return c.json({ state: "cookie_check", error: { code: "cookie_required", message }, retryAfter: 1 }, 429);
}

/** The verdicts that turn a newcomer away (for now), answered the same on page requests and status polls. */
export type Refusal = Extract<
  Verdict,
  { readonly kind: "cookie_check" | "challenge" | "limited" | "closed" | "rejected" | "unavailable" }
>;

/**
 * The answer to a {@link Refusal}.
 *
 * @example
 * ```ts
 * if (verdict.kind === "closed") return refusalResponse(c, verdict, siteKey, "en");
 * ```
 */
export function refusalResponse(c: Context, verdict: Refusal, turnstileSiteKey: string, language: Language): Response {
  switch (verdict.kind) {
    case "cookie_check":
      return cookieCheckResponse(c);
    case "challenge":
      return challengeResponse(c, turnstileSiteKey, language);
    case "limited":
      return limitedResponse(c, verdict.retryAfterSeconds, language);
    case "closed":
      return closedResponse(c, language);
    case "rejected":
      return rejectedResponse(c, verdict.retryAfterSeconds, language);
    case "unavailable":
      return unavailableResponse(c, verdict.retryAfterSeconds, language);
  }
}
