// The autopilot inside the store (issue 13), on both stores: the Lua scripts
// on real redis-server through the REST bridge, and on the embedded engine,
// with an injected clock. Instances report the origin's answers with their
// ticks (Report.origin); the admission scripts keep them in one-second slots
// and, while the autopilot is on, set the rate from them and log each change.
import { describe, expect, it } from "vitest";
import { type AutopilotSettings, RESTART_AFTER_MS } from "../../worker/model/autopilot.ts";
import { binOf, emptySample, LATENCY_BINS, type OriginSample } from "../../worker/model/origin-signal.ts";
import type { AdmissionStore, RoomSpec, TickOutcome } from "../../worker/store/store.ts";
import { clock, newArrival, room, stores } from "../support/stores.ts";

const AUTOPILOT: AutopilotSettings = {
  on: true,
  minRate: 60,
  maxRate: 1200,
  targetP95Ms: 800,
  maxErrorRate: 0.01,
  timeoutMs: 10_000,
};

function spec(perMinute: number, autopilot: Partial<AutopilotSettings> = {}): RoomSpec {
  return { ...room(perMinute), autopilot: { ...AUTOPILOT, ...autopilot } };
}

/** `requests` answers of `latencyMs` each, `errors` of them failed. */
function answers(requests: number, latencyMs: number, errors = 0): OriginSample {
  const bins = emptySample().bins.slice();
  bins[binOf(latencyMs)] = requests;
  return { requests, errors, bins };
}

async function tick(store: AdmissionStore, room: RoomSpec, origin: OriginSample | null = null) {
  const outcome: TickOutcome = await store.tick(room, { origin });
  if (outcome.kind !== "state") throw new Error(`tick: ${outcome.kind} ${"reason" in outcome ? outcome.reason : ""}`);
  return outcome;
}

/** Ticks once a second for `seconds`, reporting `origin` each time; the rates seen, in order. */
async function run(
  store: AdmissionStore,
  room: RoomSpec,
  t: ReturnType<typeof clock>,
  seconds: number,
  origin: OriginSample | null,
) {
  const rates: number[] = [];
  for (let s = 0; s < seconds; s++) {
    t.advance(1_000);
    rates.push((await tick(store, room, origin)).settings.perMinute);
  }
  return rates;
}

async function queue(store: AdmissionStore, room: RoomSpec, visitors: number) {
  for (let i = 0; i < visitors; i++) await store.join(room, newArrival());
}

async function reading(store: AdmissionStore, room: RoomSpec) {
  const outcome = await store.autopilot(room);
  if (outcome.kind !== "autopilot") throw new Error(`autopilot: ${outcome.kind}`);
  return outcome;
}

const SLOW = answers(20, 2_000);
const FAST = answers(20, 40);

describe.each(stores)("autopilot in the store: %s", (_name, makeStore) => {
  it("starts from the rate in force, then cuts it within seconds when the origin is slow, saying why", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const r = spec(600);
    await queue(store, r, 1_000);
    const first = await tick(store, r);
    expect(first.settings).toMatchObject({ perMinute: 600, autopilot: { ...AUTOPILOT, on: true } });
    const rates = await run(store, r, t, 3, SLOW);
    expect(rates.at(-1)).toBeLessThan(600);
    expect(rates.at(-1)).toBeGreaterThanOrEqual(AUTOPILOT.minRate);
    const { changes, state, origin } = await reading(store, r);
    expect(changes[0]).toMatchObject({ from: 600, to: 600, reason: { code: "started" } });
    const cut = changes.find((c) => c.reason.code === "p95_high");
    expect(cut).toMatchObject({ from: 600, reason: { code: "p95_high", targetMs: 800 } });
    if (cut?.reason.code !== "p95_high") return;
    expect(cut.reason.p95Ms).toBeGreaterThan(800);
    expect(cut.to).toBe(state?.rate);
    expect(state).toMatchObject({ lastKind: "down", rate: rates.at(-1) });
    expect(origin).toMatchObject({ requests: 60, errors: 0, errorRate: 0 });
    expect(origin.p95Ms).toBeGreaterThan(1_500);
    // The frontier moves at the new rate from the cut on (over the show ratio: no-show compensation).
    const before = await tick(store, r);
    t.advance(2_000);
    const after = await tick(store, r);
    const expected = (before.settings.perMinute / 60_000) * 2_000;
    expect(after.state.frontier - before.state.frontier).toBeCloseTo(expected / (after.state.showRatio ?? 1), 6);
  });

  it("raises the rate while the origin is healthy and a queue waits, after the settle time; not without a queue", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const busy = spec(300);
    await queue(store, busy, 500);
    await tick(store, busy);
    const rates = await run(store, busy, t, 9, FAST);
    expect(rates.every((rate) => rate === 300)).toBe(true);
    const later = await run(store, busy, t, 4, FAST);
    expect(later.at(-1)).toBeGreaterThan(300);
    const up = (await reading(store, busy)).changes.find((c) => c.reason.code === "healthy");
    expect(up).toMatchObject({ from: 300, to: 360, reason: { code: "healthy", targetMs: 800 } });
    expect((await reading(store, busy)).state?.learned).toBe(300);

    const idle = spec(300);
    await tick(store, idle);
    const idleRates = await run(store, idle, t, 30, FAST);
    expect(idleRates.every((rate) => rate === 300)).toBe(true);
    expect((await reading(store, idle)).hold).toBe("no_queue");
  });

  it("neither learns nor changes while paused", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const r = spec(600);
    await queue(store, r, 300);
    await store.updateSettings(r, { mode: "paused" });
    await tick(store, r);
    const rates = await run(store, r, t, 20, SLOW);
    expect(rates.every((rate) => rate === 600)).toBe(true);
    const read = await reading(store, r);
    expect(read.hold).toBe("not_admitting");
    expect(read.changes.map((c) => c.reason.code)).toEqual(["started"]);
  });

  it("takes an operator's rate as its new starting point, and starts from the rate in force when turned on", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const r = spec(600, { on: false });
    await queue(store, r, 100);
    expect((await tick(store, r)).settings.autopilot?.on).toBe(false);
    await run(store, r, t, 5, SLOW);
    expect((await tick(store, r)).settings.perMinute).toBe(600);
    expect((await reading(store, r)).state).toBeNull();

    // Past the reports of the slow origin (they would cut whatever rate is set: see the first test).
    t.advance(10_000);
    await store.updateSettings(r, { perMinute: 240 });
    const on = await store.updateSettings(r, { autopilot: true });
    expect(on).toMatchObject({ kind: "settings", settings: { perMinute: 240, autopilot: { on: true } } });
    t.advance(1_000);
    expect((await tick(store, r)).settings).toMatchObject({ perMinute: 240, autopilot: { on: true } });
    expect((await reading(store, r)).changes.at(-1)).toMatchObject({ to: 240, reason: { code: "started" } });

    t.advance(1_000);
    const set = await store.updateSettings(r, { perMinute: 420 });
    expect(set).toMatchObject({ settings: { perMinute: 420, autopilot: { on: true } } });
    const read = await reading(store, r);
    expect(read.changes.at(-1)).toMatchObject({ from: 240, to: 420, reason: { code: "operator" } });
    expect(read.state).toMatchObject({ rate: 420, lastKind: "set", changedAt: t.now() });
    t.advance(1_000);
    expect((await tick(store, r)).settings.perMinute).toBe(420);

    // Off again: the manual rate rules, whatever the reports say.
    await store.updateSettings(r, { autopilot: false, perMinute: 500 });
    const rates = await run(store, r, t, 15, SLOW);
    expect(rates.every((rate) => rate === 500)).toBe(true);
  });

  it('keeps going when "on" is sent again while on, and starts afresh after RESTART_AFTER_MS without a decision', async () => {
    const t = clock();
    const store = makeStore(t.now);
    const r = spec(300);
    await queue(store, r, 300);
    await tick(store, r);
    // Healthy with a queue: it climbs from 300.
    const rates = await run(store, r, t, 25, FAST);
    const climbed = rates.at(-1) ?? 0;
    expect(climbed).toBeGreaterThan(300);
    // A client writing back what it read ("on" again, new limits): no restart.
    await store.updateSettings(r, { autopilot: true, autopilotMaxRate: 1100 });
    t.advance(1_000);
    expect((await tick(store, r, FAST)).settings.perMinute).toBe(climbed);
    // Off for longer than RESTART_AFTER_MS, then on: it starts again from the rate in force.
    await store.updateSettings(r, { autopilot: false });
    t.advance(RESTART_AFTER_MS + 1_000);
    expect((await tick(store, r)).settings.perMinute).toBe(300);
    await store.updateSettings(r, { autopilot: true });
    t.advance(1_000);
    expect((await tick(store, r)).settings.perMinute).toBe(300);
    const read = await reading(store, r);
    expect(read.changes.at(-1)).toMatchObject({ to: 300, reason: { code: "started" } });
    // What it learned survives the restart.
    expect(read.state?.learned).toBeGreaterThanOrEqual(300);
  });

  it("never lets crossed bounds (a minimum above an operator's maximum) send more than the maximum", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const deployed = spec(600);
    await store.updateSettings(deployed, { autopilotMaxRate: 200 });
    // Redeployed with a minimum above that maximum.
    const r: RoomSpec = { ...deployed, autopilot: { ...AUTOPILOT, minRate: 400 } };
    await queue(store, r, 100);
    t.advance(1_000);
    const outcome = await tick(store, r);
    expect(outcome.settings.perMinute).toBe(200);
    expect(outcome.settings.autopilot).toMatchObject({ minRate: 200, maxRate: 200 });
  });

  it("never leaves its bounds: clamps at the start and when the bounds change, and stops at the minimum", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const r = spec(5_000, { minRate: 100, maxRate: 900 });
    await queue(store, r, 400);
    expect((await tick(store, r)).settings.perMinute).toBe(900);
    await store.updateSettings(r, { autopilotMaxRate: 700 });
    t.advance(1_000);
    expect((await tick(store, r)).settings.perMinute).toBe(700);
    expect((await reading(store, r)).changes.at(-1)).toMatchObject({
      from: 900,
      to: 700,
      reason: { code: "bounds", minRate: 100, maxRate: 700 },
    });
    const rates = await run(store, r, t, 60, SLOW);
    expect(Math.min(...rates)).toBe(100);
    expect(rates.every((rate) => rate >= 100 && rate <= 700)).toBe(true);
    expect((await reading(store, r)).hold).toBe("at_min");
  });

  it("drives the rate to the minimum when the origin only fails, and admission continues there", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const r = spec(600, { minRate: 30 });
    await queue(store, r, 1_000);
    await tick(store, r);
    // Every answer a quick 503.
    const failing = answers(30, 40, 30);
    const rates = await run(store, r, t, 60, failing);
    expect(rates.at(-1)).toBe(30);
    const read = await reading(store, r);
    const cut = read.changes.find((c) => c.reason.code === "errors_high");
    expect(cut).toMatchObject({ reason: { code: "errors_high", errorRate: 1, maxErrorRate: 0.01 } });
    expect(read.origin.errorRate).toBe(1);
    // Admission goes on at the minimum: a new line moves (faster than 30/min here: nobody claimed a
    // place, so no-show compensation speeds it up, as it would at any rate).
    await queue(store, r, 100);
    const before = await tick(store, r, failing);
    t.advance(10_000);
    const after = await tick(store, r, failing);
    expect(after.settings.perMinute).toBe(30);
    expect(after.state.frontier - before.state.frontier).toBeGreaterThanOrEqual(5);
  });

  it("ignores garbage reports: the state is unchanged and never NaN", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const r = spec(600);
    await queue(store, r, 300);
    await tick(store, r);
    const garbage: OriginSample[] = [
      { requests: Number.NaN, errors: 0, bins: emptySample().bins },
      { requests: -5, errors: 0, bins: [-5, ...emptySample().bins.slice(1)] },
      { ...SLOW, bins: [...SLOW.bins, 0] },
      { ...SLOW, errors: 21 },
      { ...SLOW, requests: 21 },
      { requests: 3e9, errors: 0, bins: [3e9, ...new Array<number>(LATENCY_BINS - 1).fill(0)] },
      { requests: 20.5, errors: 0, bins: [20.5, ...new Array<number>(LATENCY_BINS - 1).fill(0)] },
    ];
    for (const origin of garbage) {
      t.advance(1_000);
      const outcome = await store.tick(r, { origin });
      expect(outcome).toMatchObject({ kind: "state", settings: { perMinute: 600 } });
    }
    const read = await reading(store, r);
    expect(read.origin).toEqual({ requests: 0, errors: 0, errorRate: 0, p50Ms: null, p95Ms: null });
    expect(read.changes.map((c) => c.reason.code)).toEqual(["started"]);
    expect(read.state?.rate).toBe(600);
    // Nothing valid came in: with a queue and no sign of trouble it only waits out the settle time.
    expect(read.hold).toBe("settling");
    expect(JSON.stringify(read)).not.toMatch(/NaN|null,"rate"/);
  });

  it("keeps the rate in force and the origin's figures in the minute's history", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const r = spec(600, { on: false });
    await queue(store, r, 50);
    await run(store, r, t, 10, answers(10, 120, 1));
    t.set(Math.ceil(t.now() / 60_000) * 60_000 + 500);
    await tick(store, r);
    const history = await store.history(r);
    expect(history.kind).toBe("history");
    if (history.kind !== "history") return;
    const last = history.minutes.at(-1);
    expect(last).toMatchObject({
      ratePerMinute: 600,
      origin: { requests: 100, errors: 10, errorRate: 0.1 },
    });
    expect(last?.origin?.p95Ms).toBeGreaterThanOrEqual(100);
    expect(last?.origin?.p95Ms).toBeLessThanOrEqual(150);
  });

  it("reads nothing before the autopilot ever ran", async () => {
    const store = makeStore(clock().now);
    const read = await reading(store, spec(600, { on: false }));
    expect(read).toEqual({
      kind: "autopilot",
      state: null,
      learned: 0,
      hold: null,
      changes: [],
      origin: { requests: 0, errors: 0, errorRate: 0, p50Ms: null, p95Ms: null },
      // The merged bins the metrics' latency histogram is drawn from: empty, not absent.
      originSample: emptySample(),
    });
  });
});
