import { describe, expect, it } from "vitest";
import { OriginMeter } from "../../worker/gate/origin-meter.ts";
import { Outbox } from "../../worker/gate/outbox.ts";
import { RoomLink } from "../../worker/gate/room-link.ts";
import {
  binOf,
  emptySample,
  encodeSample,
  LATENCY_BINS,
  MAX_SAMPLE_REQUESTS,
  mergeSamples,
  type OriginSample,
  parseSample,
  withRequest,
} from "../../worker/model/origin-signal.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import type { AdmissionStore, Report } from "../../worker/store/store.ts";
import { clock, redisClient, room, T0 } from "../support/stores.ts";

/** Answers as (latency ms, failed), of every kind: fast, slow, past the last bound, odd values. */
const ANSWERS: [number, boolean][] = [
  [0, false],
  [3, false],
  [5, false],
  [180, false],
  [180, true],
  [999, false],
  [1000, true],
  [59_999, false],
  [60_000, true],
  [3_600_000, true],
  [-5, false],
  [Number.NaN, true],
];

/** The same answers folded with the pure model's functions. */
function folded(answers: readonly [number, boolean][]): OriginSample {
  return answers.reduce((sample, [ms, error]) => withRequest(sample, ms, error), emptySample());
}

describe("OriginMeter: the origin's answers since the last report (pure)", () => {
  it("counts in place what the model's withRequest would, and hands it over once", () => {
    const meter = new OriginMeter();
    expect(meter.take()).toBeNull();
    for (const [ms, error] of ANSWERS) meter.record(ms, error);
    expect(meter.pending).toBe(ANSWERS.length);
    const sample = meter.take();
    expect(sample).toEqual(folded(ANSWERS));
    expect(sample).toMatchObject({ requests: 12, errors: 5 });
    expect(sample?.bins).toHaveLength(LATENCY_BINS);
    // What the scripts accept (the encoding they parse).
    expect(parseSample(encodeSample(sample as OriginSample))).toEqual(sample);
    // Taken: empty again, and the next sample is a new one (the one handed over does not change).
    expect(meter.take()).toBeNull();
    meter.record(20, false);
    expect(meter.take()).toEqual(withRequest(emptySample(), 20, false));
    expect(sample).toEqual(folded(ANSWERS));
  });

  it("takes back a sample a failed call did not deliver, added exactly to what came since", () => {
    const meter = new OriginMeter();
    meter.record(120, false);
    meter.record(4_500, true);
    const undelivered = meter.take() as OriginSample;
    meter.record(30, false);
    meter.giveBack(undelivered);
    const expected = mergeSamples(undelivered, withRequest(emptySample(), 30, false));
    expect(meter.take()).toEqual(expected);
    expect(expected).toMatchObject({ requests: 3, errors: 1 });
    // Into an empty meter too.
    meter.giveBack(undelivered);
    expect(meter.take()).toEqual(undelivered);
  });

  it("stops counting at MAX_SAMPLE_REQUESTS, so a sample stays one the scripts accept however long an outage lasts", () => {
    const meter = new OriginMeter();
    const bins = new Array<number>(LATENCY_BINS).fill(0);
    bins[binOf(200)] = MAX_SAMPLE_REQUESTS - 1;
    const huge: OriginSample = { requests: MAX_SAMPLE_REQUESTS - 1, errors: 7, bins };
    meter.giveBack(huge);
    meter.record(200, true);
    meter.record(200, true);
    meter.giveBack(withRequest(emptySample(), 10, false));
    const sample = meter.take() as OriginSample;
    expect(sample.requests).toBe(MAX_SAMPLE_REQUESTS);
    expect(sample.errors).toBe(8);
    expect(parseSample(encodeSample(sample))).toEqual(sample);
  });
});

describe("Outbox: the origin's answers ride with the other reports", () => {
  it("hands the sample over with the parcel only when there is one, and takes it back with a failed call's parcel", () => {
    const outbox = new Outbox();
    outbox.claim(12, "a", T0);
    // Nothing recorded: no origin in the parcel (the scripts see no sample).
    const quiet = outbox.take();
    expect(quiet).not.toHaveProperty("origin");
    outbox.originAnswered(150, false);
    outbox.originAnswered(2_000, true);
    const parcel = outbox.take();
    expect(parcel.origin).toEqual(
      folded([
        [150, false],
        [2_000, true],
      ]),
    );
    expect(outbox.take()).not.toHaveProperty("origin");
    outbox.originAnswered(40, false);
    outbox.giveBack(parcel);
    expect(outbox.take().origin).toEqual(
      folded([
        [150, false],
        [2_000, true],
        [40, false],
      ]),
    );
  });
});

/** A real store whose JOIN and TICK reports are kept; `down` switches it to a dead address (an outage). */
function recording(live: AdmissionStore) {
  const dead = new RedisStore(connectRedis({ url: "http://127.0.0.1:9", token: "none", timeoutMs: 500 }));
  const reports: { call: string; report: Report | undefined; ok: boolean }[] = [];
  let down = false;
  const store: AdmissionStore = new Proxy(live, {
    get(_target, name: keyof AdmissionStore) {
      const target = down ? dead : live;
      if (name === "tick" || name === "join") {
        return async (...args: unknown[]) => {
          const report = (name === "tick" ? args[1] : args[2]) as Report | undefined;
          const outcome = await (target[name] as (...a: unknown[]) => Promise<{ kind: string }>)(...args);
          reports.push({ call: name, report, ok: outcome.kind !== "unavailable" });
          return outcome;
        };
      }
      if (name === "joinMany") {
        // A batch of newcomers is one JOIN call, recorded as one.
        return async (...args: Parameters<AdmissionStore["joinMany"]>) => {
          const outcomes = await target.joinMany(...args);
          reports.push({ call: "join", report: args[2], ok: outcomes.every((o) => o.kind !== "unavailable") });
          return outcomes;
        };
      }
      const value = target[name];
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store, reports, setDown: (value: boolean) => (down = value) };
}

describe("RoomLink: the origin's answers reach the store with the calls the instance makes anyway (real Redis)", () => {
  it("sends the sample with the next TICK (not a JOIN), gives it back when a call fails, and makes no call of its own", async () => {
    const t = clock();
    const { store, reports, setDown } = recording(new RedisStore(redisClient(), { now: t.now }));
    const link = new RoomLink(store, room(600), t.now, 1000);
    link.originAnswered(80, false);
    link.originAnswered(80, false);
    // Recording alone calls nothing.
    expect(reports).toHaveLength(0);
    // A newcomer's JOIN stays cheap: the sample waits for the tick.
    await link.join({ visitorId: "newcomer", draw: 0 });
    expect(reports.at(-1)?.report).not.toHaveProperty("origin");
    t.advance(1000);
    await link.tickIfDue();
    expect(reports.at(-1)).toEqual({
      call: "tick",
      ok: true,
      report: expect.objectContaining({
        origin: folded([
          [80, false],
          [80, false],
        ]),
      }),
    });
    // Nothing new: the next call carries no sample.
    t.advance(1000);
    await link.tickIfDue();
    expect(reports.at(-1)?.report).not.toHaveProperty("origin");
    // An outage: the tick's sample comes back and goes with the next call, with what came since.
    link.originAnswered(12_000, true);
    setDown(true);
    t.advance(1000);
    await link.tickIfDue();
    expect(reports.at(-1)).toMatchObject({ call: "tick", ok: false, report: { origin: folded([[12_000, true]]) } });
    setDown(false);
    link.originAnswered(300, false);
    t.advance(1000);
    await link.tickIfDue();
    expect(reports.at(-1)).toMatchObject({
      call: "tick",
      ok: true,
      report: {
        origin: folded([
          [12_000, true],
          [300, false],
        ]),
      },
    });
    expect(reports.map((r) => r.call)).toEqual(["join", "tick", "tick", "tick", "tick"]);
  });
});
