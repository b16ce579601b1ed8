import { log as consoleLog, type LogEntry, type Logger } from "../log.ts";
import { LogThrottle, type ThrottledLine } from "./log-throttle.ts";
import type { AdmissionStore, StoreUnavailable } from "./store.ts";

/** Store failures one instance has seen since it started, by kind (`GET /__anteroom/admin/stats`). */
export interface StoreFailureCounts {
  readonly outage: number;
  readonly scriptError: number;
}

/** Settings of {@link StoreFailureLog}. */
export interface StoreFailureLogOptions {
  readonly now: () => number;
  /** Where the `store_failure` and `store_value_unreadable` events go (log.ts). Default: `console`. */
  readonly log?: Logger;
  /** At most one line per kind and reason in this many ms. Default 10 000. */
  readonly windowMs?: number;
}

/**
 * Counts and logs one instance's store failures: every failure is counted;
 * a `store_failure` event goes out at most once per kind and reason per
 * window, with `heldBack`: how many were not logged since. An outage is a
 * warning; a script error is logged as the bug it is, at level `error`.
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
  readonly #log: Logger;
  #outage = 0;
  #scriptError = 0;

  constructor(options: StoreFailureLogOptions) {
    this.#throttle = new LogThrottle({ windowMs: options.windowMs ?? 10_000, now: options.now });
    this.#log = options.log ?? consoleLog;
  }

  record(failure: StoreUnavailable): void {
    if (failure.failure === "script_error") this.#scriptError += 1;
    else this.#outage += 1;
    const line = this.#throttle.admit(`${failure.failure}|${failure.reason}`);
    if (line) this.#log(failureEntry(failure, line));
  }

  /**
   * A stored value a successful call's reply held that the store left out
   * or read as its default (redis.ts): counted as a script error, since a bug
   * wrote it or someone edited the store by hand, and logged as one.
   */
  unreadable(reason: string): void {
    this.#scriptError += 1;
    const line = this.#throttle.admit(`unreadable|${reason}`);
    if (line) this.#log({ event: "store_value_unreadable", reason, ...throttled(line) });
  }

  counts(): StoreFailureCounts {
    return { outage: this.#outage, scriptError: this.#scriptError };
  }
}

/**
 * The `store_failure` event of a failure, e.g. `{ kind: "outage", reason:
 * "TypeError: fetch failed", heldBack: 12, sinceSeconds: 10 }`.
 */
export function failureEntry(failure: StoreUnavailable, line: ThrottledLine): LogEntry {
  const kind = failure.failure === "script_error" ? "script_error" : "outage";
  return { event: "store_failure", kind, reason: failure.reason, ...throttled(line) };
}

function throttled(line: ThrottledLine) {
  return { heldBack: line.suppressed, sinceSeconds: Math.round(line.sinceMs / 1000) };
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
    // One call, one failure: a failed batch is logged once, though each arrival gets it.
    joinMany: (room, arrivals, report) =>
      store.joinMany(room, arrivals, report).then((outcomes) => {
        const failed = outcomes.find(isUnavailable);
        if (failed) log.record(failed);
        return outcomes;
      }),
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
