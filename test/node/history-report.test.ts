// The per-minute report of GET /history from stored rows (pure): waits from the
// counters' minutes, gave up from offers and uses, old rows, a reset, and the range check.
import { describe, expect, it } from "vitest";
import { EmbeddedRedis } from "../../tools/embedded-redis/embedded-redis.ts";
import { historyRange, historyReport } from "../../worker/admin/history.ts";
import { stateKey } from "../../worker/store/keys.ts";
import { RedisStore } from "../../worker/store/redis.ts";
import type { MinuteSnapshot } from "../../worker/store/store.ts";
import { clock, newArrival, room } from "../support/stores.ts";

const M0 = 30_000_000; // a minute number (ms / 60 000)
const at = (minute: number) => minute * 60_000;
const row = (minute: number, lastTicket: number, admitted: number, used?: number): MinuteSnapshot =>
  used === undefined
    ? { minute: M0 + minute, lastTicket, admitted }
    : { minute: M0 + minute, lastTicket, admitted, peakQueue: lastTicket - admitted, peakActive: 1, used };

describe("historyReport", () => {
  // 10 arrivals and 5 admissions a minute: the line grows, and each wait is the minutes between.
  const rows = [row(0, 0, 0, 5), row(1, 10, 5, 2), row(2, 20, 10, 0), row(3, 30, 15, 0)];
  const report = historyReport({
    rows,
    current: { lastTicket: 30, admitted: 20 },
    from: at(M0),
    to: at(M0 + 4) + 5_000,
    now: at(M0 + 4) + 5_000,
    offerMs: 60_000,
  });

  it("derives each minute's arrivals, admissions and waits from the counters alone", () => {
    expect(report.minutes.map((m) => [m.arrivals, m.admitted])).toEqual([
      [10, 5],
      [10, 5],
      [10, 5],
      [0, 5],
      [0, 0],
    ]);
    // Positions 1-5 came and went in minute 0; 6-10 (minute 0) went in minute 1; 11-15 and 16-20 (minute 1) in 2 and 3.
    expect(report.minutes.map((m) => m.waitMinutes?.max ?? null)).toEqual([0, 1, 1, 2, null]);
    expect(report.totals.waitMinutes).toEqual({ p50: 1, p95: 2, max: 2 });
  });

  it("counts an offer as given up once unused for OFFER_SECONDS, matching uses to the oldest offers", () => {
    // Minute 1 offered 5 and 2 were used: 3 lapse in minute 2; nobody used minute 2's or 3's (at minute resolution).
    expect(report.minutes.map((m) => m.gaveUp)).toEqual([0, 0, 3, 5, 5]);
    expect(report.totals).toMatchObject({ admitted: 20, used: 7, gaveUp: 13, offersOpen: 0 });
  });

  it("reads rows written before the running figures: peaks, uses and gave up unknown", () => {
    const old = historyReport({
      rows: [row(0, 0, 0), row(1, 10, 5)],
      current: { lastTicket: 10, admitted: 8 },
      from: at(M0),
      to: at(M0 + 1),
      now: at(M0 + 1),
      offerMs: 60_000,
    });
    expect(old.minutes[0]).toMatchObject({ arrivals: 10, admitted: 5, used: null, gaveUp: null, peakQueue: null });
    expect(old.totals).toMatchObject({ used: null, gaveUp: null, peakQueue: null });
  });

  const inEpoch = (r: MinuteSnapshot, epoch: number, base: number): MinuteSnapshot => ({ ...r, epoch, base });
  const restarted = (rows: MinuteSnapshot[], current: { lastTicket: number; admitted: number }) =>
    historyReport({ rows, current, from: at(M0), to: at(M0 + 2), now: at(M0 + 2) + 30_000, offerMs: 300_000 });

  it("starts over from 0 when the room's state was lost and created anew (a new epoch, base 0)", () => {
    const reset = restarted([inEpoch(row(0, 50, 40, 0), 1, 0), inEpoch(row(1, 3, 2, 0), 2, 0)], {
      lastTicket: 3,
      admitted: 2,
    });
    expect(reset.minutes.map((m) => [m.arrivals, m.admitted])).toEqual([
      [3, 2],
      [0, 0],
      [0, 0],
    ]);
  });

  it("counts a restored epoch from its base: a restorer that missed tickets is no burst of arrivals", () => {
    // 10 arrivals a minute; at minute 2 the state key was lost (history kept) and restored from an
    // instance that missed the last 5 tickets: minute 2 opens at 115 (the new epoch's base), not 120.
    const rows = [
      inEpoch(row(0, 100, 90, 10), 1, 0),
      inEpoch(row(1, 120, 100, 10), 1, 0),
      inEpoch(row(2, 115, 110, 10), 2, 115),
    ];
    const report = restarted(rows, { lastTicket: 125, admitted: 115 });
    // Minute 1's arrivals after its row were lost with the state: nothing of them is known.
    expect(report.minutes.map((m) => [m.arrivals, m.admitted])).toEqual([
      [20, 10],
      [0, 10],
      [10, 5],
    ]);
    // Restored mid-minute and past the old last ticket: the epoch tells it, not a drop.
    const later = restarted(
      [inEpoch(row(0, 100, 90, 10), 1, 0), inEpoch(row(1, 120, 100, 10), 1, 0), inEpoch(row(2, 125, 112, 10), 2, 115)],
      { lastTicket: 130, admitted: 118 },
    );
    expect(later.minutes[1]).toMatchObject({ arrivals: 10, admitted: 12 });
    // Restored at or past the minute's opening (the restorer knew all it had seen): the count goes on.
    const whole = restarted(
      [inEpoch(row(0, 100, 90, 10), 1, 0), inEpoch(row(1, 120, 100, 10), 1, 0), inEpoch(row(2, 128, 110, 10), 2, 122)],
      { lastTicket: 130, admitted: 118 },
    );
    expect(whole.minutes.map((m) => [m.arrivals, m.admitted])).toEqual([
      [20, 10],
      [8, 10],
      [2, 8],
    ]);
  });

  it("counts 0 arrivals in a minute whose last ticket dropped in rows without the epoch (from where is unknown)", () => {
    const reset = restarted([row(0, 100, 90, 10), row(1, 120, 100, 10), row(2, 115, 110, 10)], {
      lastTicket: 125,
      admitted: 115,
    });
    expect(reset.minutes.map((m) => [m.arrivals, m.admitted])).toEqual([
      [20, 10],
      [0, 0],
      [10, 5],
    ]);
  });
});

describe("historyReport over the rows the scripts write", () => {
  it("reads a restore that kept the history (only the state key lost) as no burst of arrivals", async () => {
    const t = clock(at(M0));
    const engine = new EmbeddedRedis({ now: t.now });
    const store = new RedisStore(engine.scriptClient(), { now: t.now });
    const spec = room(60);
    for (let i = 0; i < 20; i++) await store.join(spec, newArrival());
    t.advance(60_000);
    // The state key goes; an instance that saw ticket 15 of the first epoch (of 20) restores it.
    engine.call(["DEL", stateKey(spec.room)]);
    const witness = { instance: "", epoch: at(M0), frontier: 1, lastTicket: 15 };
    for (let i = 0; i < 3; i++) await store.join(spec, newArrival(), { witness });
    t.advance(60_000);
    await store.tick(spec);
    const read = await store.history(spec, { from: M0, to: M0 + 2 });
    if (read.kind !== "history") throw new Error("store unavailable");
    expect(read.minutes.map((m) => [m.lastTicket, m.epoch, m.base])).toEqual([
      [0, at(M0), 0],
      [15, at(M0 + 1), 15],
      [18, at(M0 + 1), 15],
    ]);
    const report = historyReport({
      rows: read.minutes,
      current: read.current,
      now: read.now,
      from: at(M0),
      to: at(M0 + 2),
      offerMs: 300_000,
    });
    // Minute 0: the 15 places the restorer knew of (the other 5 were lost with the state).
    expect(report.minutes.map((m) => m.arrivals)).toEqual([15, 3, 0]);
  });
});

describe("historyRange", () => {
  const now = Date.UTC(2026, 11, 1, 20);
  it("defaults to the last two hours, and takes ms or ISO 8601", () => {
    expect(historyRange({}, now)).toEqual({ ok: true, from: now - 7_200_000, to: now });
    expect(historyRange({ from: "2026-12-01T18:30:00Z", to: String(now) }, now)).toEqual({
      ok: true,
      from: Date.UTC(2026, 11, 1, 18, 30),
      to: now,
    });
  });
  it("names the parameter of a range it cannot read", () => {
    expect(historyRange({ from: "last tuesday" }, now)).toMatchObject({ ok: false, parameter: "from" });
    expect(historyRange({ to: "1 May 2026" }, now)).toMatchObject({ ok: false, parameter: "to" });
    expect(historyRange({ from: "2026-02-29T00:00:00Z", to: "2026-03-01T00:00:00Z" }, now)).toMatchObject({
      ok: false,
      parameter: "from",
    });
    expect(historyRange({ from: String(now + 1) }, now)).toMatchObject({ ok: false, message: "from is after to." });
    expect(historyRange({ from: String(now - 48 * 3_600_000 - 1) }, now)).toMatchObject({
      ok: false,
      parameter: "from",
    });
    expect(historyRange({ from: String(now - 48 * 3_600_000) }, now)).toMatchObject({ ok: true });
  });
});
