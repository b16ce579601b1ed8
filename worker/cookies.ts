import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Verdict } from "./gate.ts";

/** Anteroom's cookie names. The pass cookie is also read by origin adapters. */
export const TICKET_COOKIE = "anteroom_ticket";
export const PASS_COOKIE = "anteroom_pass";

/** The tokens a request carries, as raw strings (unverified). */
export interface Credentials {
  readonly pass: string | undefined;
  readonly ticket: string | undefined;
}

/** Reads both cookies; a garbled Cookie header yields nothing rather than an error. */
export function readCredentials(c: Context): Credentials {
  try {
    return { pass: getCookie(c, PASS_COOKIE), ticket: getCookie(c, TICKET_COOKIE) };
  } catch {
    return { pass: undefined, ticket: undefined };
  }
}

function secure(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** Cookies are HttpOnly (no script reads them) and SameSite=Lax (sent on top-level navigations only). */
export function setTicketCookie(c: Context, token: string, maxAgeSeconds: number): void {
  setCookie(c, TICKET_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: secure(c),
    maxAge: maxAgeSeconds,
  });
}

export function setPassCookie(c: Context, token: string, maxAgeSeconds: number): void {
  setCookie(c, PASS_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: secure(c),
    maxAge: maxAgeSeconds,
  });
}

/** Once admitted, the ticket has done its job; dropping it keeps it from being replayed by this browser. */
export function clearTicketCookie(c: Context): void {
  deleteCookie(c, TICKET_COOKIE, { path: "/", secure: secure(c) });
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
    case "closed":
    case "unavailable":
      return;
  }
}
