import type { Arrival, JoinOutcome } from "../store/store.ts";

/**
 * Most newcomers in one JOIN call. A batch this size costs Redis about as
 * much as three lone JOINs (BENCHMARKS.md, "Past one primary") and its
 * arguments stay a few kilobytes.
 */
export const MAX_JOIN_BATCH = 64;

/** One JOIN call's worth of newcomers, and the outcomes once it has been answered. */
interface Batch {
  readonly arrivals: Arrival[];
  outcomes: Promise<readonly JoinOutcome[]> | null;
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
 * The batch is sent from the request of its first member (the one that
 * waits for the call in flight), so the call belongs to a request that is
 * still waiting for it. `send` must resolve (never reject) with one outcome
 * per arrival, in order: failures are values (`unavailable`), each arrival's.
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
  /** Settles when the newest call sent (or waiting to be sent) has been answered; null when none. */
  #tail: Promise<void> | null = null;
  /** The batch still taking newcomers: it waits for the call in flight. */
  #open: Batch | null = null;

  constructor(send: (arrivals: readonly Arrival[]) => Promise<readonly JoinOutcome[]>, max = MAX_JOIN_BATCH) {
    if (!Number.isSafeInteger(max) || max < 1)
      throw new RangeError(`JoinBatcher: max must be a whole number >= 1, not ${max}`);
    this.#send = send;
    this.#max = max;
  }

  /** The newcomer's outcome, from the JOIN call that carried it. */
  async join(arrival: Arrival): Promise<JoinOutcome> {
    const open = this.#open;
    if (open?.outcomes && open.arrivals.length < this.#max) {
      const index = open.arrivals.push(arrival) - 1;
      return outcomeAt(await open.outcomes, index);
    }
    const batch: Batch = { arrivals: [arrival], outcomes: null };
    const before = this.#tail;
    let answered = () => {};
    const done = new Promise<void>((resolve) => {
      answered = resolve;
    });
    this.#tail = done;
    batch.outcomes = this.#run(batch, before).finally(() => {
      answered();
      if (this.#tail === done) this.#tail = null;
    });
    return outcomeAt(await batch.outcomes, 0);
  }

  async #run(batch: Batch, before: Promise<void> | null): Promise<readonly JoinOutcome[]> {
    if (before) {
      // Collect newcomers while the call before is in flight; then close the batch and send it.
      this.#open = batch;
      await before;
      if (this.#open === batch) this.#open = null;
    }
    return this.#send(batch.arrivals);
  }
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
