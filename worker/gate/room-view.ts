import {
  advance,
  type FrontierState,
  type FrontierView,
  frontierAt,
  rateOf,
  type Settings,
} from "../model/admission.ts";

/** The frontier and live settings as a worker instance knows them, or unknown because the store is down. */
export type FrontierReading =
  | {
      readonly kind: "known";
      readonly frontier: number;
      readonly settings: Settings;
      /** Share of offered places whose holders come in (no-show compensation): the line moves 1/showRatio faster. */
      readonly showRatio: number;
      /** Someone holds a place the frontier has not reached (as last observed). */
      readonly waiting: boolean;
      /** True while the store is failing: the frontier is extrapolated from the last good reading. */
      readonly degraded: boolean;
      /**
       * How fast the frontier moves now, in positions per minute, when the
       * active-users cap holds it back (measured from this instance's readings);
       * null when it moves at the rate over the show ratio.
       */
      readonly capPace: number | null;
    }
  | { readonly kind: "unavailable"; readonly reason: string };

/**
 * What one worker instance last saw of its room: the frontier and live
 * settings of the newest store reading, and the newest failure. Between
 * readings the frontier is extrapolated as the store would move it (see
 * {@link frontierNow}). A failed reading is remembered for `maxAgeMs`, so a
 * dead store is not asked again by every poll (negative caching).
 *
 * No clock and no I/O of its own: every call says when it is, and the
 * instance's link to the room (`room-link.ts`) makes the store calls.
 *
 * @example
 * ```ts
 * const view = new RoomView(1000);
 * view.observe(outcome.state, outcome.settings, now);
 * if (!view.isStale(now)) view.reading(now, null);
 * ```
 */
export class RoomView {
  readonly #maxAgeMs: number;
  #view: FrontierView | null = null;
  #failure: { at: number; reason: string } | null = null;
  /** The first failed store call since the last answer (null while the store answers): how long an outage has lasted. */
  #failingSince: number | null = null;

  constructor(maxAgeMs: number) {
    this.#maxAgeMs = maxAgeMs;
  }

  /** The newest reading (null before the first), as observed. */
  get current(): FrontierView | null {
    return this.#view;
  }

  /** The settings last seen (null before the first reading). */
  get settings(): Settings | null {
    return this.#view?.settings ?? null;
  }

  /** Records a state the store returned at `at` (local clock); the store answers again, so the failure is over. */
  observe(state: FrontierState, settings: Settings, at: number): void {
    this.#view = {
      frontier: state.frontier,
      lastTicket: state.lastTicket,
      observedAt: at,
      settings,
      showRatio: state.showRatio ?? 1,
      ceiling: state.ceiling ?? Number.POSITIVE_INFINITY,
    };
    this.#failure = null;
    this.#failingSince = null;
  }

  /** Records a failed reading at `at`: no new reading is due for `maxAgeMs`, and readings are marked degraded. */
  fail(reason: string, at: number): void {
    this.#failure = { at, reason };
    this.failed(at);
  }

  /**
   * Records a store call that failed at `at` without being a reading (a
   * newcomer's JOIN): it counts towards how long the store has been failing
   * ({@link failingFor}), but neither delays the next reading nor marks
   * readings degraded, since one slow call says little of the next.
   */
  failed(at: number): void {
    this.#failingSince ??= at;
  }

  /** Records a store answer that carried no state (a per-client limit, a used stamp): the store is up. */
  answered(): void {
    this.#failingSince = null;
  }

  /** How long the store has been failing as of `at`, in ms: since the first failure with no answer since (0 while it answers). */
  failingFor(at: number): number {
    return this.#failingSince === null ? 0 : Math.max(0, at - this.#failingSince);
  }

  /** Whether a new reading is due at `at`: none yet, or the last is `maxAgeMs` old, unless a failure is that recent. */
  isStale(at: number): boolean {
    if (this.#failure && at - this.#failure.at < this.#maxAgeMs) return false;
    return !this.#view || at - this.#view.observedAt >= this.#maxAgeMs;
  }

  /**
   * Whether a poll by the holder of `position` at `at` may be answered from
   * this view though it is due for a new reading ({@link isStale}): the
   * reading is younger than `idleMs`, the last one did not fail, and the
   * store's frontier cannot have reached the position yet, nor within
   * `maxAgeMs` after `at` (see {@link reachAt}). Such a holder is told the
   * extrapolated frontier; a holder within reach makes the instance ask.
   */
  answersFar(position: number, at: number, idleMs: number): boolean {
    const view = this.#view;
    if (!view || this.#failure !== null || at - view.observedAt >= idleMs) return false;
    return position > reachAt(view, at + this.#maxAgeMs);
  }

  /**
   * Whether a queue may exist, from what was last seen: true before the
   * first reading, while someone holds a place the frontier has not reached,
   * or in a mode that queues everyone.
   */
  mayBeBusy(): boolean {
    const view = this.#view;
    if (!view) return true;
    return this.sawQueue() || (view.settings.mode !== "auto" && view.settings.mode !== "passthrough");
  }

  /**
   * Whether the last reading showed someone holding a place the frontier had
   * not reached: false before the first reading, since nothing was seen (an
   * instance that never reached the store has no line it knows to protect).
   */
  sawQueue(): boolean {
    const view = this.#view;
    return view !== null && view.lastTicket > view.frontier;
  }

  /** The frontier as of `at`, with the cap's pace as measured (see `cap-pace.ts`). */
  reading(at: number, capPace: number | null): FrontierReading {
    const view = this.#view;
    if (!view) return { kind: "unavailable", reason: this.#failure?.reason ?? "no frontier observed yet" };
    // Extrapolating through an outage stays safe: the store's own frontier will
    // be at least this far when it answers again, since it is a function of time.
    const degraded = this.#failure !== null && at - this.#failure.at < this.#maxAgeMs;
    return {
      kind: "known",
      frontier: frontierNow(view, at),
      settings: view.settings,
      showRatio: view.showRatio,
      waiting: view.lastTicket > view.frontier,
      degraded,
      capPace,
    };
  }
}

/**
 * The frontier a reading implies at `at`, moved as the store's script moves
 * it (`store/lua/advance.ts`, `step()`): at the rate over the show ratio up
 * to the last ticket plus the lead and the cap's ceiling; in `queue-all` up
 * to the last ticket only; in `closed` as in `auto`. While `paused` the
 * store's frontier stands still, and so does the view's: a newcomer let in
 * on an extrapolated frontier would be let into a paused room.
 */
export function frontierNow(view: FrontierView, at: number): number {
  if (view.settings.mode === "paused") return view.frontier;
  return frontierAt(view, at);
}

/**
 * How many times faster than the last reading's pace the frontier is
 * assumed able to move when deciding that a visitor is out of its reach: an
 * operator may raise the rate, the show ratio may fall, and the last ticket
 * (which caps the frontier) grows with every newcomer elsewhere.
 */
export const REACH_MARGIN = 2;

/**
 * The furthest the store's frontier can be at `at` for all a reading says:
 * moving {@link REACH_MARGIN} times as fast as the reading's rate over its
 * show ratio, past the last ticket and the cap's ceiling (both may have
 * moved since), in any mode (a paused room may resume). An upper bound as
 * long as the settings and the show ratio do not change more than that,
 * which a reading younger than a few seconds can assume.
 *
 * @example
 * ```ts
 * // 600 a minute (10 a second), observed at frontier 10 two seconds ago: at most 50 now.
 * reachAt({ frontier: 10, lastTicket: 12, observedAt: T0, settings, showRatio: 1 }, T0 + 2000); // 50
 * ```
 */
export function reachAt(view: FrontierView, at: number): number {
  const state = {
    frontier: view.frontier,
    lastTicket: Number.POSITIVE_INFINITY,
    updatedAt: view.observedAt,
    showRatio: view.showRatio,
  };
  return advance(state, rateOf(view.settings.perMinute * REACH_MARGIN), at).frontier;
}
