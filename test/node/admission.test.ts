import { describe, expect, it } from "vitest";
import {
  advance,
  type FrontierState,
  frontierAt,
  initialState,
  join,
  rateOf,
  refreshSeconds,
  standing,
} from "../../worker/model/admission.ts";

const T0 = 1_800_000_000_000;

/** Joins `count` newcomers at `now`, returning the decisions and the final state. */
function joinMany(state: FrontierState, count: number, perMinute: number, now: number) {
  const decisions = [];
  let current = state;
  for (let i = 0; i < count; i++) {
    const decision = join(current, rateOf(perMinute), now);
    decisions.push(decision);
    current = decision.state;
  }
  return { decisions, state: current };
}

describe("rate and burst", () => {
  it("allows about one second's worth at once, never less than one", () => {
    expect(rateOf(600).burst).toBe(10);
    expect(rateOf(10).burst).toBe(1);
    expect(rateOf(90).burst).toBe(1.5);
  });
});

describe("join", () => {
  it("lets the first visitor of an idle room straight in", () => {
    const decision = join(initialState(rateOf(60), T0), rateOf(60), T0);
    expect(decision).toMatchObject({ kind: "admitted", position: 1 });
  });

  it("queues everyone past the burst when a crowd arrives at the same instant", () => {
    const { decisions } = joinMany(initialState(rateOf(10), T0), 200, 10, T0);
    const admitted = decisions.filter((d) => d.kind === "admitted");
    expect(admitted.map((d) => d.position)).toEqual([1]);
    expect(decisions.map((d) => (d.kind === "closed" ? 0 : d.position))).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  });

  it("hands out positions in arrival order and never lets a later arrival in before an earlier one", () => {
    let state = initialState(rateOf(600), T0);
    let lastAdmitted = 0;
    for (let step = 0; step < 500; step++) {
      const decision = join(state, rateOf(600), T0 + step * 37);
      state = decision.state;
      if (decision.kind === "admitted") {
        // Straight-in admission implies everyone before is within the frontier.
        expect(decision.position).toBeLessThanOrEqual(Math.floor(state.frontier));
        expect(decision.position).toBeGreaterThan(lastAdmitted);
        lastAdmitted = decision.position;
      }
    }
  });
});

describe("advance", () => {
  it("moves the frontier at the configured rate while people wait", () => {
    const { state } = joinMany(initialState(rateOf(600), T0), 1000, 600, T0);
    const later = advance(state, rateOf(600), T0 + 30_000);
    // 10 burst + 600/min x 30 s = 310
    expect(later.frontier).toBeCloseTo(310, 6);
  });

  it("caps an idle room's lead at one second's worth, so a quiet minute is no burst", () => {
    const state = advance(initialState(rateOf(600), T0), rateOf(600), T0 + 60_000);
    expect(state.frontier).toBe(10);
    const { decisions } = joinMany(state, 50, 600, T0 + 60_000);
    expect(decisions.filter((d) => d.kind === "admitted")).toHaveLength(10);
  });

  it("advances nothing when the clock goes backwards, and keeps the later time", () => {
    const { state } = joinMany(initialState(rateOf(60), T0), 100, 60, T0 + 10_000);
    const back = advance(state, rateOf(60), T0);
    expect(back.frontier).toBe(state.frontier);
    expect(back.updatedAt).toBe(state.updatedAt);
  });

  it("admits no more than burst + rate x elapsed over a long run", () => {
    const rate = rateOf(120);
    let state = initialState(rate, T0);
    let admittedDirect = 0;
    for (let ms = 0; ms <= 120_000; ms += 250) {
      for (let k = 0; k < 3; k++) {
        const decision = join(state, rate, T0 + ms);
        state = decision.state;
        if (decision.kind === "admitted") admittedDirect++;
      }
      const allowed = rate.burst + (rate.perMinute / 60_000) * ms;
      expect(Math.floor(state.frontier)).toBeLessThanOrEqual(Math.floor(allowed));
    }
    expect(admittedDirect).toBeGreaterThanOrEqual(1);
  });
});

describe("frontierAt (per-instance extrapolation)", () => {
  it("never runs ahead of what the store would compute", () => {
    const { state } = joinMany(initialState(rateOf(60), T0), 20, 60, T0);
    const settings = { perMinute: 60, mode: "auto" as const, sessionMinutes: null, maxActive: null, version: 0 };
    const view = { frontier: state.frontier, lastTicket: state.lastTicket, observedAt: T0, settings, showRatio: 1 };
    const store = advance(join(state, rateOf(60), T0 + 500).state, rateOf(60), T0 + 5_000);
    expect(frontierAt(view, T0 + 5_000)).toBeLessThanOrEqual(store.frontier);
    expect(frontierAt(view, T0 + 5_000)).toBeCloseTo(6, 6);
    expect(frontierAt({ ...view, settings: { ...settings, mode: "paused" } }, T0 + 5_000)).toBe(state.frontier);
  });
});

describe("modes", () => {
  const rate = rateOf(60);
  const busy = () => joinMany(initialState(rate, T0), 10, 60, T0).state;

  it("queue-all: every newcomer waits, even in an idle room, and admission goes on at the rate", () => {
    const idle = advance(initialState(rate, T0), rate, T0 + 60_000, "queue-all");
    expect(join(idle, rate, T0 + 60_000, "queue-all").kind).toBe("queued");
    const later = advance(busy(), rate, T0 + 5_000, "queue-all");
    expect(later.frontier).toBeCloseTo(6, 6);
  });

  it("paused: the frontier holds, and paused time does not accrue", () => {
    const paused = advance(busy(), rate, T0 + 30_000, "paused");
    expect(paused.frontier).toBe(1);
    expect(paused.updatedAt).toBe(T0 + 30_000);
    const resumed = advance(paused, rate, T0 + 31_000, "auto");
    expect(resumed.frontier).toBeCloseTo(2, 6);
  });

  it("closed: no ticket is handed out", () => {
    const decision = join(busy(), rate, T0 + 1_000, "closed");
    expect(decision.kind).toBe("closed");
    expect(decision.state.lastTicket).toBe(10);
  });

  it("passthrough: straight in without taking a place", () => {
    const decision = join(busy(), rate, T0, "passthrough");
    expect(decision).toMatchObject({ kind: "admitted", position: 0, state: { lastTicket: 10 } });
  });
});

describe("standing", () => {
  it("reports the people ahead, the wait and the progress of a waiting visitor", () => {
    const where = standing(105, 100, 100.5, rateOf(60));
    expect(where).toEqual({ kind: "queued", position: 105, ahead: 4, etaSeconds: 5, refreshSeconds: 2, progress: 0.1 });
  });

  it("admits a position at or below the frontier", () => {
    expect(standing(7, 1, 7, rateOf(60))).toEqual({ kind: "admitted", position: 7 });
  });

  it("suggests polling often near the front and rarely far back", () => {
    expect(refreshSeconds(3)).toBe(2);
    expect(refreshSeconds(60)).toBe(10);
    expect(refreshSeconds(3600)).toBe(20);
  });
});
