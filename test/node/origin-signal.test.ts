// The origin's signal (issue 13): fixed latency bins that merge exactly, the
// quantile read from them, and the encoding the scripts take (garbage refused).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  binOf,
  emptySample,
  encodeSample,
  figuresOf,
  LATENCY_BINS,
  LATENCY_BOUNDS_MS,
  mergeSamples,
  type OriginSample,
  parseSample,
  quantile,
  withRequest,
} from "../../worker/model/origin-signal.ts";

function sampleOf(latencies: readonly number[], errorsEvery = 0): OriginSample {
  return latencies.reduce(
    (sample, ms, i) => withRequest(sample, ms, errorsEvery > 0 && i % errorsEvery === 0),
    emptySample(),
  );
}

describe("bins", () => {
  it("are log-spaced and strictly increasing, with one bin past the last bound", () => {
    expect(LATENCY_BINS).toBe(LATENCY_BOUNDS_MS.length + 1);
    for (let i = 1; i < LATENCY_BOUNDS_MS.length; i++) {
      const ratio = (LATENCY_BOUNDS_MS[i] as number) / (LATENCY_BOUNDS_MS[i - 1] as number);
      expect(ratio).toBeGreaterThan(1.3);
      expect(ratio).toBeLessThanOrEqual(2);
    }
  });

  it("put a latency in the first bin whose bound is above it; nonsense reads as 0", () => {
    expect(binOf(0)).toBe(0);
    expect(binOf(4.9)).toBe(0);
    expect(binOf(5)).toBe(1);
    expect(binOf(199)).toBe(8);
    expect(binOf(60_000)).toBe(LATENCY_BOUNDS_MS.length);
    expect(binOf(Number.NaN)).toBe(0);
    expect(binOf(-3)).toBe(0);
  });
});

describe("merging", () => {
  it("is exact: samples from many instances add up to the sample of all their requests", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 120_000, noNaN: true }), { maxLength: 40 }), { maxLength: 6 }),
        (instances) => {
          const merged = instances.map((l) => sampleOf(l, 3)).reduce(mergeSamples, emptySample());
          const all = instances.flat();
          expect(merged.requests).toBe(all.length);
          expect(merged.bins).toEqual(sampleOf(all).bins);
          expect(quantile(merged, 0.95)).toBe(quantile(sampleOf(all), 0.95));
        },
      ),
    );
  });
});

describe("quantile", () => {
  it("is null without requests", () => {
    expect(quantile(emptySample(), 0.95)).toBeNull();
    expect(figuresOf(emptySample())).toEqual({ requests: 0, errors: 0, errorRate: 0, p50Ms: null, p95Ms: null });
  });

  it("reads linearly within the bin where the rank falls", () => {
    // 100 requests at 120 ms (bin 100-150): p50 at rank 50 is half-way.
    expect(quantile(sampleOf(new Array(100).fill(120)), 0.5)).toBe(125);
    // 95 fast and 5 slow: p95 still in the fast bin's top, p99 in the slow one.
    const mixed = sampleOf([...new Array(95).fill(20), ...new Array(5).fill(3000)]);
    expect(quantile(mixed, 0.95)).toBe(25);
    expect(quantile(mixed, 0.99)).toBeGreaterThanOrEqual(2500);
    expect(quantile(mixed, 0.99)).toBeLessThanOrEqual(4000);
  });

  it("stays within the bin of the true quantile", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 59_999 }), { minLength: 1, maxLength: 300 }), (latencies) => {
        const sorted = [...latencies].sort((a, b) => a - b);
        const truth = sorted[Math.ceil(0.95 * sorted.length) - 1] as number;
        const bin = binOf(truth);
        const estimate = quantile(sampleOf(latencies), 0.95) as number;
        expect(estimate).toBeGreaterThanOrEqual(bin === 0 ? 0 : (LATENCY_BOUNDS_MS[bin - 1] as number));
        expect(estimate).toBeLessThanOrEqual(LATENCY_BOUNDS_MS[bin] as number);
      }),
    );
  });

  it("reads the bin past the last bound as that bound", () => {
    expect(quantile(sampleOf([100_000, 200_000]), 0.95)).toBe(60_000);
  });
});

describe("figures", () => {
  it("count errors and their share", () => {
    const f = figuresOf(sampleOf(new Array(10).fill(300), 5));
    expect(f).toMatchObject({ requests: 10, errors: 2, errorRate: 0.2 });
  });
});

describe("encoding", () => {
  it("round-trips", () => {
    const sample = sampleOf([3, 120, 120, 900, 70_000], 2);
    expect(parseSample(encodeSample(sample))).toEqual(sample);
  });

  it("refuses garbage: wrong length, negatives, NaN, errors above requests, bins that do not add up", () => {
    const good = encodeSample(sampleOf([120, 900]));
    const zeros = new Array(LATENCY_BINS).fill(0);
    expect(parseSample(`${good},0`)).toBeNull();
    expect(parseSample(good.split(",").slice(1).join(","))).toBeNull();
    expect(parseSample(["-1", "0", ...zeros].join(","))).toBeNull();
    expect(parseSample(["NaN", "0", ...zeros].join(","))).toBeNull();
    expect(parseSample(["1.5", "0", ...zeros].join(","))).toBeNull();
    expect(parseSample(["1", "2", "1", ...zeros.slice(1)].join(","))).toBeNull();
    expect(parseSample(["2", "0", "1", ...zeros.slice(1)].join(","))).toBeNull();
    expect(parseSample(["2000000000", "0", "2000000000", ...zeros.slice(1)].join(","))).toBeNull();
    expect(parseSample("")).toBeNull();
  });
});
