import { rateOf, type Settings, standing } from "./admission.ts";
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
  /** An operator paused admission; places are kept. */
  readonly paused: boolean;
}

/** The gate's verdict on one request; the HTTP layer only translates it. */
export type Verdict =
  /** A valid pass: straight through, no store call. `renewed` is a fresh pass when half the old one's life is gone. */
  | {
      readonly kind: "pass";
      readonly claims: PassClaims;
      readonly token: string;
      readonly renewed: string | null;
      readonly sessionSeconds: number;
    }
  /** Admitted now, by a newcomer's join or a ticket whose turn came. */
  | {
      readonly kind: "admitted";
      readonly token: string;
      readonly position: number;
      readonly via: "join" | "ticket";
      readonly sessionSeconds: number;
    }
  /** Must wait. `newTicket` is set when the visitor just joined and needs the cookie. */
  | { readonly kind: "queued"; readonly view: QueuedView; readonly newTicket: string | null }
  /** The room is closed to newcomers (sold out). */
  | { readonly kind: "closed" }
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
      // Admitted traffic costs zero store commands: a renewal uses the settings
      // this instance last saw (refreshed by its queue traffic), never a fresh read.
      const pass = passOptions(deps, deps.frontier.lastSettings());
      const renewed = needsRenewal(read.claims, now) ? await signPass(read.claims.sub, pass, now) : null;
      return {
        kind: "pass",
        claims: read.claims,
        token: credentials.pass,
        renewed,
        sessionSeconds: pass.sessionSeconds,
      };
    }
  }
  if (credentials.ticket) {
    const read = await readTicket(credentials.ticket, deps.ticket, now);
    if (read.ok) return waiting(read.ticket, null, deps);
  }
  return arrive(deps);
}

/** Pass options with the live session length, when an operator set one. */
function passOptions(deps: GateDeps, settings: Settings | null): PassOptions {
  return settings?.sessionMinutes
    ? { ...deps.pass, sessionSeconds: Math.round(settings.sessionMinutes * 60) }
    : deps.pass;
}

async function admit(visitorId: string, position: number, via: "join" | "ticket", deps: GateDeps, settings: Settings) {
  const pass = passOptions(deps, settings);
  const token = await signPass(visitorId, pass, deps.now());
  return { kind: "admitted", token, position, via, sessionSeconds: pass.sessionSeconds } as const;
}

/** A ticket holder: admitted if the frontier has reached them (or the room stepped aside), else their standing. */
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
      paused: false,
    };
    return { kind: "queued", view, newTicket };
  }
  const { settings } = reading;
  if (settings.mode === "passthrough") return admit(ticket.visitorId, ticket.position, "ticket", deps, settings);
  if (ticket.position <= reading.frontier) return admit(ticket.visitorId, ticket.position, "ticket", deps, settings);
  return { kind: "queued", view: queuedView(ticket, reading.frontier, settings, reading.degraded), newTicket };
}

/** A waiting visitor's figures. A ticket just issued in queue-all may already be within the frontier: it waits one poll. */
function queuedView(ticket: Ticket, frontier: number, settings: Settings, degraded: boolean): QueuedView {
  const flags = { delayed: degraded, paused: settings.mode === "paused" };
  const where = standing(ticket.position, ticket.joinedFrontier, frontier, rateOf(settings.perMinute));
  if (where.kind === "admitted") {
    return { position: ticket.position, ahead: 0, etaSeconds: 0, refreshSeconds: 2, progress: 1, ...flags };
  }
  const { kind: _queued, ...view } = where;
  return { ...view, ...flags };
}

/** A newcomer: one atomic store call decides between straight in, a place in line, and closed. */
async function arrive(deps: GateDeps): Promise<Verdict> {
  const outcome = await deps.store.join(deps.room);
  switch (outcome.kind) {
    case "unavailable":
      return { kind: "unavailable", retryAfterSeconds: RETRY_WHEN_UNAVAILABLE_SECONDS };
    case "closed":
      deps.frontier.observe(outcome.state, outcome.settings);
      return { kind: "closed" };
    case "admitted":
      deps.frontier.observe(outcome.state, outcome.settings);
      return admit(crypto.randomUUID(), outcome.position, "join", deps, outcome.settings);
    case "queued": {
      deps.frontier.observe(outcome.state, outcome.settings);
      const ticket: Ticket = {
        room: deps.room.room,
        position: outcome.position,
        joinedFrontier: outcome.state.frontier,
        visitorId: crypto.randomUUID(),
        issuedAt: Math.floor(deps.now() / 1000),
      };
      const view = queuedView(ticket, outcome.state.frontier, outcome.settings, false);
      return { kind: "queued", view, newTicket: await signTicket(ticket, deps.ticket) };
    }
  }
}
