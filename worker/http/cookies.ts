import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { parse } from "hono/utils/cookie";
import { HOST_PREFIX, PASS_COOKIE, ROOM_COOKIE_SEPARATOR, roomCookieName } from "../../origin-adapter/contract.ts";
import type { Credentials, Verdict } from "../gate/gate.ts";
import { MAX_TOKEN_LENGTH } from "../tokens/ticket.ts";

/**
 * The pass cookie's name and the `__Host-` prefix are the wire contract's
 * (origin adapters read the pass cookie too, in both forms).
 */
export { HOST_PREFIX, PASS_COOKIE, ROOM_COOKIE_SEPARATOR, roomCookieName };

/**
 * Anteroom's own cookie names on plain http (local development). On https each is
 * sent as `__Host-<name>` (see {@link readCredentials}).
 */
export const TICKET_COOKIE = "anteroom_ticket";
/** The cookie check's token (COOKIE_CHECK): sent back, it shows the client keeps cookies. */
export const PROBE_COOKIE = "anteroom_probe";
/** Proof that this browser solved the Turnstile challenge (only with TURNSTILE_SITE_KEY set). */
export const HUMAN_COOKIE = "anteroom_human";

/**
 * Reads both cookies. On https only the `__Host-` names count: a sibling
 * subdomain can set an unprefixed cookie for this host, and a planted ticket
 * would let it pick the visitor's place. A value longer than any real token
 * is dropped here, before any signature check, and a garbled Cookie header
 * yields nothing rather than an error.
 *
 * @example
 * ```ts
 * const { pass, ticket } = readCredentials(c);
 * ```
 */
export function readCredentials(c: Context): Credentials {
  // The header is read once and each name looked up in it, as hono's getCookie looks one up (it would
  // read the header again for each); a name the header does not hold costs one string search.
  const header = c.req.raw.headers.get("cookie");
  if (!header) return { pass: undefined, ticket: undefined, human: undefined, probe: undefined };
  const prefix = hostPrefix(c) === "host" ? HOST_PREFIX : "";
  const suffix = roomSuffix(c);
  try {
    return {
      pass: cookieIn(header, `${prefix}${PASS_COOKIE}${suffix}`),
      ticket: cookieIn(header, `${prefix}${TICKET_COOKIE}${suffix}`),
      human: cookieIn(header, `${prefix}${HUMAN_COOKIE}${suffix}`),
      probe: cookieIn(header, `${prefix}${PROBE_COOKIE}${suffix}`),
    };
  } catch {
    return { pass: undefined, ticket: undefined };
  }
}

/**
 * What the room's cookie names end with (RoomConfig `cookieSuffix`): "" for
 * the one room without ROOMS, `__<room>` with ROOMS, so each room's ticket and
 * pass are cookies of their own and a visitor can wait in several rooms.
 */
function roomSuffix(c: Context): string {
  const runtime: { readonly config: { readonly cookieSuffix: string } } | undefined = c.get("runtime");
  return runtime?.config.cookieSuffix ?? "";
}

/**
 * One cookie's value by its exact name (a bypass rule's cookie, which the
 * room does not set and so never prefixes); none when absent, garbled or
 * longer than any real token.
 */
export function cookieValue(c: Context, name: string): string | undefined {
  const header = c.req.raw.headers.get("cookie");
  if (!header) return undefined;
  try {
    return cookieIn(header, name);
  } catch {
    return undefined;
  }
}

/** One cookie's value in a Cookie header, as hono's getCookie reads it; none when longer than any real token. */
function cookieIn(header: string, name: string): string | undefined {
  const value = parse(header, name)[name];
  return value !== undefined && value.length <= MAX_TOKEN_LENGTH ? value : undefined;
}

function hostPrefix(c: Context): "host" | undefined {
  // A request's URL is serialised (scheme in lower case), so its start tells its scheme without parsing it.
  return c.req.url.startsWith("https:") ? "host" : undefined;
}

/**
 * Sets a token cookie: HttpOnly (no script reads it), SameSite=Lax (sent on
 * top-level navigations only), Path=/; on https also `__Host-` prefixed,
 * which implies Secure and no Domain.
 */
function setTokenCookie(c: Context, name: string, token: string, maxAgeSeconds: number): void {
  const prefix = hostPrefix(c);
  setCookie(c, `${name}${roomSuffix(c)}`, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: prefix === "host",
    maxAge: maxAgeSeconds,
    ...(prefix ? { prefix } : {}),
  });
}

/**
 * @example
 * ```ts
 * setTicketCookie(c, ticketJwt, 86_400);
 * ```
 */
export function setTicketCookie(c: Context, token: string, maxAgeSeconds: number): void {
  setTokenCookie(c, TICKET_COOKIE, token, maxAgeSeconds);
}

/**
 * @example
 * ```ts
 * setPassCookie(c, passJwt, 600);
 * ```
 */
export function setPassCookie(c: Context, token: string, maxAgeSeconds: number): void {
  setTokenCookie(c, PASS_COOKIE, token, maxAgeSeconds);
}

/** The Turnstile proof: lets this browser take a ticket for a few minutes. */
export function setHumanCookie(c: Context, token: string, maxAgeSeconds: number): void {
  setTokenCookie(c, HUMAN_COOKIE, token, maxAgeSeconds);
}

/** Once admitted, the ticket has done its job; dropping it keeps it from being replayed by this browser. */
export function clearTicketCookie(c: Context): void {
  clearCookie(c, TICKET_COOKIE);
}

/** The origin ended the visitor's session (early release): the pass goes. */
export function clearPassCookie(c: Context): void {
  clearCookie(c, PASS_COOKIE);
}

function clearCookie(c: Context, name: string): void {
  const prefix = hostPrefix(c);
  deleteCookie(c, `${name}${roomSuffix(c)}`, { path: "/", secure: prefix === "host", ...(prefix ? { prefix } : {}) });
}

/**
 * The cookies a verdict calls for, the same on page requests and status polls:
 * a renewed or new pass, the ticket dropped once it has done its job, a new
 * ticket for a newcomer who must wait.
 */
export function setVerdictCookies(
  c: Context,
  verdict: Verdict,
  credentials: Credentials,
  ticketTtlSeconds: number,
): void {
  // The cookie check's cookie has done its job once the visitor holds a ticket or a pass.
  const placed =
    verdict.kind === "admitted" || (verdict.kind !== "pass" && "newTicket" in verdict && verdict.newTicket);
  if (credentials.probe && placed) clearCookie(c, PROBE_COOKIE);
  // So has a Turnstile proof: it bought this place and buys no other.
  if (credentials.human && placed) clearCookie(c, HUMAN_COOKIE);
  switch (verdict.kind) {
    case "pass":
      if (verdict.renewed) setPassCookie(c, verdict.renewed, verdict.sessionSeconds);
      return;
    case "admitted":
      setPassCookie(c, verdict.token, verdict.sessionSeconds);
      if (credentials.ticket) clearTicketCookie(c);
      return;
    case "queued":
      if (verdict.newTicket) setTicketCookie(c, verdict.newTicket, ticketTtlSeconds);
      return;
    case "prequeued":
      if (verdict.newTicket) setTicketCookie(c, verdict.newTicket, verdict.ticketSeconds);
      return;
    case "cookie_check":
      setTokenCookie(c, PROBE_COOKIE, verdict.token, verdict.seconds);
      return;
    case "closed":
    case "rejected":
    case "limited":
    case "challenge":
    case "unavailable":
      return;
  }
}
