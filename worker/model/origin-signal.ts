/**
 * The origin's health as the worker sees it, as pure functions: for every
 * proxied request of an admitted visitor, the time to the response headers
 * and whether it failed (a 5xx, a 429, no answer, or no answer within
 * ORIGIN_TIMEOUT_MS). Each instance sums its requests into one
 * {@link OriginSample} and sends it with its next script call (no call of its
 * own); the store adds the samples of the whole fleet into one-second slots
 * (`store/lua/autopilot.ts`), from which the autopilot reads p95 and the
 * error share.
 *
 * Latencies go into fixed bins ({@link LATENCY_BOUNDS_MS}), so that samples
 * from many instances add up exactly: a histogram's sum is the histogram of
 * the union. A quantile read from bins is approximate (linear within the
 * bin), and the same function in Lua and TypeScript gives the same number
 * (`store/lua/autopilot.ts` has the Lua twin; a test runs both).
 */

/**
 * Upper bounds of the latency bins, ms: about x1.6 apart (log-spaced), round
 * numbers so Lua and TypeScript read them as the same doubles. Bin i holds
 * latencies in [bound i-1, bound i); the last bin, past the last bound, holds
 * everything slower (read as the last bound).
 */
export const LATENCY_BOUNDS_MS = [
  5, 10, 15, 25, 40, 60, 100, 150, 250, 400, 600, 1000, 1500, 2500, 4000, 6000, 10000, 15000, 25000, 40000, 60000,
] as const;

/** Number of bins: one per bound, and one past the last. */
export const LATENCY_BINS = LATENCY_BOUNDS_MS.length + 1;

/** Most requests one sample may count: a bigger number is garbage, not traffic. */
export const MAX_SAMPLE_REQUESTS = 1_000_000_000;

/** Requests to the origin over some time, from one instance or many. */
export interface OriginSample {
  readonly requests: number;
  /** Of those, the failed ones: 5xx, 429, unreachable, or no answer within the timeout. */
  readonly errors: number;
  /** Requests per latency bin ({@link LATENCY_BINS} entries, summing to `requests`). */
  readonly bins: readonly number[];
}

/** What the autopilot reads off a sample. */
export interface OriginFigures {
  readonly requests: number;
  readonly errors: number;
  /** errors / requests; 0 without requests. */
  readonly errorRate: number;
  /** Null without requests. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

/** An empty sample. */
export function emptySample(): OriginSample {
  return { requests: 0, errors: 0, bins: new Array<number>(LATENCY_BINS).fill(0) };
}

/** The bin of a latency (ms): the first whose bound is above it, else the last. */
export function binOf(latencyMs: number): number {
  const ms = Number.isFinite(latencyMs) && latencyMs > 0 ? latencyMs : 0;
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms < (LATENCY_BOUNDS_MS[i] as number)) return i;
  return LATENCY_BOUNDS_MS.length;
}

/**
 * A sample with one more request.
 *
 * @example
 * ```ts
 * const sample = withRequest(emptySample(), 180, false); // 1 request, bin of 150-250 ms
 * ```
 */
export function withRequest(sample: OriginSample, latencyMs: number, error: boolean): OriginSample {
  const bins = [...sample.bins];
  const bin = binOf(latencyMs);
  bins[bin] = (bins[bin] ?? 0) + 1;
  return { requests: sample.requests + 1, errors: sample.errors + (error ? 1 : 0), bins };
}

/** Two samples added up (exact: bins are fixed). */
export function mergeSamples(a: OriginSample, b: OriginSample): OriginSample {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    bins: Array.from({ length: LATENCY_BINS }, (_, i) => (a.bins[i] ?? 0) + (b.bins[i] ?? 0)),
  };
}

/**
 * The latency below which a share `q` of the sample's requests fell, read
 * from the bins: linear within the bin where the count reaches q x requests,
 * rounded to whole ms; the bin past the last bound reads as that bound. Null
 * without requests. The Lua twin (`quantile` in `store/lua/autopilot.ts`)
 * does the same operations in the same order, so both give the same number.
 *
 * @example
 * ```ts
 * quantile({ requests: 2, errors: 0, bins: [0, 0, 0, 0, 0, 0, 0, 2, ...zeros] }, 0.5); // 125: half-way through 100-150
 * ```
 */
export function quantile(sample: OriginSample, q: number): number | null {
  if (sample.requests <= 0) return null;
  const rank = q * sample.requests;
  let seen = 0;
  for (let i = 0; i < LATENCY_BINS; i++) {
    const count = sample.bins[i] ?? 0;
    if (count > 0 && seen + count >= rank) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] as number;
      const lower = i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] as number);
      const upper = LATENCY_BOUNDS_MS[i] as number;
      return Math.floor(lower + ((upper - lower) * (rank - seen)) / count + 0.5);
    }
    seen += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] as number;
}

/** The figures the autopilot and the operator read off a sample. */
export function figuresOf(sample: OriginSample): OriginFigures {
  return {
    requests: sample.requests,
    errors: sample.errors,
    errorRate: sample.requests > 0 ? sample.errors / sample.requests : 0,
    p50Ms: quantile(sample, 0.5),
    p95Ms: quantile(sample, 0.95),
  };
}

/**
 * A sample as a script argument: "requests,errors,bin0,...,binN". The scripts
 * ignore one that is not exactly that (see {@link parseSample}).
 */
export function encodeSample(sample: OriginSample): string {
  return [sample.requests, sample.errors, ...sample.bins].join(",");
}

/**
 * A sample from its encoding, or null when it is not one: anything but
 * {@link LATENCY_BINS} + 2 whole numbers from 0 to {@link MAX_SAMPLE_REQUESTS},
 * errors above requests, or bins that do not add up to requests. The Lua twin
 * (`parse_sample`) applies the same rule, so garbage from an instance never
 * reaches the room's state.
 */
export function parseSample(text: string): OriginSample | null {
  const parts = text.split(",");
  if (parts.length !== LATENCY_BINS + 2) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,10}$/.test(part)) return null;
    const n = Number(part);
    if (n > MAX_SAMPLE_REQUESTS) return null;
    numbers.push(n);
  }
  const [requests = 0, errors = 0, ...bins] = numbers;
  if (errors > requests || bins.reduce((sum, n) => sum + n, 0) !== requests) return null;
  return { requests, errors, bins };
}
