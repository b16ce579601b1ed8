import type { FrontierView } from "../model/admission.ts";

/** How far back the cap's pace is measured, and the least span that makes a measurement. */
const PACE_WINDOW_MS = 60_000;
const MIN_PACE_SPAN_MS = 5_000;

/** One store reading of the frontier, at local time `at`. */
export interface PaceSample {
  readonly at: number;
  readonly frontier: number;
}

/**
 * The store readings of the last minute on this instance, from which
 * {@link capPace} measures how fast the active-users cap lets the line move.
 *
 * @example
 * ```ts
 * const trail = new PaceTrail();
 * trail.record(now, outcome.state.frontier);
 * capPace(trail.samples, view, maxActive, sessionMs);
 * ```
 */
export class PaceTrail {
  readonly #samples: PaceSample[] = [];

  /** The readings kept, oldest first. */
  get samples(): readonly PaceSample[] {
    return this.#samples;
  }

  /** Adds a reading and drops those older than the window. */
  record(at: number, frontier: number): void {
    this.#samples.push({ at, frontier });
    while ((this.#samples[0]?.at ?? at) < at - PACE_WINDOW_MS) this.#samples.shift();
  }
}

/**
 * How fast the frontier moves, in positions per minute, when the
 * active-users cap held it back at the last reading (its ceiling within one
 * place of the frontier): the pace over the readings of the last minute, at
 * least the turnover of a full room whose visitors stay a whole session (so
 * a stalled line still shows a finite, long estimate), at most the rate over
 * the show ratio. Null when the cap is off or does not hold the line: then
 * the line moves at the rate over the show ratio.
 *
 * @param maxActive the cap in force (0 = none)
 * @param sessionMs the session length in force
 * @example
 * ```ts
 * // A full room of 10, sessions of a minute, nobody left yet: 10 a minute.
 * capPace([], { frontier: 10, ceiling: 10, showRatio: 1, settings, ... }, 10, 60_000); // 10
 * ```
 */
export function capPace(
  samples: readonly PaceSample[],
  view: FrontierView | null,
  maxActive: number,
  sessionMs: number,
): number | null {
  if (!view || maxActive <= 0 || (view.ceiling ?? Number.POSITIVE_INFINITY) > view.frontier + 1) return null;
  const first = samples[0];
  const last = samples.at(-1);
  const measured =
    first && last && last.at - first.at >= MIN_PACE_SPAN_MS
      ? ((last.frontier - first.frontier) / (last.at - first.at)) * 60_000
      : 0;
  const turnover = maxActive / (sessionMs / 60_000) / view.showRatio;
  const full = view.settings.perMinute / view.showRatio;
  return Math.min(full, Math.max(measured, turnover));
}
