import { describe, expect, it } from "vitest";
import type { ScheduledEvent } from "../../worker/model/schedule.ts";
import type { AdmissionStore, RoomSpec } from "../../worker/store/store.ts";
import { clock, newArrival, room, stores, T0 } from "../support/stores.ts";

const MINUTE = 60_000;

/** Adds one event to a room's schedule, as the admin API does; returns its number. */
async function schedule(store: AdmissionStore, spec: RoomSpec, event: Partial<ScheduledEvent>): Promise<number> {
  const read = await store.events(spec);
  if (read.kind !== "events") throw new Error(`events: ${read.kind}`);
  const added: ScheduledEvent = {
    id: `ev_${read.events.length + 1}`,
    seq: 0,
    startsAt: T0 + MINUTE,
    endsAt: null,
    prequeueFrom: null,
    perMinute: null,
    mode: null,
    shuffleAtStart: false,
    ...event,
  };
  const next = [...read.events, added].sort((a, b) => a.startsAt - b.startsAt);
  const written = await store.writeEvents(spec, read.version, next);
  if (written.kind !== "written") throw new Error(`writeEvents: ${written.kind}`);
  return written.seq;
}

/** Joins `count` newcomers; returns their ids and outcomes. */
async function joinMany(store: AdmissionStore, spec: RoomSpec, count: number, prefix: string) {
  const joined = [];
  for (let i = 0; i < count; i++) {
    const visitorId = `${prefix}-${i}`;
    joined.push({ visitorId, outcome: await store.join(spec, { visitorId, draw: Math.random() }) });
  }
  return joined;
}

async function frontierOf(store: AdmissionStore, spec: RoomSpec): Promise<number> {
  const tick = await store.tick(spec);
  if (tick.kind !== "state") throw new Error(`tick: ${tick.kind}`);
  return tick.state.frontier;
}

describe.each(stores)("scheduled events: %s", (_name, makeStore) => {
  it("pre-queues newcomers, then places them all ahead of anyone arriving after the start", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    const seq = await schedule(store, spec, {
      prequeueFrom: T0 + MINUTE,
      startsAt: T0 + 3 * MINUTE,
      shuffleAtStart: true,
    });
    // Before the pre-queue opens: an ordinary queue (3 places, the first straight in).
    const early = await joinMany(store, spec, 3, "early");
    expect(early.map((j) => j.outcome.kind)).toEqual(["admitted", "queued", "queued"]);

    t.set(T0 + MINUTE + 1);
    const pre = await joinMany(store, spec, 20, "pre");
    for (const { outcome } of pre) {
      expect(outcome).toMatchObject({ kind: "prequeued", event: seq, startsAt: T0 + 3 * MINUTE });
    }
    expect(await store.claim(spec, seq, "pre-0")).toMatchObject({ kind: "not_started" });
    const listed = await store.events(spec);
    expect(listed).toMatchObject({ kind: "events", events: [{ seq, prequeued: 20, placed: false }] });

    // After the start, a newcomer joins before any pre-queued visitor has come back.
    t.set(T0 + 3 * MINUTE + 5);
    const late = await store.join(spec, { visitorId: "late", draw: 0 });
    expect(late).toMatchObject({ kind: "queued", position: 3 + 20 + 1 });

    const positions = [];
    for (const { visitorId } of pre) {
      const claimed = await store.claim(spec, seq, visitorId);
      expect(claimed).toMatchObject({ kind: "placed", base: 3 });
      if (claimed.kind === "placed") positions.push(claimed.position);
    }
    // Each pre-queued visitor holds exactly one of the places 4..23.
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 4 + i));
    // Claiming again gives the same place (a reload must not reshuffle).
    expect(await store.claim(spec, seq, "pre-7")).toMatchObject({ position: positions[7] });
    expect(await store.claim(spec, seq, "nobody")).toMatchObject({ kind: "unknown" });
    expect(await store.events(spec)).toMatchObject({ events: [{ seq, placed: true }] });
  });

  it("places the pre-queue at the start even when the first call after it is a tick", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    await store.join(spec, newArrival());
    const seq = await schedule(store, spec, { prequeueFrom: T0 + 1, startsAt: T0 + MINUTE });
    t.set(T0 + 10);
    await joinMany(store, spec, 5, "pre");
    t.set(T0 + 5 * MINUTE);
    await store.tick(spec);
    expect(await store.join(spec, { visitorId: "late", draw: 0 })).toMatchObject({ position: 1 + 5 + 1 });
    // Without shuffle, arrival order.
    for (let i = 0; i < 5; i++) {
      expect(await store.claim(spec, seq, `pre-${i}`)).toMatchObject({ kind: "placed", position: 2 + i });
    }
  });

  it("applies a scheduled rate for the event's duration, with no one at the keyboard", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    await joinMany(store, spec, 2000, "crowd");
    await schedule(store, spec, { startsAt: T0 + MINUTE, endsAt: T0 + 2 * MINUTE, perMinute: 600 });
    // One call long after: 60 in the first minute, 600 in the event's, 60 after (1 was in at the start).
    t.set(T0 + 3 * MINUTE);
    expect(await frontierOf(store, spec)).toBeCloseTo(1 + 60 + 600 + 60, 6);
    const tick = await store.tick(spec);
    expect(tick).toMatchObject({ settings: { perMinute: 60 } });
  }, 30_000);

  it("lets an operator's change made after the start win over the event, and restores the live setting at the end", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    await store.updateSettings(spec, { perMinute: 120 });
    await schedule(store, spec, { startsAt: T0 + MINUTE, endsAt: T0 + 10 * MINUTE, perMinute: 600, mode: "queue-all" });
    t.set(T0 + 2 * MINUTE);
    expect(await store.tick(spec)).toMatchObject({ settings: { perMinute: 600, mode: "queue-all" } });
    await store.updateSettings(spec, { perMinute: 300 });
    expect(await store.tick(spec)).toMatchObject({ settings: { perMinute: 300, mode: "queue-all" } });
    t.set(T0 + 11 * MINUTE);
    expect(await store.tick(spec)).toMatchObject({ settings: { perMinute: 300, mode: "auto" } });
  });

  it("brings back the operator's earlier setting when an event ends", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    await store.updateSettings(spec, { perMinute: 120 });
    await schedule(store, spec, { startsAt: T0 + MINUTE, endsAt: T0 + 2 * MINUTE, perMinute: 600 });
    t.set(T0 + MINUTE);
    expect(await store.tick(spec)).toMatchObject({ settings: { perMinute: 600 } });
    t.set(T0 + 2 * MINUTE);
    expect(await store.tick(spec)).toMatchObject({ settings: { perMinute: 120 } });
  });

  it("still places a pre-queue whose event was removed before its start", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    const seq = await schedule(store, spec, { prequeueFrom: T0, startsAt: T0 + MINUTE });
    await joinMany(store, spec, 3, "pre");
    const read = await store.events(spec);
    if (read.kind !== "events") throw new Error("events");
    expect(await store.writeEvents(spec, read.version, [])).toMatchObject({ kind: "written" });
    t.set(T0 + MINUTE);
    const claimed = await store.claim(spec, seq, "pre-2");
    expect(claimed).toMatchObject({ kind: "placed", position: 3 });
  });

  it("refuses to write a schedule changed since it was read", async () => {
    const store = makeStore(clock().now);
    const spec = room(60);
    const read = await store.events(spec);
    if (read.kind !== "events") throw new Error("events");
    await schedule(store, spec, { perMinute: 100 });
    expect(await store.writeEvents(spec, read.version, [])).toEqual({ kind: "conflict" });
    expect(await store.events(spec)).toMatchObject({ events: [{ perMinute: 100 }] });
  });

  it("draws the pre-queue lottery uniformly: arriving first gives no better chance (chi-square)", async () => {
    // The earliest arrival's rank among 10 pre-queued visitors, over 300 draws,
    // should be uniform over 1..10. Chi-square with 9 degrees of freedom:
    // 27.88 is the 0.1% critical value, so an honest lottery fails this about once in 1000 runs.
    const t = clock();
    const store = makeStore(t.now);
    const trials = 300;
    const size = 10;
    const counts = new Array<number>(size).fill(0);
    for (let trial = 0; trial < trials; trial++) {
      t.set(T0);
      const spec = room(60);
      const seq = await schedule(store, spec, { prequeueFrom: T0, startsAt: T0 + MINUTE, shuffleAtStart: true });
      const ids: string[] = [];
      for (let i = 0; i < size; i++) {
        t.set(T0 + i * 1000); // the first arrives at T-60 s, the last at T-51 s
        const draw = (crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) / 2 ** 32;
        ids.push(crypto.randomUUID());
        await store.join(spec, { visitorId: ids[i] ?? "", draw });
      }
      t.set(T0 + MINUTE);
      const claimed = await store.claim(spec, seq, ids[0] ?? "");
      if (claimed.kind !== "placed") throw new Error(`claim: ${claimed.kind}`);
      // Nobody held a place before the pre-queue, so the place is the rank.
      const rank = claimed.position - claimed.base;
      counts[rank - 1] = (counts[rank - 1] ?? 0) + 1;
    }
    const expected = trials / size;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(trials);
    expect(chiSquare).toBeLessThan(27.88);
  }, 60_000);
});
