import { LogThrottle, type ThrottledLine } from "./log-throttle.ts";
import type { AdmissionStore, StoreUnavailable } from "./store.ts";

/** Store failures one instance has seen since it started, by kind (`GET /__anteroom/admin/stats`). */
export interface StoreFailureCounts {
  readonly outage: number;
  readonly scriptError: number;
}

/** Where the lines go: `console` in the worker, a recorder in tests. */
export interface LogSink {
  warn(line: string): void;
  error(line: string): void;
}

/** Settings of {@link StoreFailureLog}. */
export interface StoreFailureLogOptions {
  readonly now: () => number;
  /** Default `console`. */
  readonly sink?: LogSink;
  /** At most one line per kind and reason in this many ms. Default 10 000. */
  readonly windowMs?: number;
}

/**
 * Counts and logs one instance's store failures: every failure is counted;
 * a line goes out at most once per kind and reason per window, saying how
 * many were held back. An outage is a warning; a script error is logged as
 * the bug it is, with `console.error`.
 *
 * @example
 * ```ts
 * const failures = new StoreFailureLog({ now: Date.now });
 * const store = watchedStore(new RedisStore(client), failures);
 * failures.counts(); // { outage: 0, scriptError: 0 }
 * ```
 */
export class StoreFailureLog {
  readonly #throttle: LogThrottle;
  readonly #sink: LogSink;
  #outage = 0;
  #scriptError = 0;

  constructor(options: StoreFailureLogOptions) {
    this.#throttle = new LogThrottle({ windowMs: options.windowMs ?? 10_000, now: options.now });
    this.#sink = options.sink ?? console;
  }

  record(failure: StoreUnavailable): void {
    if (failure.failure === "script_error") this.#scriptError += 1;
    else this.#outage += 1;
    const line = this.#throttle.admit(`${failure.failure}|${failure.reason}`);
    if (!line) return;
    if (failure.failure === "script_error") this.#sink.error(failureLine(failure, line));
    else this.#sink.warn(failureLine(failure, line));
  }

  /**
   * A stored value a successful call's reply held that the store left out
   * or read as its default (redis.ts): counted as a script error, since a bug
   * wrote it or someone edited the store by hand, and logged as one.
   */
  unreadable(reason: string): void {
    this.#scriptError += 1;
    const line = this.#throttle.admit(`unreadable|${reason}`);
    if (line) {
      this.#sink.error(
        `anteroom: BUG: unreadable stored value: ${reason}${heldBack(line)}. Left out (or read as its default); the rest of the reply is used.`,
      );
    }
  }

  counts(): StoreFailureCounts {
    return { outage: this.#outage, scriptError: this.#scriptError };
  }
}

/**
 * The log line of a failure, e.g. `anteroom: store outage: TypeError: fetch
 * failed (12 more in the last 10 s)`.
 */
export function failureLine(failure: StoreUnavailable, line: ThrottledLine): string {
  const held = heldBack(line);
  return failure.failure === "script_error"
    ? `anteroom: BUG: store script error: ${failure.reason}${held}. This is a bug in the Lua scripts or the store's reply mapping, not an outage; the gate falls back as in an outage until it is fixed.`
    : `anteroom: store outage: ${failure.reason}${held}`;
}

/** " (12 more in the last 10 s)", or nothing when no line was held back. */
function heldBack(line: ThrottledLine): string {
  return line.suppressed > 0 ? ` (${line.suppressed} more in the last ${Math.round(line.sinceMs / 1000)} s)` : "";
}

/**
 * The store, with every `unavailable` outcome recorded in `log` on its way to
 * the caller (who still gets it and falls back as before).
 *
 * @example
 * ```ts
 * const store = watchedStore(new RedisStore(client), new StoreFailureLog({ now: Date.now }));
 * ```
 */
export function watchedStore(store: AdmissionStore, log: StoreFailureLog): AdmissionStore {
  const watch = <T extends { readonly kind: string }>(outcome: Promise<T>): Promise<T> =>
    outcome.then((value) => {
      if (isUnavailable(value)) log.record(value);
      return value;
    });
  return {
    join: (room, arrival, report) => watch(store.join(room, arrival, report)),
    claim: (room, event, visitorId) => watch(store.claim(room, event, visitorId)),
    events: (room) => watch(store.events(room)),
    writeEvents: (room, version, next) => watch(store.writeEvents(room, version, next)),
    tick: (room, report) => watch(store.tick(room, report)),
    updateSettings: (room, patch) => watch(store.updateSettings(room, patch)),
    history: (room) => watch(store.history(room)),
    autopilot: (room) => watch(store.autopilot(room)),
  };
}

function isUnavailable(outcome: { readonly kind: string }): outcome is StoreUnavailable {
  return outcome.kind === "unavailable";
}
