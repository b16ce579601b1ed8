/**
 * At most one log line per key per window, with a count of what was held
 * back. A failing store fails every call, hundreds a second on a busy
 * instance; one line per reason every few seconds says as much.
 *
 * The decision is a pure function of the key's last line and the time
 * ({@link throttleStep}); {@link LogThrottle} keeps those per key, with the
 * clock passed in.
 */

/** A key's throttle: when its last line went out, and how many were held back since. */
export interface ThrottleEntry {
  readonly lastLineAt: number;
  readonly suppressed: number;
}

/** A line to write now: how many were held back before it, over how long (ms since the previous line). */
export interface ThrottledLine {
  readonly suppressed: number;
  readonly sinceMs: number;
}

export interface ThrottleStep {
  readonly entry: ThrottleEntry;
  /** Null: hold this one back. */
  readonly line: ThrottledLine | null;
}

/**
 * One occurrence of a key at `now`: the first one, and the first once
 * `windowMs` has passed since the last line, goes out with the count held back
 * meanwhile; the others are counted. A clock that went backwards starts a new
 * window rather than holding lines back until it catches up.
 *
 * @example
 * ```ts
 * const step = throttleStep(entries.get(key), Date.now(), 10_000);
 * if (step.line) console.warn(`... (${step.line.suppressed} more)`);
 * ```
 */
export function throttleStep(entry: ThrottleEntry | undefined, now: number, windowMs: number): ThrottleStep {
  if (entry !== undefined && now >= entry.lastLineAt && now - entry.lastLineAt < windowMs) {
    return { entry: { lastLineAt: entry.lastLineAt, suppressed: entry.suppressed + 1 }, line: null };
  }
  return {
    entry: { lastLineAt: now, suppressed: 0 },
    line: { suppressed: entry?.suppressed ?? 0, sinceMs: entry ? Math.max(0, now - entry.lastLineAt) : 0 },
  };
}

/** Settings of {@link LogThrottle}. */
export interface LogThrottleOptions {
  /** At most one line per key in this many ms. */
  readonly windowMs: number;
  readonly now: () => number;
  /** Keys remembered at most; past it, keys whose window is over go first, then the oldest. Default 64. */
  readonly maxKeys?: number;
}

/**
 * {@link throttleStep} per key, for one worker instance.
 *
 * @example
 * ```ts
 * const throttle = new LogThrottle({ windowMs: 10_000, now: Date.now });
 * const line = throttle.admit("outage|fetch failed");
 * if (line) console.warn(`anteroom: store outage: fetch failed (${line.suppressed} more)`);
 * ```
 */
export class LogThrottle {
  readonly #entries = new Map<string, ThrottleEntry>();
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #maxKeys: number;

  constructor(options: LogThrottleOptions) {
    this.#windowMs = options.windowMs;
    this.#now = options.now;
    this.#maxKeys = options.maxKeys ?? 64;
  }

  /** Whether to write the line for `key` now, and what was held back before it. */
  admit(key: string): ThrottledLine | null {
    const now = this.#now();
    const step = throttleStep(this.#entries.get(key), now, this.#windowMs);
    // Delete first, so the map's order stays by last line and eviction takes the oldest.
    if (step.line) this.#entries.delete(key);
    this.#entries.set(key, step.entry);
    if (this.#entries.size > this.#maxKeys) this.#evict(now);
    return step.line;
  }

  #evict(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.lastLineAt >= this.#windowMs) this.#entries.delete(key);
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxKeys) break;
      this.#entries.delete(key);
    }
  }
}
