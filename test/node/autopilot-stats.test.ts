// The operator's view of the autopilot (GET /__anteroom/admin/stats), as a
// pure function: roomStats with the store's AutopilotReading, with a failed
// read, and without autopilot settings at all; the per-minute history with the
// rate in force, the origin's figures and the changes of each minute.
import { describe, expect, it } from "vitest";
import { roomStats } from "../../worker/admin/stats.ts";
import type { FrontierState, Settings } from "../../worker/model/admission.ts";
import { type AutopilotSettings, startState } from "../../worker/model/autopilot.ts";
import type { OriginFigures } from "../../worker/model/origin-signal.ts";
import type { AutopilotReading, MinuteSnapshot, RateChange } from "../../worker/store/store.ts";

const M = 60_000;
/** A whole minute, plus 30 s into the next: "now" in these tests. */
const MINUTE = 29_000_000;
const NOW = MINUTE * M + 30_000;

const LIMITS: AutopilotSettings = {
  on: true,
  minRate: 10,
  maxRate: 1000,
  targetP95Ms: 800,
  maxErrorRate: 0.01,
  timeoutMs: 10_000,
};

const state: FrontierState = {
  frontier: 500,
  lastTicket: 800,
  updatedAt: NOW,
  showRatio: 1,
  active: 40,
  ceiling: Number.POSITIVE_INFINITY,
};

function settings(perMinute: number, autopilot: AutopilotSettings | undefined): Settings {
  return {
    perMinute,
    mode: "auto",
    sessionMinutes: null,
    maxActive: null,
    version: 3,
    ...(autopilot ? { autopilot } : {}),
  };
}

function figures(requests: number, errors: number, p50Ms: number | null, p95Ms: number | null): OriginFigures {
  return { requests, errors, errorRate: requests > 0 ? errors / requests : 0, p50Ms, p95Ms };
}

const changes: RateChange[] = [
  { at: (MINUTE - 40) * M, from: 100, to: 150, reason: { code: "healthy", p95Ms: 300, targetMs: 800 } },
  { at: (MINUTE - 3) * M + 5_000, from: 60, to: 300, reason: { code: "operator" } },
  { at: (MINUTE - 1) * M + 10_000, from: 300, to: 360, reason: { code: "healthy", p95Ms: 400, targetMs: 800 } },
  { at: (MINUTE - 1) * M + 50_000, from: 360, to: 252, reason: { code: "p95_high", p95Ms: 1840, targetMs: 800 } },
];

const reading: AutopilotReading = {
  state: { ...startState(252, LIMITS, (MINUTE - 1) * M), learned: 360 },
  hold: "cut_gap",
  changes,
  origin: figures(1200, 6, 240, 1100),
};

const history: MinuteSnapshot[] = [
  { minute: MINUTE - 3, lastTicket: 100, admitted: 90, ratePerMinute: 60 },
  {
    minute: MINUTE - 2,
    lastTicket: 300,
    admitted: 250,
    ratePerMinute: 300,
    origin: figures(900, 0, 150, 420),
  },
  {
    minute: MINUTE - 1,
    lastTicket: 500,
    admitted: 400,
    ratePerMinute: 300,
    origin: figures(1000, 2, 180, 500),
  },
  {
    minute: MINUTE,
    lastTicket: 700,
    admitted: 480,
    ratePerMinute: 252,
    origin: figures(1100, 30, 300, 1900),
  },
];

function stats(input: { autopilot: AutopilotReading | null; settings?: Settings; defaults?: AutopilotSettings }) {
  return roomStats({
    room: "r",
    state,
    settings: input.settings ?? settings(252, LIMITS),
    history,
    autopilot: input.autopilot,
    autopilotDefaults: input.defaults,
    defaultSessionMinutes: 10,
    maxActive: 0,
    storeFailures: { outage: 0, scriptError: 0 },
    now: NOW,
  });
}

describe("the autopilot in the stats", () => {
  it("shows the switch, the limits in force, the origin's last minute, the last change in words, the learned capacity and why it holds", () => {
    const { autopilot, ratePerMinute } = stats({ autopilot: reading });
    expect(ratePerMinute).toBe(252);
    expect(autopilot).toMatchObject({
      on: true,
      ratePerMinute: 252,
      minRate: 10,
      maxRate: 1000,
      targetP95Ms: 800,
      maxErrorRate: 0.01,
      timeoutMs: 10_000,
      origin: { requests: 1200, errorRate: 0.005, p50Ms: 240, p95Ms: 1100 },
      lastChange: {
        at: new Date((MINUTE - 1) * M + 50_000).toISOString(),
        from: 360,
        to: 252,
        code: "p95_high",
        reason: "origin p95 1840 ms > target 800 ms: 360 -> 252/min",
      },
      status: "holding: letting the last cut act",
      learnedCapacity: 360,
    });
  });

  it("lists the changes of the last 30 minutes, oldest first, each in words", () => {
    const { autopilot } = stats({ autopilot: { ...reading, changes: [...changes].reverse() } });
    expect(autopilot.changes.map((c) => c.reason)).toEqual([
      "operator set the rate: 60 -> 300/min",
      "origin healthy (p95 400 ms, target 800 ms) with a queue: 300 -> 360/min",
      "origin p95 1840 ms > target 800 ms: 360 -> 252/min",
    ]);
    expect(autopilot.changes.map((c) => c.code)).toEqual(["operator", "healthy", "p95_high"]);
  });

  it("says nothing learned (null) before the origin was healthy with a queue, and no status without a hold", () => {
    const { autopilot } = stats({
      autopilot: { state: null, hold: null, changes: [], origin: figures(0, 0, null, null) },
    });
    expect(autopilot).toMatchObject({
      on: true,
      learnedCapacity: null,
      status: null,
      lastChange: null,
      changes: [],
      origin: { requests: 0, errorRate: 0, p50Ms: null, p95Ms: null },
    });
  });

  it("while off: no status (a hold from before says nothing), the limits still shown, the origin still measured", () => {
    const { autopilot } = stats({ autopilot: reading, settings: settings(120, { ...LIMITS, on: false }) });
    expect(autopilot).toMatchObject({ on: false, ratePerMinute: 120, status: null, minRate: 10 });
    expect(autopilot.origin.p95Ms).toBe(1100);
  });

  it("when the reading failed: the settings, and origin figures null, without failing the stats", () => {
    const result = stats({ autopilot: null });
    expect(result.autopilot).toMatchObject({
      on: true,
      ratePerMinute: 252,
      maxRate: 1000,
      origin: { requests: null, errorRate: null, p50Ms: null, p95Ms: null },
      lastChange: null,
      status: null,
      learnedCapacity: null,
      changes: [],
    });
    expect(result.queueLength).toBe(300);
  });

  it("takes the deployed limits, turned off, when the store reports no autopilot settings; null when nobody knows", () => {
    const defaults = stats({ autopilot: null, settings: settings(60, undefined), defaults: LIMITS });
    expect(defaults.autopilot).toMatchObject({ on: false, minRate: 10, maxRate: 1000, targetP95Ms: 800 });
    const unknown = stats({ autopilot: null, settings: settings(60, undefined) });
    expect(unknown.autopilot).toMatchObject({ on: false, minRate: null, maxRate: null, targetP95Ms: null });
  });
});

describe("the history with the rate and the origin", () => {
  const rows = stats({ autopilot: reading }).history;
  const row = (minute: number) => rows.find((r) => r.minute === new Date(minute * M).toISOString());

  it("gives each minute the rate at its end and the origin over it, from the next minute's snapshot", () => {
    expect(rows).toHaveLength(31);
    expect(row(MINUTE - 3)).toMatchObject({
      arrivals: 200,
      admissions: 160,
      ratePerMinute: 300,
      origin: { requests: 900, errorRate: 0, p95Ms: 420 },
      rateChanges: 1,
    });
    expect(row(MINUTE - 1)).toMatchObject({
      ratePerMinute: 252,
      origin: { requests: 1100, errorRate: 0.0273, p95Ms: 1900 },
      rateChanges: 2,
    });
  });

  it("gives the current minute the rate in force and the live origin figures", () => {
    expect(rows.at(-1)).toMatchObject({
      minute: new Date(MINUTE * M).toISOString(),
      arrivals: 100,
      ratePerMinute: 252,
      origin: { requests: 1200, errorRate: 0.005, p95Ms: 1100 },
      rateChanges: 0,
    });
  });

  it("gives no rate before the first snapshot that kept one, and keeps rows small", () => {
    expect(row(MINUTE - 5)).toMatchObject({ ratePerMinute: null, origin: null, rateChanges: 0 });
    expect(row(MINUTE - 20)).toMatchObject({ ratePerMinute: null, arrivals: 0 });
    // Minute -4 closed at the first snapshot (its rate, 60).
    expect(row(MINUTE - 4)).toMatchObject({ ratePerMinute: 60, arrivals: 0 });
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual([
      "admissions",
      "arrivals",
      "minute",
      "origin",
      "queueLength",
      "rateChanges",
      "ratePerMinute",
    ]);
  });

  it("carries the rate over minutes without a snapshot (an idle minute ran at it)", () => {
    const gap = roomStats({
      room: "r",
      state,
      settings: settings(252, LIMITS),
      history: [
        { minute: MINUTE - 10, lastTicket: 10, admitted: 10, ratePerMinute: 75 },
        { minute: MINUTE, lastTicket: 700, admitted: 480, ratePerMinute: 252 },
      ],
      autopilot: reading,
      defaultSessionMinutes: 10,
      maxActive: 0,
      storeFailures: { outage: 0, scriptError: 0 },
      now: NOW,
    }).history;
    expect(gap.slice(-11, -2).map((r) => r.ratePerMinute)).toEqual(Array(9).fill(75));
    expect(gap.at(-2)).toMatchObject({ ratePerMinute: 252 });
    expect(gap.at(-12)).toMatchObject({ ratePerMinute: 75 });
    expect(gap.at(-13)).toMatchObject({ ratePerMinute: null });
  });

  it("without a reading: the rate where a snapshot kept it, null before; no origin for the current minute", () => {
    const plain = stats({ autopilot: null }).history;
    expect(plain.at(-1)).toMatchObject({ ratePerMinute: 252, origin: null });
    // Minute -5: nothing kept; minute -4 closed at the first snapshot's rate; minute -3 at the next one's.
    expect(plain.at(-6)).toMatchObject({ ratePerMinute: null });
    expect(plain.at(-5)).toMatchObject({ ratePerMinute: 60 });
    expect(plain.at(-4)).toMatchObject({ ratePerMinute: 300 });
  });
});
