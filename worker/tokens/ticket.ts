import { errors, jwtVerify, SignJWT } from "jose";
import { TICKET_TYP as TYP } from "../../origin-adapter/contract.ts";

/** What a queue ticket says: a place in line. Reading it needs no Redis. */
export interface Ticket {
  readonly kind: "place";
  readonly room: string;
  /** Place in line. */
  readonly position: number;
  /** Frontier when the ticket was issued: where the progress bar starts. */
  readonly joinedFrontier: number;
  readonly visitorId: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  /** Hash of the client it is bound to (TICKET_BINDING), or null when unbound. */
  readonly clientHint: string | null;
  /**
   * The room's epoch when it was issued (see `model/epoch.ts`): the store's
   * ms when the state was created or restored. 0 (claim absent): a state
   * from before epochs, as every ticket issued before epochs existed.
   */
  readonly epoch?: number;
}

/** A pre-queue ticket: a lottery entry for a scheduled event, exchanged for a place at its start. */
export interface PrequeueTicket {
  readonly kind: "prequeue";
  readonly room: string;
  /** The event's number (`ScheduledEvent.seq`). */
  readonly event: number;
  /** The event's start, ms since the epoch: the countdown needs no Redis. */
  readonly startsAt: number;
  readonly visitorId: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  /** As for {@link Ticket}. */
  readonly clientHint: string | null;
}

/** Why a ticket was not accepted. The visitor is then treated as new. */
export type TicketRejection = "oversized" | "malformed" | "invalid" | "expired" | "wrong_room";

export type TicketRead =
  | { readonly ok: true; readonly ticket: Ticket | PrequeueTicket }
  | { readonly ok: false; readonly reason: TicketRejection };

/** Settings of ticket signing and checking. */
export interface TicketOptions {
  readonly key: Uint8Array;
  readonly issuer: string;
  readonly room: string;
  readonly ttlSeconds: number;
}

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
export async function signTicket(ticket: Ticket | PrequeueTicket, options: TicketOptions): Promise<string> {
  const bound = ticket.clientHint === null ? {} : { cb: ticket.clientHint };
  const claims =
    ticket.kind === "place"
      ? { room: ticket.room, pos: ticket.position, f0: ticket.joinedFrontier, ...epochClaim(ticket.epoch), ...bound }
      : { room: ticket.room, ev: ticket.event, st: ticket.startsAt, ...bound };
  // A pre-queue ticket must outlive the wait until the start, then live as long as any ticket.
  const validFrom =
    ticket.kind === "place" ? ticket.issuedAt : Math.max(ticket.issuedAt, Math.ceil(ticket.startsAt / 1000));
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: TYP })
    .setIssuer(options.issuer)
    .setAudience(AUDIENCE)
    .setSubject(ticket.visitorId)
    .setIssuedAt(ticket.issuedAt)
    .setExpirationTime(validFrom + options.ttlSeconds)
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
    const { room, pos, f0, ev, st, sub, iat, cb, ep } = payload;
    if (typeof sub !== "string" || typeof iat !== "number") return { ok: false, reason: "malformed" };
    if (cb !== undefined && typeof cb !== "string") return { ok: false, reason: "malformed" };
    const clientHint = cb ?? null;
    if (room !== options.room) return { ok: false, reason: "wrong_room" };
    if (isCount(ev) && typeof st === "number" && Number.isSafeInteger(st)) {
      const ticket = {
        kind: "prequeue",
        room,
        event: ev,
        startsAt: st,
        visitorId: sub,
        issuedAt: iat,
        clientHint,
      } as const;
      return { ok: true, ticket };
    }
    if (!isCount(pos) || typeof f0 !== "number" || !Number.isFinite(f0)) return { ok: false, reason: "malformed" };
    if (ep !== undefined && !isCount(ep)) return { ok: false, reason: "malformed" };
    // Left out when absent, so a ticket from before epochs reads as it always did (epoch 0).
    const epoch = ep === undefined ? {} : { epoch: ep };
    return {
      ok: true,
      ticket: {
        kind: "place",
        room,
        position: pos,
        joinedFrontier: f0,
        visitorId: sub,
        issuedAt: iat,
        clientHint,
        ...epoch,
      },
    };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
      return { ok: false, reason: "malformed" };
    return { ok: false, reason: "invalid" };
  }
}

/** The `ep` claim: left out for epoch 0, so tickets of a state from before epochs read as they always did. */
function epochClaim(epoch: number | undefined): { ep?: number } {
  return epoch !== undefined && Number.isSafeInteger(epoch) && epoch > 0 ? { ep: epoch } : {};
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1;
}

/** A throwaway ticket secret for local development. */
export function ephemeralTicketKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}
