import { binOf, LATENCY_BINS, MAX_SAMPLE_REQUESTS, type OriginSample } from "../model/origin-signal.ts";

/**
 * This instance's view of the origin since its last report: every proxied
 * request of an admitted visitor adds its time to the response headers and
 * whether it failed ({@link record}); the next script call the instance makes
 * anyway takes the sum ({@link take}) as its report's `origin`, and a call
 * that fails gives it back ({@link giveBack}), as the outbox does with
 * claims. Nothing here touches the store.
 *
 * `record` runs on every admitted request, so it counts in place (two numbers
 * and one array slot, no allocation); `take` makes the one new array, at most
 * once per script call. Counts stop at {@link MAX_SAMPLE_REQUESTS} (the
 * scripts ignore a larger sample): an outage of hours only adds up counts,
 * and past that many requests one more says nothing new.
 *
 * @example
 * ```ts
 * const meter = new OriginMeter();
 * meter.record(180, false);
 * const sample = meter.take(); // { requests: 1, errors: 0, bins: [...] } (null when nothing was recorded)
 * if (sample && callFailed) meter.giveBack(sample);
 * ```
 */
export class OriginMeter {
  #requests = 0;
  #errors = 0;
  #bins: number[] = new Array<number>(LATENCY_BINS).fill(0);

  /** One answer (or its absence): the time to the response headers, ms, and whether it counts as failed. */
  record(latencyMs: number, error: boolean): void {
    if (this.#requests >= MAX_SAMPLE_REQUESTS) return;
    this.#requests += 1;
    if (error) this.#errors += 1;
    const bin = binOf(latencyMs);
    this.#bins[bin] = (this.#bins[bin] ?? 0) + 1;
  }

  /** Requests recorded since the last {@link take} (or given back). */
  get pending(): number {
    return this.#requests;
  }

  /** Everything recorded since the last take, for a script call about to be made; null when nothing was. */
  take(): OriginSample | null {
    if (this.#requests === 0) return null;
    const sample: OriginSample = { requests: this.#requests, errors: this.#errors, bins: this.#bins };
    this.#requests = 0;
    this.#errors = 0;
    this.#bins = new Array<number>(LATENCY_BINS).fill(0);
    return sample;
  }

  /**
   * A sample a failed call did not deliver, added back to what came since
   * (exact: the bins are fixed); what would pass {@link MAX_SAMPLE_REQUESTS}
   * is dropped whole, so the sum stays a sample the scripts accept.
   */
  giveBack(sample: OriginSample): void {
    if (this.#requests + sample.requests > MAX_SAMPLE_REQUESTS) return;
    this.#requests += sample.requests;
    this.#errors += sample.errors;
    for (let i = 0; i < LATENCY_BINS; i++) this.#bins[i] = (this.#bins[i] ?? 0) + (sample.bins[i] ?? 0);
  }
}
