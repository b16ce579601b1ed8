// The per-minute report of GET /history from stored rows (pure): waits from the
// counters' minutes, gave up from offers and uses, old rows, a reset, and the range check.
import { describe, expect, it } from "vitest";
import { historyRange, historyReport } from "../../worker/admin/history.ts";
import type { MinuteSnapshot } from "../../worker/store/store.ts";

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

  it("starts over when the room's counters did (its state was lost)", () => {
    const reset = historyReport({
      rows: [row(0, 50, 40, 0), row(1, 3, 2, 0)],
      current: { lastTicket: 3, admitted: 2 },
      from: at(M0),
      to: at(M0 + 1),
      now: at(M0 + 1),
      offerMs: 60_000,
    });
    expect(reset.minutes.map((m) => [m.arrivals, m.admitted])).toEqual([
      [3, 2],
      [0, 0],
    ]);
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
