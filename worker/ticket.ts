import { errors, jwtVerify, SignJWT } from "jose";

/** What a queue ticket says. Reading it needs no Redis. */
export interface Ticket {
  readonly room: string;
  /** Place in line. */
  readonly position: number;
  /** Frontier when the ticket was issued: where the progress bar starts. */
  readonly joinedFrontier: number;
  readonly visitorId: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
}

/** Why a ticket was not accepted. The visitor is then treated as new. */
export type TicketRejection = "oversized" | "malformed" | "invalid" | "expired" | "wrong_room";

export type TicketRead =
  | { readonly ok: true; readonly ticket: Ticket }
  | { readonly ok: false; readonly reason: TicketRejection };

/** Settings of ticket signing and checking. */
export interface TicketOptions {
  readonly key: Uint8Array;
  readonly issuer: string;
  readonly room: string;
  readonly ttlSeconds: number;
}

const TYP = "anteroom-ticket+jwt";
const AUDIENCE = "anteroom:ticket";
/** Longest ticket accepted; a real one is about 300 bytes. */
export const MAX_TOKEN_LENGTH = 2048;

/**
 * Signs a queue ticket (HS256: only this worker reads tickets, and HMAC is the
 * cheapest check on the busiest waiting path). Its `typ` and audience differ
 * from a pass, and origins accept only ES256, so a ticket never works as a pass.
 *
 * @example
 * ```ts
 * const token = await signTicket({ room: "default", position: 42, joinedFrontier: 10, visitorId, issuedAt }, options);
 * ```
 */
export async function signTicket(ticket: Ticket, options: TicketOptions): Promise<string> {
  return new SignJWT({ room: ticket.room, pos: ticket.position, f0: ticket.joinedFrontier })
    .setProtectedHeader({ alg: "HS256", typ: TYP })
    .setIssuer(options.issuer)
    .setAudience(AUDIENCE)
    .setSubject(ticket.visitorId)
    .setIssuedAt(ticket.issuedAt)
    .setExpirationTime(ticket.issuedAt + options.ttlSeconds)
    .sign(options.key);
}

/**
 * Checks a ticket's signature, expiry and room. Never throws: every failure is a reason.
 *
 * @example
 * ```ts
 * const read = await readTicket(cookie, options, Date.now());
 * if (read.ok) read.ticket.position;
 * ```
 */
export async function readTicket(token: string, options: TicketOptions, nowMs: number): Promise<TicketRead> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "oversized" };
  try {
    const { payload } = await jwtVerify(token, options.key, {
      algorithms: ["HS256"],
      typ: TYP,
      issuer: options.issuer,
      audience: AUDIENCE,
      currentDate: new Date(nowMs),
      requiredClaims: ["sub", "iat", "exp"],
    });
    const { room, pos, f0, sub, iat } = payload;
    if (typeof pos !== "number" || !Number.isSafeInteger(pos) || pos < 1) return { ok: false, reason: "malformed" };
    if (typeof f0 !== "number" || !Number.isFinite(f0) || typeof sub !== "string" || typeof iat !== "number") {
      return { ok: false, reason: "malformed" };
    }
    if (room !== options.room) return { ok: false, reason: "wrong_room" };
    return { ok: true, ticket: { room, position: pos, joinedFrontier: f0, visitorId: sub, issuedAt: iat } };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
      return { ok: false, reason: "malformed" };
    return { ok: false, reason: "invalid" };
  }
}

/** A throwaway ticket secret for local development. */
export function ephemeralTicketKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}
