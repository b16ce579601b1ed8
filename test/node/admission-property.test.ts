// Issue 6, property tests of admission against the real Redis (through the
// Upstash REST bridge, scripts and all), with a clock the test drives: random
// interleavings of newcomers' joins and instances' ticks, some of them
// concurrent, some from an instance whose clock lags, with short waits and
// long idle spells in between.
//
// Every visitor let in shows up, and their admission is reported as a claim
// right away, as worker instances do within about a second. So no-show
// compensation (which speeds the frontier up when people leave) has nothing
// to compensate, and the plain rate is the bound: by time t (from the room's
// first call), at most rate x t / 60 000 + burst people are in, and they come
// in in the order of their tickets.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rateOf } from "../../worker/model/admission.ts";
import { RedisStore } from "../../worker/store/redis.ts";
import type { ConsumedPlace, JoinOutcome, TickOutcome } from "../../worker/store/store.ts";
import { clock, newArrival, redisClient, room } from "../support/stores.ts";

/** Bounded so the file runs in seconds on a shared 2-core machine. */
const RUNS = 60;

type Call = "join" | "tick";
type Op =
  /** Calls made at the same moment by different instances, in any order Redis runs them. */
  | { readonly kind: "calls"; readonly calls: readonly Call[] }
  | { readonly kind: "wait"; readonly ms: number }
  /** A tick from an instance whose clock is behind the others'. */
  | { readonly kind: "lagging-tick"; readonly lagMs: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("calls" as const),
      calls: fc.array(fc.constantFrom<Call>("join", "join", "tick"), { minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 8_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 30_000, max: 900_000 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("lagging-tick" as const), lagMs: fc.integer({ min: 1, max: 20_000 }) }),
  },
);

/** What the test saw of one room. */
class Observer {
  /** Step at which each position was let in (index = position). */
  readonly admittedAt: number[] = [];
  readonly positions: number[] = [];
  /** Highest frontier any call has reported. */
  frontier = 0;
  lastTicket = 0;
  admitted = 0;
  /** Admissions to report as places used, each a claim (newcomers let in by JOIN count themselves). */
  pending: ConsumedPlace[] = [];

  /** Takes in one call's outcome at `step`: a JOIN that lets its newcomer in counts that claim itself. */
  see(outcome: JoinOutcome | TickOutcome, step: number, frontierBefore: number): void {
    if (outcome.kind === "unavailable") throw new Error(`store unavailable: ${outcome.reason}`);
    if (!("state" in outcome)) throw new Error(`unexpected outcome ${outcome.kind}`);
    const { frontier, lastTicket } = outcome.state;
    expect(frontier, "the frontier never moves back").toBeGreaterThanOrEqual(frontierBefore - 1e-9);
    if (outcome.kind === "admitted") {
      // Straight in only when every earlier place is in too.
      expect(outcome.position).toBeLessThanOrEqual(frontier + 1e-9);
      this.positions.push(outcome.position);
      this.admittedAt[outcome.position] = step;
    } else if (outcome.kind === "queued") {
      expect(outcome.position, "a newcomer waits only if their place is beyond the frontier").toBeGreaterThan(frontier);
      this.positions.push(outcome.position);
    }
    this.frontier = Math.max(this.frontier, frontier);
    this.lastTicket = Math.max(this.lastTicket, lastTicket);
  }

  /** Everyone whose place the frontier has reached is in (at `step`), and will be reported. */
  admitUpTo(step: number): void {
    const reached = Math.min(Math.floor(this.frontier + 1e-9), this.lastTicket);
    for (let position = this.admitted + 1; position <= reached; position++) {
      if (this.admittedAt[position] === undefined) {
        this.admittedAt[position] = step;
        this.pending.push({ position, device: null });
      }
    }
    this.admitted = Math.max(this.admitted, reached);
  }

  takePlaces(): ConsumedPlace[] {
    const places = this.pending;
    this.pending = [];
    return places;
  }
}

describe("admission properties against real Redis", () => {
  it("for random interleavings of joins and ticks: never more in than rate x t + burst, and in ticket order", async () => {
    let calls = 0;
    let longest = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3_000 }),
        fc.array(opArbitrary, { minLength: 10, maxLength: 50, size: "max" }),
        async (perMinute, ops) => {
          const t = clock();
          let lag = 0;
          const store = new RedisStore(redisClient(), { now: () => t.now() - lag });
          const spec = room(perMinute);
          const { burst } = rateOf(perMinute);
          const seen = new Observer();
          let firstCallAt: number | null = null;
          let latest = t.now();

          for (const [step, op] of ops.entries()) {
            if (op.kind === "wait") {
              t.advance(op.ms);
              continue;
            }
            firstCallAt ??= t.now();
            latest = Math.max(latest, t.now());
            const before = seen.frontier;
            if (op.kind === "lagging-tick") {
              lag = op.lagMs;
              seen.see(await store.tick(spec, { consumed: seen.takePlaces() }), step, before);
              lag = 0;
            } else {
              // One instance's tick carries the places-used report; the others have nothing to report.
              const reporter = op.calls.indexOf("tick");
              const consumed = reporter === -1 ? undefined : seen.takePlaces();
              const outcomes = await Promise.all(
                op.calls.map((call, i) =>
                  call === "join"
                    ? store.join(spec, newArrival())
                    : store.tick(spec, i === reporter && consumed ? { consumed } : undefined),
                ),
              );
              for (const outcome of outcomes) seen.see(outcome, step, before);
            }
            calls += 1;
            seen.admitUpTo(step);
            // Instances report what they let in within about a second: here, at once.
            if (seen.pending.length > 0)
              seen.see(await store.tick(spec, { consumed: seen.takePlaces() }), step, seen.frontier);
            seen.admitUpTo(step);

            const elapsed = latest - firstCallAt;
            longest = Math.max(longest, elapsed);
            const bound = (perMinute * elapsed) / 60_000 + burst;
            expect(seen.admitted, `${seen.admitted} in after ${elapsed} ms at ${perMinute}/min`).toBeLessThanOrEqual(
              bound + 1e-9,
            );
          }

          // Places are handed out once each, with no gap.
          const sorted = [...seen.positions].sort((a, b) => a - b);
          expect(sorted).toEqual(sorted.map((_, i) => i + 1));
          // Admission order is ticket order: a later place is never let in before an earlier one.
          const steps = sorted.map((position) => seen.admittedAt[position] ?? Number.POSITIVE_INFINITY);
          for (let i = 1; i < steps.length; i++) {
            expect(steps[i], `place ${i + 1} before place ${i}`).toBeGreaterThanOrEqual(steps[i - 1] ?? 0);
          }
        },
      ),
      { numRuns: RUNS },
    );
    // Not a degenerate run: many calls, and rooms that lived for minutes.
    expect(calls).toBeGreaterThan(RUNS * 5);
    expect(longest).toBeGreaterThan(300_000);
  }, 60_000);
});
