import { describe, expect, it } from "vitest";
import { callsPerSecond, flushFigures, outageFigures, sharedPositions } from "../../bench/lib/fleet-figures.ts";
import { emptyRecord, type VisitorRecord } from "../../bench/lib/visitors.ts";

/** A visitor's record with only what the fleet's figures read. */
function visitor(id: number, fields: Partial<VisitorRecord>): VisitorRecord {
  return { ...emptyRecord(id), arrival: 0, ...fields };
}

describe("the surge lab's fleet figures", () => {
  it("finds a position handed to two visitors, and tells tickets of different epochs apart", () => {
    const records = [
      visitor(1, { position: 2, ticket: { pos: 2 } }),
      visitor(2, { position: 2, ticket: { pos: 2 } }),
      visitor(3, { position: 3, ticket: { pos: 3 } }),
    ];
    expect(sharedPositions(records)).toMatchObject({ positions: 1, visitors: 2, epochClaim: false });
    const epochs = [
      visitor(1, { position: 2, ticket: { pos: 2, ep: 1 } }),
      visitor(2, { position: 2, ticket: { pos: 2, ep: 2 } }),
    ];
    expect(sharedPositions(epochs)).toMatchObject({ positions: 0, visitors: 0, epochClaim: true });
  });

  it("counts the visitors waiting at a flush that a later arrival overtook, at 1 s resolution", () => {
    const flushAt = 10_000;
    const records = [
      // Waiting at the flush, in at 12 s.
      visitor(1, { arrival: 1_000, firstSeenAt: 1_100, admittedAt: 12_000 }),
      // Waiting at the flush, in at 20 s: the newcomer below got in at 11 s.
      visitor(2, { arrival: 2_000, firstSeenAt: 2_100, admittedAt: 20_000 }),
      // Waiting at the flush and never let in.
      visitor(3, { arrival: 3_000, firstSeenAt: 3_100 }),
      // In before the flush: not waiting then.
      visitor(4, { arrival: 500, firstSeenAt: 600, admittedAt: 5_000 }),
      // Arrived after the flush, in at 11 s.
      visitor(5, { arrival: 10_500, admittedAt: 11_000 }),
    ];
    expect(flushFigures(records, flushAt)).toMatchObject({
      waitingAtFlush: 3,
      letInBeforeLaterArrivals: 1,
      overtakenByLaterArrivals: 2,
      laterArrivalsLetIn: 1,
    });
  });

  it("counts a newcomer who arrived within the resolution of a waiting visitor as a tie, not an overtaking", () => {
    const flushAt = 10_000;
    const records = [
      // Waiting at the flush (arrived 100 ms before it), let in at 23.47 s, a poll after...
      visitor(1, { arrival: 9_900, firstSeenAt: 9_950, admittedAt: 23_470 }),
      // ... a newcomer who arrived 150 ms after it and got in at 22.1 s: a tie at 1 s resolution.
      visitor(2, { arrival: 10_050, admittedAt: 22_100 }),
    ];
    expect(flushFigures(records, flushAt)).toMatchObject({ waitingAtFlush: 1, overtakenByLaterArrivals: 0 });
    // A newcomer who arrived a second later and got in first did overtake.
    records.push(visitor(3, { arrival: 11_000, admittedAt: 21_000 }));
    expect(flushFigures(records, flushAt)).toMatchObject({ waitingAtFlush: 1, overtakenByLaterArrivals: 1 });
  });

  it("sets the outage's straight-in admissions against rate x share x outage time", () => {
    const figures = outageFigures({
      straightInAt: [500, 1_500, 2_500, 20_900, 21_500, 30_000],
      fromMs: 1_000,
      toMs: 21_000,
      graceMs: 1_000,
      ratePerMinute: 120,
      rateShare: 0.25,
    });
    // 1,500, 2,500, 20,900 and 21,500 (within the grace); 2/s x 0.25 x 20 s = 10.
    expect(figures).toMatchObject({ fallbackAdmissions: 4, allowance: 10, ratio: 0.4, outageSeconds: 20 });
  });

  it("gives script calls per second in all and per instance from the bridge's counts", () => {
    const before = { i0: { requests: 5, scripts: 5 } };
    const after = {
      i0: { requests: 35, scripts: 35 },
      i1: { requests: 10, scripts: 10 },
      "": { requests: 9, scripts: 9 },
    };
    expect(callsPerSecond(before, after, ["i0", "i1"], 10)).toEqual({
      scriptCalls: 40,
      perSecond: 4,
      perInstancePerSecond: [3, 1],
      perInstanceMeanPerSecond: 2,
    });
  });
});
