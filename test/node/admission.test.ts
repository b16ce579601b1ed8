import { describe, expect, it } from "vitest";
import {
  advance,
  type FrontierState,
  frontierAt,
  rateOf,
  refreshSeconds,
  standing,
} from "../../worker/model/admission.ts";

const T0 = 1_800_000_000_000;

// How the frontier moves and newcomers join is the Lua's (store/lua/), checked
// on both stores by the contract suites; `advance` is here for what instances
// extrapolate between two store reads (frontierAt), which must never run ahead.

/** A room with `waiting` tickets handed out at T0 and the frontier at its burst. */
function busyRoom(waiting: number, perMinute: number): FrontierState {
  return { frontier: rateOf(perMinute).burst, lastTicket: waiting, updatedAt: T0 };
}

describe("rate and burst", () => {
  it("allows about one second's worth at once, never less than one", () => {
    expect(rateOf(600).burst).toBe(10);
    expect(rateOf(10).burst).toBe(1);
    expect(rateOf(90).burst).toBe(1.5);
  });
});

describe("advance", () => {
  it("moves the frontier at the configured rate while people wait", () => {
    const later = advance(busyRoom(1000, 600), rateOf(600), T0 + 30_000);
    // 10 burst + 600/min x 30 s = 310
    expect(later.frontier).toBeCloseTo(310, 6);
  });

  it("caps an idle room's lead at one second's worth, so a quiet minute is no burst", () => {
    const idle = { frontier: 10, lastTicket: 0, updatedAt: T0 };
    expect(advance(idle, rateOf(600), T0 + 60_000).frontier).toBe(10);
  });

  it("advances nothing when the clock goes backwards, and keeps the later time", () => {
    const state = { ...busyRoom(100, 60), updatedAt: T0 + 10_000 };
    const back = advance(state, rateOf(60), T0);
    expect(back.frontier).toBe(state.frontier);
    expect(back.updatedAt).toBe(state.updatedAt);
  });
});

describe("frontierAt (per-instance extrapolation)", () => {
  it("never runs ahead of what the store would compute", () => {
    const state = busyRoom(20, 60);
    const settings = { perMinute: 60, mode: "auto" as const, sessionMinutes: null, maxActive: null, version: 0 };
    const view = { frontier: state.frontier, lastTicket: state.lastTicket, observedAt: T0, settings, showRatio: 1 };
    // The store meanwhile handed out one more ticket: its frontier only moves further.
    const store = advance({ ...advance(state, rateOf(60), T0 + 500), lastTicket: 21 }, rateOf(60), T0 + 5_000);
    expect(frontierAt(view, T0 + 5_000)).toBeLessThanOrEqual(store.frontier);
    expect(frontierAt(view, T0 + 5_000)).toBeCloseTo(6, 6);
    expect(frontierAt({ ...view, settings: { ...settings, mode: "paused" } }, T0 + 5_000)).toBe(state.frontier);
  });
});

describe("modes", () => {
  const rate = rateOf(60);

  it("queue-all: an idle room gains no lead (every newcomer waits), and admission goes on at the rate", () => {
    const idle = advance({ frontier: 0, lastTicket: 0, updatedAt: T0 }, rate, T0 + 60_000, "queue-all");
    expect(idle.frontier).toBe(0);
    const later = advance(busyRoom(10, 60), rate, T0 + 5_000, "queue-all");
    expect(later.frontier).toBeCloseTo(6, 6);
  });

  it("paused: the frontier holds, and paused time does not accrue", () => {
    const paused = advance(busyRoom(10, 60), rate, T0 + 30_000, "paused");
    expect(paused.frontier).toBe(1);
    expect(paused.updatedAt).toBe(T0 + 30_000);
    const resumed = advance(paused, rate, T0 + 31_000, "auto");
    expect(resumed.frontier).toBeCloseTo(2, 6);
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
