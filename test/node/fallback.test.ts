import { afterEach, describe, expect, it, vi } from "vitest";
import { type Bucket, fallbackDecision, fallbackRate, StoreFallback, takeToken } from "../../worker/gate/fallback.ts";
import { rateOf, type Settings } from "../../worker/model/admission.ts";

const auto: Settings = { perMinute: 120, mode: "auto", sessionMinutes: null, maxActive: null, version: 1 };
const room = { room: "r", defaultPerMinute: 60, defaultMode: "auto", stateTtlMs: 1 } as const;

describe("takeToken", () => {
  it("starts full, refills at the rate, and never holds more than the burst", () => {
    const rate = rateOf(120); // 2/s, burst 2
    let bucket: Bucket | null = null;
    const taken = (now: number) => {
      const decision = takeToken(bucket, rate, now);
      bucket = decision.bucket;
      return decision.kind === "take";
    };
    expect([taken(0), taken(0), taken(0)]).toEqual([true, true, false]);
    expect(taken(499)).toBe(false);
    expect(taken(500)).toBe(true);
    // An idle minute is worth one burst, not 120.
    expect(Array.from({ length: 5 }, () => taken(60_500)).filter(Boolean)).toHaveLength(2);
  });

  it("says how long until the next token, and refills nothing when the clock goes back", () => {
    const first = takeToken(null, rateOf(15), 10_000);
    const empty = takeToken(first.bucket, rateOf(15), 11_000);
    expect(empty).toMatchObject({ kind: "empty", waitMs: 3000 });
    expect(takeToken(empty.bucket, rateOf(15), 0).kind).toBe("empty");
    expect(takeToken(empty.bucket, rateOf(15), 14_000).kind).toBe("take");
  });
});

describe("fallbackDecision", () => {
  const at = (mode: "soft" | "open" | "closed", settings: Partial<Settings> = {}) =>
    fallbackDecision({ mode, rateShare: 0.25 }, { ...auto, ...settings }, null, 0);

  it("maps each failure mode and last known room mode to one outcome", () => {
    expect(at("soft")).toMatchObject({ kind: "admit", reason: "fallback_rate" });
    expect(at("soft", { mode: "passthrough" })).toMatchObject({ kind: "admit", reason: "passthrough" });
    expect(at("soft", { mode: "paused" })).toMatchObject({ kind: "refuse", reason: "held" });
    expect(at("soft", { mode: "queue-all" })).toMatchObject({ kind: "refuse", reason: "held" });
    expect(at("open", { mode: "paused" })).toMatchObject({ kind: "admit", reason: "open" });
    expect(at("closed")).toMatchObject({ kind: "refuse", reason: "failure_mode_closed" });
    for (const mode of ["soft", "open", "closed"] as const) expect(at(mode, { mode: "closed" }).kind).toBe("closed");
  });

  it("meters soft admissions at rate x share: 120/min x 0.25 is one every 2 s", () => {
    let bucket: Bucket | null = null;
    let admitted = 0;
    for (let ms = 0; ms <= 60_000; ms += 100) {
      const decision = fallbackDecision({ mode: "soft", rateShare: 0.25 }, auto, bucket, ms);
      if (decision.kind === "closed") throw new Error("not closed");
      bucket = decision.bucket;
      if (decision.kind === "admit") admitted += 1;
    }
    expect(admitted).toBe(31); // the burst of 1, then 30 in the minute
  });
});

describe("the fleet's fallback: rate x share among the instances the store counted", () => {
  it("divides the share by the live instances (at least 1; 1 when unknown)", () => {
    const policy = { mode: "soft", rateShare: 0.5 } as const;
    expect(fallbackRate(policy, auto).perMinute).toBe(60);
    expect(fallbackRate({ ...policy, instances: 4 }, auto).perMinute).toBe(15);
    expect(fallbackRate({ ...policy, instances: 0 }, auto).perMinute).toBe(60);
  });

  // Every instance offered a newcomer every 50 ms for a 20 s outage (a surge: more than the allowance
  // everywhere). The fleet's admissions over the allowance (rate x share x 20 s) must be within
  // 0.5-1.25 whatever N: the target. Without the division it is about N.
  for (const [perMinute, n] of [
    [600, 1],
    [600, 4],
    [600, 8],
    [120, 8],
    [6000, 8],
  ] as const) {
    it(`lets a fleet of ${n} in at about rate x share in all (${perMinute}/min, share 0.25, Redis down 20 s)`, () => {
      const settings = { ...auto, perMinute };
      const fleet = Array.from({ length: n }, () => new StoreFallback({ mode: "soft", rateShare: 0.25 }, room));
      let admitted = 0;
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      for (let at = 0; at < 20_000; at += 50) {
        for (const [i, instance] of fleet.entries()) {
          if (instance.newcomer(settings, 1_000_000 + at + i, n).kind === "admit") admitted += 1;
        }
      }
      warn.mockRestore();
      const allowance = (perMinute * 0.25 * 20) / 60;
      expect(admitted / allowance).toBeGreaterThanOrEqual(0.5);
      expect(admitted / allowance).toBeLessThanOrEqual(1.25);
    });
  }
});

describe("StoreFallback", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("uses the room's defaults before any reading, and logs admissions at most every 10 s", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const fallback = new StoreFallback({ mode: "soft", rateShare: 1 }, room);
    // 60/min x 1: one a second.
    const kinds = [0, 0, 1000, 2000, 9999, 11_000].map((now) => fallback.newcomer(null, now).kind);
    expect(kinds).toEqual(["admit", "refuse", "admit", "admit", "admit", "admit"]);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(JSON.parse(String(warn.mock.calls[1]?.[0]))).toMatchObject({
      event: "fallback_admissions",
      room: room.room,
      mode: "soft",
      reason: "fallback_rate",
      admitted: 4,
      refused: 1,
      fallbackPerMinute: 60,
      sinceSeconds: 11,
    });
    // Every decision is counted for the metrics, logged or not.
    expect(fallback.counts()).toEqual({ admitted: 5, refused: 1 });
  });
});
