import { standing } from "./admission.ts";
import type { Credentials } from "./cookies.ts";
import type { FrontierCache } from "./frontier-cache.ts";
import { needsRenewal, type PassClaims, type PassOptions, readPass, signPass } from "./pass.ts";
import type { AdmissionStore, RoomSpec } from "./store/store.ts";
import { readTicket, signTicket, type Ticket, type TicketOptions } from "./ticket.ts";

/** Everything the gate needs, injected: time and I/O included. */
export interface GateDeps {
  readonly room: RoomSpec;
  readonly store: AdmissionStore;
  readonly frontier: FrontierCache;
  readonly pass: PassOptions;
  readonly ticket: TicketOptions;
  readonly now: () => number;
}

/** Where a waiting visitor stands, as shown on the holding page and in JSON. */
export interface QueuedView {
  readonly position: number;
  readonly ahead: number;
  readonly etaSeconds: number;
  readonly refreshSeconds: number;
  readonly progress: number;
  /** The store is not answering: the figures are the last known ones. */
  readonly delayed: boolean;
}

/** The gate's verdict on one request; the HTTP layer only translates it. */
export type Verdict =
  /** A valid pass: straight through, no store call. `renewed` is a fresh pass when half the old one's life is gone. */
  | { readonly kind: "pass"; readonly claims: PassClaims; readonly token: string; readonly renewed: string | null }
  /** Admitted now, by a newcomer's join or a ticket whose turn came. */
  | {
      readonly kind: "admitted";
      readonly token: string;
      readonly position: number;
      readonly via: "join" | "ticket";
    }
  /** Must wait. `newTicket` is set when the visitor just joined and needs the cookie. */
  | { readonly kind: "queued"; readonly view: QueuedView; readonly newTicket: string | null }
  /** A newcomer while the store is down: no position can be handed out; ask again shortly. */
  | { readonly kind: "unavailable"; readonly retryAfterSeconds: number };

const RETRY_WHEN_UNAVAILABLE_SECONDS = 5;

/**
 * Decides what to do with a visitor, cheapest check first:
 * a valid pass costs one signature check; a valid ticket costs one HMAC and the
 * instance's cached frontier; only a newcomer costs a store call (one script).
 * A forged, expired or other-room token is ignored, so its holder is new: no
 * client input can move a position forward.
 *
 * @example
 * ```ts
 * const verdict = await evaluate(readCredentials(c), deps);
 * ```
 */
export async function evaluate(credentials: Credentials, deps: GateDeps): Promise<Verdict> {
  const now = deps.now();
  if (credentials.pass) {
    const read = await readPass(credentials.pass, deps.pass, now);
    if (read.ok) {
      const renewed = needsRenewal(read.claims, now) ? await signPass(read.claims.sub, deps.pass, now) : null;
      return { kind: "pass", claims: read.claims, token: credentials.pass, renewed };
    }
  }
  if (credentials.ticket) {
    const read = await readTicket(credentials.ticket, deps.ticket, now);
    if (read.ok) return waiting(read.ticket, null, deps);
  }
  return arrive(deps);
}

/** A ticket holder: admitted if the frontier has reached them, else their standing. */
async function waiting(ticket: Ticket, newTicket: string | null, deps: GateDeps): Promise<Verdict> {
  const reading = await deps.frontier.read();
  if (reading.kind === "unavailable") {
    // Nothing known about the frontier: keep the place, show the delay, ask again soon.
    const view = {
      position: ticket.position,
      ahead: Math.max(0, ticket.position - 1 - Math.floor(ticket.joinedFrontier)),
      etaSeconds: 0,
      refreshSeconds: RETRY_WHEN_UNAVAILABLE_SECONDS,
      progress: 0,
      delayed: true,
    };
    return { kind: "queued", view, newTicket };
  }
  const where = standing(ticket.position, ticket.joinedFrontier, reading.frontier, deps.room.rate);
  if (where.kind === "admitted") {
    const token = await signPass(ticket.visitorId, deps.pass, deps.now());
    return { kind: "admitted", token, position: ticket.position, via: "ticket" };
  }
  const { kind: _queued, ...view } = where;
  return { kind: "queued", view: { ...view, delayed: reading.degraded }, newTicket };
}

/** A newcomer: one atomic store call decides between straight in and a place in line. */
async function arrive(deps: GateDeps): Promise<Verdict> {
  const outcome = await deps.store.join(deps.room);
  switch (outcome.kind) {
    case "unavailable":
      return { kind: "unavailable", retryAfterSeconds: RETRY_WHEN_UNAVAILABLE_SECONDS };
    case "admitted": {
      deps.frontier.observe(outcome.state);
      const token = await signPass(crypto.randomUUID(), deps.pass, deps.now());
      return { kind: "admitted", token, position: outcome.position, via: "join" };
    }
    case "queued": {
      deps.frontier.observe(outcome.state);
      const ticket: Ticket = {
        room: deps.room.room,
        position: outcome.position,
        joinedFrontier: outcome.state.frontier,
        visitorId: crypto.randomUUID(),
        issuedAt: Math.floor(deps.now() / 1000),
      };
      const token = await signTicket(ticket, deps.ticket);
      const where = standing(ticket.position, ticket.joinedFrontier, outcome.state.frontier, deps.room.rate);
      // The script said queued, so the standing is queued too; the check narrows the type.
      if (where.kind === "admitted") return waiting(ticket, token, deps);
      const { kind: _queued, ...view } = where;
      return { kind: "queued", view: { ...view, delayed: false }, newTicket: token };
    }
  }
}
