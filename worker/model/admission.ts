/**
 * The admission model, as pure functions of (input, state, now).
 *
 * Positions are handed out by a counter (`lastTicket`). The frontier is the
 * highest position allowed in; it advances at the configured rate with time,
 * lazily (whoever asks computes it from the time elapsed), and may run ahead
 * of the last ticket by at most `burst` positions, about one second's worth.
 * That lead is what lets a newcomer straight in when nobody waits, and its
 * cap is what keeps an idle minute from becoming a burst at the top of the next.
 *
 * The store's Lua scripts (`store/lua/advance.ts`) are the one implementation
 * of how the frontier moves and a newcomer joins. {@link advance} is their rule
 * in TypeScript for one purpose: an instance extrapolating the frontier it last
 * read ({@link frontierAt}), which must never run ahead of the store's.
 */
import type { AutopilotSettings } from "./autopilot.ts";

/** The admission counters of one room. */
export interface FrontierState {
  /** Highest admitted position; fractional, since it grows by rate x elapsed. */
  readonly frontier: number;
  /** Last position handed out. */
  readonly lastTicket: number;
  /** Time of the last advance, in ms (store clock). */
  readonly updatedAt: number;
  /**
   * Share of offered places whose holders came in, smoothed (see
   * `compensation.ts`); the frontier moves 1/showRatio times faster so that
   * the visitors who do come in arrive at the configured rate. 1 when absent.
   */
  readonly showRatio?: number;
  /** Visitors active as of this state (MAX_ACTIVE; see `active.ts`); absent when not counted. */
  readonly active?: number;
  /**
   * Highest frontier the active-users cap allows as of this state (see
   * `active.ts`); absent or Infinity when MAX_ACTIVE is off.
   */
  readonly ceiling?: number;
  /**
   * The state's epoch: the ms (store clock) it was created or restored after
   * a loss; 0 for a state from before epochs, absent when unknown. Tickets
   * carry it, so old and new tickets keep one order (see `model/epoch.ts`).
   */
  readonly epoch?: number;
  /** The epoch's base: the last ticket it was restored at (0 when created); tickets of other epochs stand at most here. */
  readonly base?: number;
  /** When the state was last restored after a loss (store clock, ms); 0 or absent: never. */
  readonly restoredAt?: number;
  /** Worker instances heard from within the last minute (the fleet); 0 or absent: not counted. */
  readonly instances?: number;
  /** The epoch this one was restored from (0: none); see `model/epoch.ts`. */
  readonly previousEpoch?: number;
  /** The cap of tickets older than {@link previousEpoch} (-1 or absent: none); see `model/epoch.ts`. */
  readonly floor?: number;
}

/**
 * How a room behaves (operators switch it live):
 * - `auto`: queue only when demand exceeds the rate;
 * - `queue-all`: every newcomer waits; admission continues at the rate;
 * - `paused`: nobody new is admitted, whatever lead the frontier had; places are kept (those offered
 *   before the pause stay offered); passes stay valid; paused time does not accrue;
 * - `closed`: no new tickets ("closed / sold out"); passes and existing places still work;
 * - `passthrough`: the room steps aside; everyone gets a pass at once.
 */
export const MODES = ["auto", "queue-all", "paused", "closed", "passthrough"] as const;
export type Mode = (typeof MODES)[number];

/**
 * What a room does with a newcomer over the rate (QUEUEING; deploy-time):
 * - `fifo`: a place in line, admitted in arrival order;
 * - `reject`: no place: a "come back later" answer (503), for sites that would
 *   rather turn visitors away than make anyone wait. Visitors who already hold
 *   a place keep it.
 */
export const QUEUEINGS = ["fifo", "reject"] as const;
export type Queueing = (typeof QUEUEINGS)[number];

/** The rate a room admits at, in the two forms the model needs. */
export interface Rate {
  readonly perMinute: number;
  /** Most positions the frontier may run ahead of the last ticket: about one second's worth, at least 1. */
  readonly burst: number;
}

/**
 * Builds a {@link Rate} from positions per minute.
 *
 * @example
 * ```ts
 * rateOf(600); // { perMinute: 600, burst: 10 }
 * rateOf(10);  // { perMinute: 10, burst: 1 }
 * ```
 */
export function rateOf(perMinute: number): Rate {
  return Object.freeze({ perMinute, burst: Math.max(1, perMinute / 60) });
}

/**
 * Moves the frontier forward by rate x elapsed, capped at the last ticket plus
 * the burst, and at `ceiling` (the active-users cap, see `active.ts`). A clock
 * that moved backwards advances nothing and does not move `updatedAt` back, so
 * a skewed caller cannot admit anyone twice.
 *
 * Paused, the frontier holds and the lead nobody holds is withdrawn: it stops
 * at the last ticket, so no newcomer gets in, however far it led. Places
 * already offered (up to the last ticket) stay offered: their holders' turn
 * came before the pause, and a holder whose page has not polled yet cannot be
 * told from one already in.
 */
export function advance(
  state: FrontierState,
  rate: Rate,
  now: number,
  mode: Mode = "auto",
  ceiling = Number.POSITIVE_INFINITY,
): FrontierState {
  const updatedAt = Math.max(state.updatedAt, now);
  // Paused time does not accrue, so resuming does not release a burst.
  if (mode === "paused") return { ...state, frontier: Math.min(state.frontier, state.lastTicket), updatedAt };
  const elapsed = Math.max(0, now - state.updatedAt);
  // queue-all: the frontier never leads the last ticket, so every newcomer waits.
  const cap = Math.min(state.lastTicket + (mode === "queue-all" ? 0 : rate.burst), ceiling);
  const speed = rate.perMinute / 60_000 / (state.showRatio ?? 1);
  let frontier = Math.max(state.frontier, Math.min(state.frontier + speed * elapsed, cap));
  // A lead nobody holds yet is withdrawn when the cap is reached, so no newcomer walks straight in
  // past it; places already handed out are never taken back.
  if (frontier > state.lastTicket && frontier > ceiling) frontier = Math.max(state.lastTicket, ceiling);
  return { ...state, frontier, updatedAt };
}

/**
 * A frontier observed from the store at `observedAt` (local clock), which a
 * worker instance may extrapolate for a short while without asking again: the
 * store's frontier grows at least as fast, because the last ticket only grows.
 */
export interface FrontierView {
  readonly frontier: number;
  readonly lastTicket: number;
  readonly observedAt: number;
  readonly settings: Settings;
  /** The store's show ratio when observed (see {@link FrontierState.showRatio}). */
  readonly showRatio: number;
  /** The active-users cap's ceiling when observed (Infinity: no cap); extrapolation stops there. */
  readonly ceiling?: number;
}

/** The frontier a {@link FrontierView} implies at `now`, never beyond what the store would allow. */
export function frontierAt(view: FrontierView, now: number): number {
  const state = {
    frontier: view.frontier,
    lastTicket: view.lastTicket,
    updatedAt: view.observedAt,
    showRatio: view.showRatio,
  };
  return advance(state, rateOf(view.settings.perMinute), now, view.settings.mode, view.ceiling).frontier;
}

/** A room's live settings: the wrangler.toml defaults, overridden by what operators stored. */
export interface Settings {
  readonly perMinute: number;
  readonly mode: Mode;
  /** Pass lifetime in minutes, or null for the configured SESSION_MINUTES. */
  readonly sessionMinutes: number | null;
  /** Active-users cap set by an operator (0 = no cap), or null for the configured MAX_ACTIVE. */
  readonly maxActive: number | null;
  /** Bumped by every change, so instances can tell a new setting from an old one. */
  readonly version: number;
  /**
   * The autopilot's settings in force (see `autopilot.ts`); absent where a
   * caller built settings without them (tests), which reads as off. While
   * it is on, `perMinute` is the autopilot's rate.
   */
  readonly autopilot?: AutopilotSettings;
}

/** Where a ticket holder stands. */
export type Standing =
  | { readonly kind: "admitted"; readonly position: number }
  | {
      readonly kind: "queued";
      readonly position: number;
      /** People ahead who are not yet admitted. */
      readonly ahead: number;
      readonly etaSeconds: number;
      /** When the client should ask again. */
      readonly refreshSeconds: number;
      /** Share of the way from joining to the front, 0..1. */
      readonly progress: number;
    };

/**
 * Decides whether the holder of `position` is in, and if not, how long to wait.
 *
 * @param joinedFrontier frontier when the ticket was issued: the start of the progress bar.
 * @param showRatio share of places whose holders still come: the line moves that much faster.
 * @param capPace positions per minute the frontier moves at while the active-users cap holds it
 *   back (null: the rate over the show ratio).
 * @example
 * ```ts
 * standing(105, 100, 100.5, rateOf(60)); // queued, 4 ahead, eta 5 s
 * ```
 */
export function standing(
  position: number,
  joinedFrontier: number,
  frontier: number,
  rate: Rate,
  showRatio = 1,
  capPace: number | null = null,
): Standing {
  if (position <= frontier) return { kind: "admitted", position };
  const remaining = position - frontier;
  const pace = capPace ?? rate.perMinute / showRatio;
  const etaSeconds = Math.ceil(remaining / (pace / 60));
  const span = position - joinedFrontier;
  const progress = span > 0 ? Math.min(1, Math.max(0, (frontier - joinedFrontier) / span)) : 0;
  return {
    kind: "queued",
    position,
    ahead: Math.max(0, position - 1 - Math.floor(frontier)),
    etaSeconds,
    refreshSeconds: refreshSeconds(etaSeconds),
    progress,
  };
}

/**
 * Poll interval: often near the front, so nobody waits long past their turn;
 * rarely far back, so a long queue costs little. Between 2 and 20 seconds.
 */
export function refreshSeconds(etaSeconds: number): number {
  return Math.min(20, Math.max(2, Math.ceil(etaSeconds / 6)));
}

/**
 * Whether a place's offer has lapsed: the frontier passed it more than
 * `offerSeconds` ago (estimated from how far past it the frontier is and how
 * fast it moves). A holder who returns later has lost the turn and queues
 * again; the place was counted as a no-show and given to someone else.
 *
 * @example
 * ```ts
 * offerLapsed(100, 700, rateOf(60), 1, 300); // true: passed about 600 s ago
 * ```
 */
export function offerLapsed(
  position: number,
  frontier: number,
  rate: Rate,
  showRatio: number,
  offerSeconds: number,
): boolean {
  const passedSecondsAgo = ((frontier - position) * showRatio) / (rate.perMinute / 60);
  return passedSecondsAgo > offerSeconds;
}
