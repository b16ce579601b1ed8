// The autopilot's rule as a pure function (issue 13): overload, recovery,
// capacity changes, no demand, a room that does not admit, and the words an
// operator reads. The Lua twin is held to the same decisions by
// autopilot-twin.test.ts.
import { describe, expect, it } from "vitest";
import {
  type AutopilotDecision,
  type AutopilotInput,
  type AutopilotLimits,
  type AutopilotState,
  CUT_GAP_MS,
  DECIDE_EVERY_MS,
  decide,
  describeChange,
  describeHold,
  MAX_CUT,
  MIN_CUT,
  MIN_ERROR_CUT,
  MIN_PROBE_STEP,
  NEAR_STEP,
  OFFER_SPAN_MS,
  PROBE_STEP,
  RECOVERY_MS,
  SETTLE_MS,
  startState,
  USED_FLOOR,
} from "../../worker/model/autopilot.ts";
import type { OriginFigures } from "../../worker/model/origin-signal.ts";

const LIMITS: AutopilotLimits = { minRate: 10, maxRate: 2000, targetP95Ms: 800, maxErrorRate: 0.01 };

function figures(p95Ms: number, errorRate = 0, requests = 200): OriginFigures {
  return { requests, errors: Math.round(requests * errorRate), errorRate, p50Ms: p95Ms / 2, p95Ms };
}

const HEALTHY = figures(200);
const SLOW = figures(1600);

function input(over: Partial<AutopilotInput> = {}): AutopilotInput {
  return { mode: "auto", queue: true, offered: 0, recent: HEALTHY, settled: HEALTHY, ...over };
}

/** A state that decided at `decidedAt` and last changed long before. */
function state(rate: number, over: Partial<AutopilotState> = {}): AutopilotState {
  return { ...startState(rate, LIMITS, 0), decidedAt: 1_000_000, changedAt: 0, ...over };
}

const AT = 1_000_000 + DECIDE_EVERY_MS;

function change(decision: AutopilotDecision) {
  if (decision.kind !== "change") throw new Error(`expected a change, got ${JSON.stringify(decision)}`);
  return decision;
}

function hold(decision: AutopilotDecision) {
  if (decision.kind !== "hold") throw new Error(`expected a hold, got ${JSON.stringify(decision)}`);
  return decision;
}

describe("decide: when", () => {
  it("waits until DECIDE_EVERY_MS has passed since the last decision", () => {
    expect(decide(input({ recent: SLOW }), state(300), LIMITS, AT - 1).kind).toBe("wait");
    expect(decide(input({ recent: SLOW }), state(300), LIMITS, AT).kind).toBe("change");
  });

  it("decides at once the first time (never decided)", () => {
    expect(decide(input({ recent: SLOW }), startState(300, LIMITS, 0), LIMITS, 5).kind).toBe("change");
  });
});

describe("decide: overload", () => {
  it("cuts by the overshoot (target / p95), between MIN_CUT and MAX_CUT", () => {
    const d = change(decide(input({ recent: SLOW }), state(300), LIMITS, AT));
    expect(d.to).toBe(150);
    expect(d.reason).toEqual({ code: "p95_high", p95Ms: 1600, targetMs: 800 });
    expect(change(decide(input({ recent: figures(850) }), state(300), LIMITS, AT)).to).toBe(300 * MAX_CUT);
    expect(change(decide(input({ recent: figures(60_000) }), state(300), LIMITS, AT)).to).toBe(300 * MIN_CUT);
  });

  it("cuts on errors over the maximum, to the share the origin still serves (x MAX_CUT), from MIN_ERROR_CUT", () => {
    const d = change(decide(input({ recent: figures(200, 0.2) }), state(300), LIMITS, AT));
    expect(d.to).toBe(216);
    expect(change(decide(input({ recent: figures(200, 0.95) }), state(300), LIMITS, AT)).to).toBe(300 * MIN_ERROR_CUT);
    expect(d.reason).toEqual({ code: "errors_high", errorRate: 0.2, maxErrorRate: 0.01 });
  });

  it("cuts from the offers really made when the rate is far above the arrivals, but from USED_FLOOR of the rate at least", () => {
    // 100 places offered over the last 10 s: 600/min used of a 1000/min rate.
    const measured = { offered: 0, offeredAt: AT - OFFER_SPAN_MS };
    const noQueue = { recent: SLOW, queue: false };
    expect(change(decide(input({ ...noQueue, offered: 100 }), state(1000, measured), LIMITS, AT)).to).toBe(300);
    // 10 places over 10 s: 60/min; the cut starts from 250, not from 60.
    expect(change(decide(input({ ...noQueue, offered: 10 }), state(1000, measured), LIMITS, AT)).to).toBe(
      1000 * USED_FLOOR * MIN_CUT,
    );
    // With a queue the rate in force is used, whatever the offers say.
    expect(change(decide(input({ recent: SLOW, offered: 10 }), state(1000, measured), LIMITS, AT)).to).toBe(500);
  });

  it("measures the offers over 10-30 s: the base moves on only after OFFER_SPAN_MS", () => {
    const s = state(300, { offered: 40, offeredAt: AT - 4_000 });
    const d = hold(decide(input({ offered: 60, queue: false }), s, LIMITS, AT));
    expect([d.state.offered, d.state.offeredAt]).toEqual([40, AT - 4_000]);
    const later = hold(decide(input({ offered: 90, queue: false }), s, LIMITS, AT - 4_000 + OFFER_SPAN_MS));
    expect([later.state.offered, later.state.offeredAt]).toEqual([90, AT - 4_000 + OFFER_SPAN_MS]);
  });

  it("never goes below the minimum, and holds there while the origin still hurts", () => {
    expect(change(decide(input({ recent: SLOW }), state(15), LIMITS, AT)).to).toBe(10);
    expect(hold(decide(input({ recent: SLOW }), state(10), LIMITS, AT)).why).toBe("at_min");
  });

  it("lets a cut act: no second cut within CUT_GAP_MS, none while p95 falls within RECOVERY_MS", () => {
    const cut = change(decide(input({ recent: SLOW }), state(300), LIMITS, AT)).state;
    const soon = AT + DECIDE_EVERY_MS;
    expect(soon - AT).toBeLessThan(CUT_GAP_MS);
    expect(hold(decide(input({ recent: SLOW }), cut, LIMITS, soon)).why).toBe("cut_gap");
    const later = AT + CUT_GAP_MS;
    // 10 places offered in the 4 s since the cut: the 150/min in force is used.
    const offered = 10;
    expect(hold(decide(input({ recent: figures(1200), offered }), cut, LIMITS, later)).why).toBe("recovering");
    // Not recovering (p95 as bad as at the cut), but latency alone goes no lower than half of where
    // the episode began (300): the lag, not the origin's limit. Errors do cut again.
    expect(hold(decide(input({ recent: SLOW, offered }), cut, LIMITS, later)).why).toBe("cut_gap");
    expect(change(decide(input({ recent: figures(1600, 0.5), offered }), cut, LIMITS, later)).to).toBe(67.5);
    // Recovering too slowly for too long: cut again after RECOVERY_MS.
    const slowly = decide(input({ recent: figures(1200), offered: 37 }), cut, LIMITS, AT + RECOVERY_MS);
    expect(change(slowly).to).toBeLessThan(150);
  });

  it("after a probe that went too far, goes back to just under the last healthy rate", () => {
    const up = state(309, { lastKind: "up", healthyRate: 300, changedAt: AT - SETTLE_MS });
    const d = change(decide(input({ recent: figures(2000) }), up, LIMITS, AT));
    expect(d.to).toBe(285);
    expect(d.state.breachRate).toBe(309);
  });

  it("remembers where an episode of trouble began: the cuts that follow keep that breach rate", () => {
    const first = change(decide(input({ recent: SLOW }), state(300), LIMITS, AT));
    expect(first.state.breachRate).toBe(300);
    const second = change(decide(input({ recent: figures(1600, 0.2) }), first.state, LIMITS, AT + CUT_GAP_MS));
    expect(second.state.breachRate).toBe(300);
  });

  it("forgets the learned capacity when the origin hurts at or below it (the capacity fell)", () => {
    const d = change(decide(input({ recent: SLOW }), state(300, { learned: 400 }), LIMITS, AT));
    expect(d.state.learned).toBe(0);
    const above = change(decide(input({ recent: SLOW }), state(300, { learned: 250 }), LIMITS, AT));
    expect(above.state.learned).toBe(250);
  });
});

describe("decide: probing upwards", () => {
  it("steps up by PROBE_STEP when healthy with a queue, after the last change settled", () => {
    const d = change(decide(input(), state(300), LIMITS, AT));
    expect(d.to).toBe(300 * PROBE_STEP);
    expect(d.reason).toEqual({ code: "healthy", p95Ms: 200, targetMs: 800 });
    expect(d.state.learned).toBe(300);
    expect(d.state.healthyRate).toBe(300);
  });

  it("does not go up without a queue (no demand, no increase), nor before the change settled", () => {
    expect(hold(decide(input({ queue: false }), state(300), LIMITS, AT)).why).toBe("no_queue");
    const fresh = state(300, { changedAt: AT - SETTLE_MS + 1 });
    expect(hold(decide(input(), fresh, LIMITS, AT)).why).toBe("settling");
  });

  it("holds in the band between healthy and the target", () => {
    expect(hold(decide(input({ recent: figures(780), settled: figures(780) }), state(300), LIMITS, AT)).why).toBe(
      "in_band",
    );
  });

  it("steps by NEAR_STEP near the rate where the origin last hurt, and drops that memory once healthy past it", () => {
    const near = change(decide(input(), state(300, { breachRate: 320 }), LIMITS, AT));
    expect(near.to).toBe(309);
    const approaching = change(decide(input(), state(200, { breachRate: 320 }), LIMITS, AT));
    expect(approaching.to).toBe(240);
    const capped = change(decide(input(), state(260, { breachRate: 320 }), LIMITS, AT));
    expect(capped.to).toBe(288);
    const just = change(decide(input(), state(330, { breachRate: 320 }), LIMITS, AT));
    expect(just.state.breachRate).toBe(320);
    const past = change(decide(input(), state(370, { breachRate: 320 }), LIMITS, AT));
    expect(past.state.breachRate).toBe(0);
    expect(past.to).toBe(444);
    expect(near.to / 300).toBeCloseTo(NEAR_STEP, 2);
  });

  it("never goes above the maximum", () => {
    expect(change(decide(input(), state(1900), LIMITS, AT)).to).toBe(2000);
    expect(hold(decide(input(), state(2000), LIMITS, AT)).why).toBe("at_max");
  });

  it("holds with too few origin requests to judge and nobody waiting", () => {
    const few = figures(200, 0, 3);
    expect(hold(decide(input({ recent: few, settled: few, queue: false }), state(300), LIMITS, AT)).why).toBe(
      "too_few_requests",
    );
  });

  it("with few requests but a queue (a low rate), probes without learning; not when one of them failed", () => {
    const few = figures(200, 0, 3);
    const d = change(decide(input({ recent: few, settled: few }), state(20, { learned: 2 }), LIMITS, AT));
    expect(d.to).toBe(24);
    expect([d.state.learned, d.state.healthyRate]).toEqual([2, 0]);
    const failed = { ...few, errors: 1, errorRate: 1 / 3 };
    expect(hold(decide(input({ recent: few, settled: failed }), state(5), LIMITS, AT)).why).toBe("too_few_requests");
  });

  it("climbs from 0 (a minimum of 0) by at least MIN_PROBE_STEP", () => {
    const limits = { ...LIMITS, minRate: 0 };
    expect(change(decide(input(), { ...startState(0, limits, 0), decidedAt: 1_000_000 }, limits, AT)).to).toBe(
      MIN_PROBE_STEP,
    );
  });

  it("does not probe while the active-users cap holds the queue back", () => {
    expect(hold(decide(input({ capped: true }), state(300), LIMITS, AT)).why).toBe("capped");
    // It still backs off when the origin hurts.
    expect(change(decide(input({ capped: true, recent: SLOW }), state(300), LIMITS, AT)).to).toBe(150);
  });
});

describe("decide: a room that does not admit", () => {
  it("holds and learns nothing while paused, closed or in passthrough", () => {
    for (const mode of ["paused", "closed", "passthrough"] as const) {
      const d = hold(decide(input({ mode, recent: SLOW }), state(300, { learned: 100 }), LIMITS, AT));
      expect(d.why).toBe("not_admitting");
      expect(d.state.rate).toBe(300);
      expect(d.state.learned).toBe(100);
      // The pause is no settle time: after it, the origin is judged afresh.
      expect(d.state.changedAt).toBe(AT);
      const resumed = decide(input(), d.state, LIMITS, AT + DECIDE_EVERY_MS);
      expect(hold(resumed).why).toBe("settling");
    }
  });
});

describe("decide: closed loop against a model origin", () => {
  /**
   * A model origin serving `capacity` requests a second, first come first
   * served; a request waiting over 2 s fails (503). Visitors admitted at the
   * rate bring 3 requests each, 2 s apart, so the load lags the rate by up to
   * 4 s, as browsing visitors' does. p95 is read as the worst second of the window.
   */
  function run(startRate: number, capacityAt: (t: number) => number, seconds: number) {
    let s = startState(startRate, { ...LIMITS, maxRate: 4000 }, 0);
    const limits = { ...LIMITS, maxRate: 4000 };
    const due = new Map<number, number>();
    const slots: { requests: number; errors: number; p95: number }[] = [];
    let backlog = 0;
    let offered = 0;
    const rates: number[] = [];
    for (let t = 1; t <= seconds; t++) {
      const capacity = capacityAt(t);
      const admitted = s.rate / 60;
      offered += admitted;
      for (const later of [0, 2, 4]) due.set(t + later, (due.get(t + later) ?? 0) + admitted);
      const inflow = due.get(t) ?? 0;
      backlog = Math.max(0, backlog + inflow - capacity);
      let errors = 0;
      if (backlog > capacity * 2) {
        errors = backlog - capacity * 2;
        backlog = capacity * 2;
      }
      slots.push({ requests: inflow, errors, p95: 200 + (backlog / capacity) * 1000 });
      const window = (n: number): OriginFigures => {
        const last = slots.slice(-n);
        const requests = last.reduce((sum, x) => sum + x.requests, 0);
        const failed = last.reduce((sum, x) => sum + x.errors, 0);
        const p95Ms = Math.max(...last.map((x) => x.p95));
        return { requests, errors: failed, errorRate: requests > 0 ? failed / requests : 0, p50Ms: 200, p95Ms };
      };
      const d = decide(
        { mode: "auto", queue: true, offered: Math.floor(offered), recent: window(5), settled: window(10) },
        s,
        limits,
        t * 1000,
      );
      if (d.kind !== "wait") s = d.state;
      rates.push(s.rate);
    }
    return { rates, p95s: slots.map((x) => x.p95), errors: slots.reduce((sum, x) => sum + x.errors, 0) };
  }

  /** Seconds from the first second over the target to the first of 5 in a row under it, after `from`. */
  function recovery(p95s: readonly number[], from = 0): number {
    const breach = p95s.findIndex((p, i) => i >= from && p > 800);
    if (breach < 0) return 0;
    for (let i = breach; i + 5 <= p95s.length; i++) if (p95s.slice(i, i + 5).every((p) => p <= 800)) return i - breach;
    return Number.POSITIVE_INFINITY;
  }

  // Capacity 10 requests a second, 3 requests per visitor: 200 visitors a minute at most.
  it("started 5x too high, is under the target within 60 s of the first breach and then stays near the capacity", () => {
    const { rates, p95s } = run(1000, () => 10, 600);
    expect(p95s.some((p) => p > 800)).toBe(true);
    expect(recovery(p95s)).toBeLessThan(60);
    const settled = rates.slice(-300);
    expect(Math.min(...settled)).toBeGreaterThan(140);
    expect(Math.max(...settled)).toBeLessThan(230);
  });

  it("started 5x too low, reaches 0.8 x the capacity within 3 minutes", () => {
    const { rates } = run(40, () => 10, 300);
    expect(rates.findIndex((r) => r >= 160)).toBeLessThan(180);
  });

  it("follows a capacity that doubles within 3 minutes, and one that halves within 60 s", () => {
    const doubled = run(190, (t) => (t < 200 ? 10 : 20), 500);
    expect(doubled.rates.slice(200).findIndex((r) => r >= 320)).toBeLessThan(180);
    const halved = run(190, (t) => (t < 200 ? 10 : 5), 500);
    // The halving hurts (a breach), and the room is under the target again within 60 s.
    expect(halved.p95s.slice(200).some((p) => p > 800)).toBe(true);
    expect(recovery(halved.p95s, 200)).toBeLessThan(60);
    expect(Math.max(...halved.rates.slice(-120))).toBeLessThan(130);
  });
});

describe("words", () => {
  it("says what changed and why, as the issue's example", () => {
    expect(describeChange({ code: "p95_high", p95Ms: 1840, targetMs: 800 }, 300, 210)).toBe(
      "origin p95 1840 ms > target 800 ms: 300 -> 210/min",
    );
    expect(describeChange({ code: "errors_high", errorRate: 0.125, maxErrorRate: 0.01 }, 300, 210)).toBe(
      "origin errors 12.5% > 1%: 300 -> 210/min",
    );
    expect(describeChange({ code: "operator" }, 300, 500)).toBe("operator set the rate: 300 -> 500/min");
    expect(describeHold("no_queue")).toContain("nobody waits");
  });
});
