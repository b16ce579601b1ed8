import type { Arrival, JoinOutcome } from "../store/store.ts";

/**
 * Most newcomers in one JOIN call. A batch this size costs Redis about as
 * much as three lone JOINs (BENCHMARKS.md, "Past one primary") and its
 * arguments stay a few kilobytes.
 */
export const MAX_JOIN_BATCH = 64;

/**
 * Longest a newcomer waits for a call another request makes (the call in
 * flight, or its batch's): past it the first member of a batch sends anyway,
 * and a member gives up (`unavailable`). Well above the store's timeout.
 */
export const WAIT_MS = 10_000;

/** One JOIN call's worth of newcomers, and who waits for its outcomes. */
interface Batch {
  readonly arrivals: Arrival[];
  /** The members after the first, each resumed with the call's outcomes. */
  readonly waiters: ((outcomes: readonly JoinOutcome[]) => void)[];
}

/**
 * Group commit for one instance's newcomers to one room: a newcomer who
 * finds no JOIN in flight is sent at once, alone (a lone newcomer never
 * waits for company); newcomers who arrive while a JOIN is in flight wait
 * for it and then go together in ONE call, in arrival order (up to
 * {@link MAX_JOIN_BATCH}; more start the next batch). At most one JOIN per
 * instance and room is in flight, so batches form only under load and grow
 * with it: at R newcomers a second and a round trip of L seconds, a batch
 * holds about R x L of them, and Redis is called about 1 / L times a second
 * per instance whatever R is. The price is latency: a newcomer waits for the
 * call in flight, then its own (two round trips at most).
 *
 * Requests are separate I/O contexts in Workers: a promise another request
 * resolves is resumed in the context that made it (and not at all if that
 * request is gone), I/O belongs to the request that starts it, and a request
 * waiting with nothing of its own pending is cancelled as hung. So every
 * wait here is on a promise the waiter made, guarded by a timer of its own
 * ({@link WAIT_MS}); a batch is sent by its first member, from its own
 * context; and a waiter whose call never answers (its sender was cancelled)
 * gets `unavailable` and falls back like any store failure. `send` must
 * resolve (never reject) with one outcome per arrival, in order: failures are
 * values (`unavailable`), each arrival's.
 *
 * @example
 * ```ts
 * const joins = new JoinBatcher((arrivals) => store.joinMany(room, arrivals));
 * const outcome = await joins.join({ visitorId: crypto.randomUUID(), draw: Math.random() });
 * ```
 */
export class JoinBatcher {
  readonly #send: (arrivals: readonly Arrival[]) => Promise<readonly JoinOutcome[]>;
  readonly #max: number;
  /** Whether a call is in flight (or a batch waits to be sent after it). */
  #busy = false;
  /** The first members of batches waiting for the call in flight, in order: each sends its batch when woken. */
  readonly #next: (() => void)[] = [];
  /** The batch still taking newcomers: it waits for the call in flight. */
  #open: Batch | null = null;

  constructor(send: (arrivals: readonly Arrival[]) => Promise<readonly JoinOutcome[]>, max = MAX_JOIN_BATCH) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`JoinBatcher: max must be a whole number >= 1, not ${max}`);
    }
    this.#send = send;
    this.#max = max;
  }

  /** The newcomer's outcome, from the JOIN call that carried it. */
  async join(arrival: Arrival): Promise<JoinOutcome> {
    const open = this.#open;
    if (open && open.arrivals.length < this.#max) {
      const index = open.arrivals.push(arrival) - 1;
      const outcomes = await waitFor<readonly JoinOutcome[]>((resume) => open.waiters.push(resume));
      return outcomes ? outcomeAt(outcomes, index) : unanswered(index);
    }
    const batch: Batch = { arrivals: [arrival], waiters: [] };
    if (this.#busy) {
      // Collect newcomers while the call before is in flight; then close the batch and send it.
      this.#open = batch;
      let wakeUp: (value: true) => void = () => {};
      const wake = () => wakeUp(true);
      this.#next.push(wake);
      const woken = await waitFor<true>((resume) => {
        wakeUp = resume;
      });
      // Not woken in time: the call before never answered here; this batch goes anyway.
      const queued = this.#next.indexOf(wake);
      if (!woken && queued >= 0) this.#next.splice(queued, 1);
      if (this.#open === batch) this.#open = null;
    }
    this.#busy = true;
    let outcomes: readonly JoinOutcome[] = [];
    try {
      outcomes = await this.#send(batch.arrivals);
    } finally {
      for (const resume of batch.waiters) resume(outcomes);
      const next = this.#next.shift();
      if (next) next();
      else this.#busy = false;
    }
    return outcomeAt(outcomes, 0);
  }
}

/**
 * A promise of this request's own, resolved by whoever `register` hands the
 * resolver to (maybe another request), or null after {@link WAIT_MS}; its
 * timer is what the request has pending meanwhile.
 */
function waitFor<T>(register: (resume: (value: T) => void) => void): Promise<T | null> {
  return new Promise<T | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), WAIT_MS);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

function unanswered(index: number): JoinOutcome {
  return {
    kind: "unavailable",
    failure: "outage",
    reason: `JOIN: the batch of arrival ${index + 1} was not answered within ${WAIT_MS} ms`,
  };
}

function outcomeAt(outcomes: readonly JoinOutcome[], index: number): JoinOutcome {
  return (
    outcomes[index] ?? {
      kind: "unavailable",
      failure: "script_error",
      reason: `JOIN: ${outcomes.length} outcomes for a batch, none for arrival ${index + 1}`,
    }
  );
}
