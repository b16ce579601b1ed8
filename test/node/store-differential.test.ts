// Differential property test (issue 12): the embedded store (the Lua scripts
// on tools/embedded-redis, what `npm start` and the contract suites use) and
// the Redis store (the same scripts on the suite's real redis-server, through
// the REST bridge and @upstash/redis) get the same random sequences of
// operations at the same clock, and must answer every one of them alike,
// field by field: joins (per-client limits, pre-queue arrivals, reports,
// stamps spent, copied and forgotten), alone and in batches,
// ticks with reports (places used, reported again as copies and beyond the
// last ticket, with devices; seen subjects, releases, releasesSince,
// consumedSince) and the feeds they read back, origin reports (fast, slow,
// failing, garbage) with the autopilot on and off, its settings and events
// turning it on and off, and its reading, claims
// of pre-queue entries, settings changes, events added and removed as the
// admin API writes them (pre-queue, shuffle, lottery draws), history and
// event reads, and clock steps small and large, to and across event
// boundaries, and back (an instance whose clock lags), instances that
// count themselves (the fleet) and say what they saw, and the room's data
// lost (every key of the room deleted, as FLUSHALL would) and restored.
//
// Keys expire by the engine's clock on one side and by real time on the
// other, so rooms live long (a week) and lagging calls stay within a minute:
// no key can expire on one side only.
import { Redis } from "@upstash/redis";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { EmbeddedRedis } from "../../tools/embedded-redis/embedded-redis.ts";
import { checkNewEvent } from "../../worker/admin/events.ts";
import { MODES, type Mode } from "../../worker/model/admission.ts";
import { binOf, emptySample, type OriginSample } from "../../worker/model/origin-signal.ts";
import type { ScheduledEvent } from "../../worker/model/schedule.ts";
import { clientsKey, eventSeqKey, roomKeys, stampsKey } from "../../worker/store/keys.ts";
import { RedisStore } from "../../worker/store/redis.ts";
import type {
  AdmissionStore,
  AutopilotOutcome,
  EventsOutcome,
  HistoryOutcome,
  JoinOutcome,
  Release,
  Report,
  RoomSpec,
  SettingsPatch,
  TickOutcome,
  Witness,
} from "../../worker/store/store.ts";
import { clock, redisClient, room } from "../support/stores.ts";

/** Bounded so the file runs in well under a minute on a shared 2-core machine. */
const RUNS = 150;
const WEEK_MS = 7 * 86_400_000;
/** Pass subjects instances report; the last one is not a subject the store accepts, and is left out. */
const SUBJECTS = ["s1", "s2", "s3", "s4", "s5", "not,a subject"];
const CLIENTS = [null, "c1", "c2", "c3"];
/** Stamps newcomers spend (cookie check, Turnstile proof): a few ids, so copies come back; the last is not an id the store accepts, and is left out. */
const STAMPS = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), "not,an id"];

/** Instance ids; the last is not one the store accepts, and is not counted. */
const INSTANCES = ["a1b2c3d4e5f6", "0123456789ab", "ffffffffffff", "not,an id"];

/** Device hints of places used; the last is not hex, and is left out (the place is reported without it). */
const DEVICES = [null, "ab12cd34", "0f", "not hex"];

/** `n` answers of `ms` each, `errors` of them failed. */
function answers(n: number, ms: number, errors: number): OriginSample {
  const bins = emptySample().bins.slice();
  bins[binOf(ms)] = n;
  return { requests: n, errors, bins };
}

/** Origin reports: none, fast, slow, failing, and garbage the scripts ignore (NaN, negative, an extra bin). */
const ORIGINS: (OriginSample | null)[] = [
  null,
  answers(20, 40, 0),
  answers(20, 2_000, 0),
  answers(12, 40, 12),
  { requests: Number.NaN, errors: 0, bins: emptySample().bins },
  { requests: -3, errors: 0, bins: [-3, ...emptySample().bins.slice(1)] },
  { ...answers(20, 40, 0), bins: [...answers(20, 40, 0).bins, 0] },
];

interface ReportSpec {
  /** Places used: positions counted back from the last ticket (often the same again: copies), and their device. */
  readonly consumed: readonly (readonly [back: number, device: number])[];
  readonly seen: readonly number[];
  readonly released: readonly (readonly [subject: number, agoMs: number])[];
  /** Read releases from the last cursor returned (else from 0). */
  readonly fromCursor: boolean;
  /** Read the places used from the last cursor returned (else from 0). */
  readonly consumedFromCursor: boolean;
  /** The origin's answers: one of {@link ORIGINS}. */
  readonly origin: number;
  /**
   * The calling instance (one of {@link INSTANCES}) and what it says it saw: nothing, what the run
   * saw, more than the store has (a replica that lagged), or another epoch's figures; null: no witness.
   */
  readonly witness: readonly [instance: number, known: "none" | "seen" | "ahead" | "other"] | null;
}

interface EventSpec {
  readonly startsInMs: number;
  readonly prequeueMs: number | null;
  readonly lastsMs: number | null;
  readonly perMinute: number | null;
  readonly mode: Mode | null;
  readonly shuffle: boolean;
  readonly autopilot: boolean | null;
}

type Op =
  | {
      readonly kind: "join";
      readonly client: number;
      readonly draw: number;
      readonly report: ReportSpec | null;
      /** Stamps spent on the place: which, and when each expires (ms from now; some soon, so they are forgotten). */
      readonly stamps: readonly (readonly [stamp: number, expiresInMs: number])[];
    }
  /** Newcomers an instance collected while its JOIN was in flight, in one call (gate/join-batcher.ts). */
  | {
      readonly kind: "join-many";
      readonly arrivals: readonly {
        readonly client: number;
        readonly draw: number;
        readonly stamps: readonly (readonly [stamp: number, expiresInMs: number])[];
      }[];
      readonly report: ReportSpec | null;
    }
  | { readonly kind: "tick"; readonly report: ReportSpec | null }
  /** A call from an instance whose clock is behind. */
  | { readonly kind: "lagging"; readonly lagMs: number; readonly join: boolean; readonly draw: number }
  | { readonly kind: "claim"; readonly pick: number; readonly known: boolean }
  | { readonly kind: "settings"; readonly patch: SettingsPatch }
  | { readonly kind: "add-event"; readonly event: EventSpec }
  | { readonly kind: "remove-event"; readonly pick: number }
  /** A write against a version read before the last change: a conflict on both. */
  | { readonly kind: "stale-write" }
  | { readonly kind: "read"; readonly what: "events" | "history" | "autopilot" }
  | { readonly kind: "wait"; readonly ms: number }
  /** To an event's pre-queue opening, start or end, give or take a few ms. */
  | { readonly kind: "to-boundary"; readonly pick: number; readonly offsetMs: number }
  /** The room's data lost: every key of the room deleted on both (as FLUSHALL would). */
  | { readonly kind: "flush" };

const orNull = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null });
const report: fc.Arbitrary<ReportSpec> = fc.record({
  consumed: fc.array(fc.tuple(fc.integer({ min: -2, max: 30 }), fc.nat(DEVICES.length - 1)), { maxLength: 6 }),
  seen: fc.array(fc.nat(SUBJECTS.length - 1), { maxLength: 4 }),
  released: fc.array(fc.tuple(fc.nat(SUBJECTS.length - 1), fc.integer({ min: 0, max: 120_000 })), { maxLength: 2 }),
  fromCursor: fc.boolean(),
  consumedFromCursor: fc.boolean(),
  origin: fc.nat(ORIGINS.length - 1),
  witness: orNull(
    fc.tuple(
      fc.nat(INSTANCES.length - 1),
      fc.constantFrom("none" as const, "seen" as const, "ahead" as const, "other" as const),
    ),
  ),
});

const mode = fc.constantFrom<Mode>(...MODES);
const rate = fc.constantFrom(1, 6, 45, 60, 90, 600, 6000);

const patch: fc.Arbitrary<SettingsPatch> = fc.record(
  {
    perMinute: orNull(rate),
    mode: orNull(mode),
    sessionMinutes: orNull(fc.constantFrom(1, 2.5, 10)),
    maxActive: orNull(fc.constantFrom(0, 1, 5, 20)),
    autopilot: orNull(fc.boolean()),
    autopilotMinRate: orNull(fc.constantFrom(1, 30, 100)),
    autopilotMaxRate: orNull(fc.constantFrom(200, 6000)),
    originTargetP95Ms: orNull(fc.constantFrom(100, 800)),
    originMaxErrorRate: orNull(fc.constantFrom(0.01, 0.3)),
    originTimeoutMs: orNull(fc.constantFrom(5_000)),
  },
  { requiredKeys: [] },
);

const event: fc.Arbitrary<EventSpec> = fc.record({
  // Often within the pre-queue's length, so the pre-queue opens at once (as the admin API opens one already due).
  startsInMs: fc.integer({ min: 1, max: 5 * 60_000 }),
  prequeueMs: orNull(fc.integer({ min: 1, max: 10 * 60_000 })),
  lastsMs: orNull(fc.integer({ min: 1, max: 20 * 60_000 })),
  perMinute: orNull(rate),
  mode: orNull(mode),
  shuffle: fc.boolean(),
  autopilot: orNull(fc.boolean()),
});

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("join" as const),
      client: fc.nat(CLIENTS.length - 1),
      // The lottery number the gate draws: one value, given to both stores.
      draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      report: orNull(report),
      stamps: fc.array(fc.tuple(fc.nat(STAMPS.length - 1), fc.integer({ min: -90_000, max: 600_000 })), {
        maxLength: 2,
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("join-many" as const),
      arrivals: fc.array(
        fc.record({
          client: fc.nat(CLIENTS.length - 1),
          draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          stamps: fc.array(fc.tuple(fc.nat(STAMPS.length - 1), fc.integer({ min: -90_000, max: 600_000 })), {
            maxLength: 2,
          }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      report: orNull(report),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("tick" as const), report: orNull(report) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("lagging" as const),
      lagMs: fc.integer({ min: 1, max: 30_000 }),
      join: fc.boolean(),
      draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      pick: fc.nat(),
      known: fc.constantFrom(true, true, true, false),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("settings" as const), patch }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("add-event" as const), event }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove-event" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "stale-write" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("read" as const),
      what: fc.constantFrom("events" as const, "history", "autopilot"),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 5_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 30_000, max: 2 * 3_600_000 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("to-boundary" as const),
      pick: fc.nat(),
      offsetMs: fc.constantFrom(-1_000, -1, 0, 1, 2, 1_000),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
);

const spec: fc.Arbitrary<Omit<RoomSpec, "room">> = fc
  .record({
    defaultPerMinute: rate,
    defaultMode: fc.constantFrom<Mode>("auto", "auto", "queue-all", "paused"),
    // QUEUEING: reject turns away whoever would queue (JOIN outcome 7).
    queueing: fc.constantFrom("fifo" as const, "fifo" as const, "reject" as const),
    stateTtlMs: fc.constant(WEEK_MS),
    newTicketsPerClientPerMinute: fc.constantFrom(0, 0, 2, 5),
    maxActive: fc.constantFrom(0, 0, 3, 20),
    sessionMs: fc.constantFrom(60_000, 600_000),
    autopilot: fc.option(
      fc.record({
        on: fc.boolean(),
        minRate: fc.constantFrom(0, 6, 60),
        maxRate: fc.constantFrom(600, 6000),
        targetP95Ms: fc.constantFrom(100, 800),
        maxErrorRate: fc.constantFrom(0.01, 0.2),
        timeoutMs: fc.constant(10_000),
      }),
      { nil: null },
    ),
  })
  .map(({ autopilot, ...rest }) => (autopilot === null ? rest : { ...rest, autopilot }));

/** The state one run keeps of what both stores said (they agree, or the run has failed). */
class Run {
  lastTicket = 0;
  /** The newest epoch seen, and the highest frontier seen in it. */
  epoch = 0;
  frontier = 0;
  /** Replies that said the state was restored. */
  restored = 0;
  cursor = 0;
  consumedCursor = 0;
  /** Places used that ticks read back from the feed, over the run (both stores read the same). */
  placesRead = 0;
  /** Places reported that ticks said were used before (copies), over the run. */
  placesTaken = 0;
  /** Pre-queued visitors: their event and id. */
  readonly prequeued: { event: number; visitorId: string }[] = [];
  /** The events as last written, and the version of the list before the last write. */
  events: readonly ScheduledEvent[] = [];
  staleVersion: string | null = null;
  joins = 0;

  report(spec: ReportSpec | null, now: number): Report | undefined {
    if (spec === null) return undefined;
    const consumed = spec.consumed.map(([back, device]) => ({
      position: this.lastTicket - back,
      device: DEVICES[device] ?? null,
    }));
    const released: Release[] = spec.released.map(([subject, ago]) => ({
      subject: SUBJECTS[subject] ?? "",
      at: now - ago,
    }));
    return {
      consumed,
      seen: spec.seen.map((i) => SUBJECTS[i] ?? ""),
      released,
      releasesSince: spec.fromCursor ? this.cursor : 0,
      consumedSince: spec.consumedFromCursor ? this.consumedCursor : 0,
      origin: ORIGINS[spec.origin] ?? null,
      ...(spec.witness === null ? {} : { witness: this.witness(spec.witness) }),
    };
  }

  witness([instance, known]: NonNullable<ReportSpec["witness"]>): Witness {
    const id = INSTANCES[instance] ?? "";
    const seen = { epoch: this.epoch, frontier: this.frontier, lastTicket: this.lastTicket };
    if (known === "none") return { instance: id, epoch: 0, frontier: 0, lastTicket: 0 };
    if (known === "seen") return { instance: id, ...seen };
    if (known === "ahead")
      return { instance: id, ...seen, frontier: seen.frontier + 2.5, lastTicket: seen.lastTicket + 3 };
    return { instance: id, epoch: seen.epoch + 7, frontier: 1.5, lastTicket: seen.lastTicket + 40 };
  }

  /** Takes in what a call answered (both stores answered it alike). */
  see(outcome: unknown): void {
    const o = outcome as {
      kind?: string;
      state?: { lastTicket?: number; frontier?: number; epoch?: number; restoredAt?: number };
      releases?: { cursor?: number };
      consumed?: { cursor?: number; places?: readonly unknown[] };
      taken?: readonly unknown[];
    };
    if (o.state?.epoch !== undefined && o.state.epoch !== this.epoch) {
      this.epoch = o.state.epoch;
      this.frontier = 0;
    }
    if (o.state?.frontier !== undefined) this.frontier = Math.max(this.frontier, o.state.frontier);
    if (o.state?.restoredAt) this.restored += 1;
    if (o.state?.lastTicket !== undefined) this.lastTicket = Math.max(this.lastTicket, o.state.lastTicket);
    if (o.releases?.cursor !== undefined) this.cursor = o.releases.cursor;
    if (o.consumed?.cursor !== undefined) this.consumedCursor = o.consumed.cursor;
    this.placesRead += o.consumed?.places?.length ?? 0;
    this.placesTaken += o.taken?.length ?? 0;
  }

  boundaries(): number[] {
    return this.events.flatMap((e) => [e.prequeueFrom, e.startsAt, e.endsAt]).filter((t): t is number => t !== null);
  }
}

describe("the embedded store and the Redis store, differential", () => {
  it("answer the same random sequences of operations alike, step by step", async () => {
    let steps = 0;
    let crossed = 0;
    let placesRead = 0;
    let placesTaken = 0;
    let flushes = 0;
    let restored = 0;
    /** How often each call answered each kind ("join:limited", "claim:placed" ...). */
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(spec, fc.array(op, { minLength: 10, maxLength: 80 }), async (roomSpec, ops) => {
        const t = clock();
        const engine = new EmbeddedRedis({ now: t.now });
        const embedded = new RedisStore(engine.scriptClient(), { now: t.now });
        const redis = new RedisStore(redisClient(), { now: t.now });
        const r: RoomSpec = { ...roomSpec, room: room(60).room };
        const run = new Run();
        const log: string[] = [];

        /** The same call on both stores at the same clock; they must answer alike. */
        const both = async <T>(label: string, call: (store: AdmissionStore) => Promise<T>): Promise<T> => {
          const fromEmbedded = await call(embedded);
          const fromRedis = await call(redis);
          log.push(`${label} @${t.now()}`);
          expect(fromEmbedded, `step ${log.length}: ${log.join(" | ")}`).toEqual(fromRedis);
          expect((fromRedis as { kind?: string }).kind, `${label}: the store must answer`).not.toBe("unavailable");
          run.see(fromRedis);
          steps += 1;
          const kind = `${label.split(" ").at(-1)}:${(fromRedis as { kind?: string }).kind}`;
          seen.set(kind, (seen.get(kind) ?? 0) + 1);
          return fromRedis;
        };

        const writeEvents = async (label: string, next: readonly ScheduledEvent[]) => {
          const read = await both("events", (s) => s.events(r));
          if (read.kind !== "events") return;
          const written = await both(label, (s) => s.writeEvents(r, read.version, next));
          if (written.kind === "written") {
            run.staleVersion = read.version;
            run.events = next.map((e) => (e.seq === 0 ? { ...e, seq: written.seq } : e));
          }
        };

        for (const o of ops) {
          const now = t.now();
          switch (o.kind) {
            case "join": {
              run.joins += 1;
              const visitorId = `v${run.joins}`;
              const stamps = o.stamps.map(([i, ms]) => ({ id: STAMPS[i] ?? "", expiresAt: now + ms }));
              const arrival = { visitorId, draw: o.draw, client: CLIENTS[o.client] ?? null, stamps };
              const outcome = await both("join", (s) => s.join(r, arrival, run.report(o.report, now)));
              if (outcome.kind === "prequeued") run.prequeued.push({ event: outcome.event, visitorId });
              break;
            }
            case "join-many": {
              const arrivals = o.arrivals.map((a) => {
                run.joins += 1;
                const stamps = a.stamps.map(([i, ms]) => ({ id: STAMPS[i] ?? "", expiresAt: now + ms }));
                return { visitorId: `v${run.joins}`, draw: a.draw, client: CLIENTS[a.client] ?? null, stamps };
              });
              const outcomes = await both("join-many", (s) => s.joinMany(r, arrivals, run.report(o.report, now)));
              expect(outcomes).toHaveLength(arrivals.length);
              outcomes.forEach((outcome, i) => {
                expect(outcome.kind, "join-many: the store must answer").not.toBe("unavailable");
                run.see(outcome);
                seen.set(`join-many:${outcome.kind}`, (seen.get(`join-many:${outcome.kind}`) ?? 0) + 1);
                const visitorId = arrivals[i]?.visitorId ?? "";
                if (outcome.kind === "prequeued") run.prequeued.push({ event: outcome.event, visitorId });
              });
              break;
            }
            case "tick":
              await both("tick", (s) => s.tick(r, run.report(o.report, now)));
              break;
            case "lagging": {
              t.set(now - o.lagMs);
              run.joins += 1;
              const arrival = { visitorId: `v${run.joins}`, draw: o.draw };
              await both<JoinOutcome | TickOutcome>(`lagging ${o.join ? "join" : "tick"}`, (s) =>
                o.join ? s.join(r, arrival) : s.tick(r),
              );
              t.set(now);
              break;
            }
            case "claim": {
              const entry = run.prequeued[o.pick % Math.max(1, run.prequeued.length)];
              const event = entry?.event ?? 1;
              await both("claim", (s) => s.claim(r, event, o.known && entry ? entry.visitorId : "nobody"));
              break;
            }
            case "settings":
              await both("settings", (s) => s.updateSettings(r, o.patch));
              break;
            case "add-event": {
              const e = o.event;
              const startsAt = now + e.startsInMs;
              const body = {
                startsAt,
                ...(e.prequeueMs === null ? {} : { prequeueFrom: startsAt - e.prequeueMs, shuffleAtStart: e.shuffle }),
                ...(e.lastsMs === null ? {} : { endsAt: startsAt + e.lastsMs }),
                ...(e.perMinute === null ? {} : { ratePerMinute: e.perMinute }),
                ...(e.mode === null && e.prequeueMs === null && e.perMinute === null ? { mode: "queue-all" } : {}),
                ...(e.mode === null ? {} : { mode: e.mode }),
                ...(e.autopilot === null ? {} : { autopilot: e.autopilot }),
              };
              // As the admin API does: checked against the schedule as read, then written at its version.
              const check = checkNewEvent(body, run.events, now, `ev_${run.joins}_${log.length}`);
              if (check.ok) await writeEvents("add event", check.next);
              break;
            }
            case "remove-event": {
              const gone = run.events[o.pick % Math.max(1, run.events.length)];
              if (gone)
                await writeEvents(
                  "remove event",
                  run.events.filter((e) => e.id !== gone.id),
                );
              break;
            }
            case "stale-write":
              if (run.staleVersion !== null) {
                const stale = run.staleVersion;
                await both("stale write", (s) => s.writeEvents(r, stale, []));
              }
              break;
            case "read":
              await both<EventsOutcome | HistoryOutcome | AutopilotOutcome>(o.what, (s) =>
                o.what === "events" ? s.events(r) : o.what === "history" ? s.history(r) : s.autopilot(r),
              );
              break;
            case "wait":
              t.advance(o.ms);
              break;
            case "flush": {
              const keys = [
                ...roomKeys(r.room),
                stampsKey(r.room),
                eventSeqKey(r.room),
                clientsKey(r.room, Math.floor(now / 60_000)),
              ];
              engine.call(["DEL", ...keys]);
              await new Redis({ url: inject("bridgeUrl"), token: inject("bridgeToken") }).del(...keys);
              log.push(`flush @${now}`);
              run.events = [];
              run.prequeued.length = 0;
              flushes += 1;
              break;
            }
            case "to-boundary": {
              const ahead = run.boundaries().filter((b) => b + o.offsetMs > now);
              const target = ahead[o.pick % Math.max(1, ahead.length)];
              if (target !== undefined) {
                t.set(target + o.offsetMs);
                crossed += 1;
                await both("tick at boundary", (s) => s.tick(r));
              }
              break;
            }
          }
        }
        // The end state, read back from both.
        await both("final tick", (s) => s.tick(r, { releasesSince: 0, consumedSince: 0 }));
        await both("final events", (s) => s.events(r));
        await both("final history", (s) => s.history(r));
        placesRead += run.placesRead;
        placesTaken += run.placesTaken;
        restored += run.restored;
      }),
      { numRuns: RUNS },
    );
    // Not a degenerate run: many steps, event boundaries reached, and every kind of answer given.
    expect(steps).toBeGreaterThan(RUNS * 10);
    expect(crossed).toBeGreaterThan(RUNS / 10);
    expect(placesRead, "places used read back from the feed").toBeGreaterThan(RUNS);
    expect(placesTaken, "places reported again, said used before").toBeGreaterThan(0);
    expect(flushes, "rooms that lost their data").toBeGreaterThan(RUNS / 10);
    expect(restored, "replies from a restored state").toBeGreaterThan(0);
    const kinds = [
      ...["join:admitted", "join:queued", "join:closed", "join:prequeued", "join:limited", "join:stamp_used"],
      ...["join-many:admitted", "join-many:queued", "join-many:prequeued", "join-many:limited"],
      "join:rejected",
      ...[
        "claim:placed",
        "claim:not_started",
        "claim:unknown",
        "event:written",
        "write:conflict",
        "history:history",
        "autopilot:autopilot",
      ],
    ];
    for (const kind of kinds) expect(seen.get(kind) ?? 0, `${kind} in ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
  }, 120_000);
});
