import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Bridge, startBridge } from "../../tools/bridge.ts";
import { claimsKey, consumedFeedKey, consumedKey, historyKey, stampsKey, stateKey } from "../../worker/store/keys.ts";
import { CONSUMED_ENTRIES_PER_TICK, HISTORY_KEPT_MINUTES } from "../../worker/store/lua/constants.ts";
import { connectRedis, RedisStore, SPENT_STAMP_GRACE_MS } from "../../worker/store/redis.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";
import { claimingTicker, clock, newArrival, redisClient, room, stores, T0 } from "../support/stores.ts";

describe.each(stores)("store contract: %s", (_name, makeStore) => {
  it("lets the first newcomer of an idle room straight in and queues the next one", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "admitted", position: 1 });
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "queued", position: 2 });
  });

  it("never lets more than the allowed number in when 200 newcomers arrive at once (10/min)", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(10);
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => store.join(spec, newArrival())));
    const positions = outcomes.map((o) => ("position" in o ? o.position : -1)).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // burst = max(1, 10/60) = 1: exactly one goes straight in, the rest queue.
    expect(outcomes.filter((o) => o.kind === "admitted")).toHaveLength(1);
  });

  it("advances the frontier at the configured rate with time, driven by ticks", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600);
    for (let i = 0; i < 100; i++) await store.join(spec, newArrival());
    t.advance(3_000);
    const tick = await store.tick(spec);
    expect(tick.kind).toBe("state");
    if (tick.kind !== "state") return;
    // burst 10 + 600/min x 3 s = 40
    expect(tick.state.frontier).toBeCloseTo(40, 6);
    expect(tick.state.lastTicket).toBe(100);
  });

  it("caps the frontier at the last ticket plus one second's worth while idle", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600);
    await store.join(spec, newArrival());
    t.advance(120_000);
    const tick = await store.tick(spec);
    expect(tick).toMatchObject({ kind: "state", state: { frontier: 11, lastTicket: 1 } });
    const outcomes = [];
    for (let i = 0; i < 30; i++) outcomes.push(await store.join(spec, newArrival()));
    expect(outcomes.filter((o) => o.kind === "admitted").map((o) => (o.kind === "admitted" ? o.position : 0))).toEqual([
      2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
  });

  it("admits strictly in ticket order as time passes", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    for (let i = 0; i < 50; i++) await store.join(spec, newArrival());
    let previous = 0;
    const ticker = claimingTicker(store, spec);
    for (let second = 1; second <= 20; second++) {
      t.advance(1000);
      const tick = await ticker.tick();
      expect(tick.state.frontier).toBeGreaterThanOrEqual(previous);
      previous = tick.state.frontier;
    }
    expect(previous).toBeCloseTo(21, 6);
  });

  it("does not advance when a caller's clock goes backwards", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    for (let i = 0; i < 10; i++) await store.join(spec, newArrival());
    t.advance(5_000);
    const ahead = await store.tick(spec);
    t.set(T0 + 1_000);
    const behind = await store.tick(spec);
    expect(ahead.kind === "state" && behind.kind === "state").toBe(true);
    if (ahead.kind !== "state" || behind.kind !== "state") return;
    expect(behind.state.frontier).toBe(ahead.state.frontier);
    expect(behind.state.updatedAt).toBe(ahead.state.updatedAt);
  });

  it("applies operators' settings atomically and bumps the version; null resets to the default", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    expect(await store.tick(spec)).toMatchObject({ settings: { perMinute: 60, mode: "auto", sessionMinutes: null } });
    const first = await store.updateSettings(spec, { perMinute: 600, mode: "queue-all", sessionMinutes: 15 });
    expect(first).toMatchObject({
      kind: "settings",
      settings: { perMinute: 600, mode: "queue-all", sessionMinutes: 15 },
    });
    const second = await store.updateSettings(spec, { perMinute: null });
    expect(second).toMatchObject({ settings: { perMinute: 60, mode: "queue-all", sessionMinutes: 15 } });
    if (first.kind !== "settings" || second.kind !== "settings") return;
    expect(second.settings.version).toBe(first.settings.version + 1);
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "queued", settings: { mode: "queue-all" } });
  });

  it("admits at the live rate as soon as it changes", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    for (let i = 0; i < 200; i++) await store.join(spec, newArrival());
    await store.updateSettings(spec, { perMinute: 600 });
    t.advance(2_000);
    // The tick that sees the new rate applies it to the time since the last advance.
    expect(await store.tick(spec)).toMatchObject({ state: { frontier: 21 }, settings: { perMinute: 600 } });
  });

  it("pauses (frontier holds, no burst on resume), closes (no ticket) and steps aside (passthrough)", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(60);
    for (let i = 0; i < 20; i++) await store.join(spec, newArrival());
    await store.updateSettings(spec, { mode: "paused" });
    t.advance(10_000);
    expect(await store.tick(spec)).toMatchObject({ state: { frontier: 1 }, settings: { mode: "paused" } });
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "queued", position: 21 });
    await store.updateSettings(spec, { mode: "auto" });
    t.advance(2_000);
    expect(await store.tick(spec)).toMatchObject({ state: { frontier: 3 } });
    await store.updateSettings(spec, { mode: "closed" });
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "closed", state: { lastTicket: 21 } });
    await store.updateSettings(spec, { mode: "passthrough" });
    expect(await store.join(spec, newArrival())).toMatchObject({
      kind: "admitted",
      position: 0,
      state: { lastTicket: 21 },
    });
  });

  it("in reject queueing, turns a newcomer over the rate away without a place, and lets those under it in", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = { ...room(600), queueing: "reject" as const };
    // burst = 10: the first ten go straight in; the eleventh would queue, so it is rejected.
    for (let i = 1; i <= 10; i++)
      expect(await store.join(spec, newArrival())).toMatchObject({ kind: "admitted", position: i });
    const spent = { id: crypto.randomUUID(), expiresAt: t.now() + 600_000 };
    for (let i = 0; i < 5; i++) {
      expect(await store.join(spec, { ...newArrival(), stamps: [spent] })).toMatchObject({
        kind: "rejected",
        state: { lastTicket: 10 },
      });
    }
    // No stamp was spent on nothing, and no place was handed out: after 0.1 s (one place's worth) the next is in at 11.
    t.advance(100);
    expect(await store.join(spec, { ...newArrival(), stamps: [spent] })).toMatchObject({
      kind: "admitted",
      position: 11,
    });
    expect(await store.tick(spec)).toMatchObject({ state: { lastTicket: 11 } });
    // A line already there (held in fifo, or from an event) keeps its places: reject gives no new ones.
    const fifo = room(60);
    const line = { ...fifo, queueing: "reject" as const };
    expect(await store.join(fifo, newArrival())).toMatchObject({ kind: "admitted", position: 1 });
    expect(await store.join(fifo, newArrival())).toMatchObject({ kind: "queued", position: 2 });
    expect(await store.join(line, newArrival())).toMatchObject({ kind: "rejected", state: { lastTicket: 2 } });
    t.advance(1_000);
    expect(await store.tick(line)).toMatchObject({ state: { frontier: 2, lastTicket: 2 } });
    // Queue-all and paused admit nobody straight in: in reject every newcomer is turned away; closed stays closed.
    for (const mode of ["queue-all", "paused"] as const) {
      await store.updateSettings(line, { mode });
      expect(await store.join(line, newArrival())).toMatchObject({ kind: "rejected" });
    }
    await store.updateSettings(line, { mode: "closed" });
    expect(await store.join(line, newArrival())).toMatchObject({ kind: "closed" });
    await store.updateSettings(line, { mode: "passthrough" });
    expect(await store.join(line, newArrival())).toMatchObject({ kind: "admitted", position: 0 });
  });

  it("keeps a per-minute history of arrivals and admissions for 30 minutes", async () => {
    const t = clock(Math.floor(T0 / 60_000) * 60_000);
    const store = makeStore(t.now);
    const spec = room(60);
    for (let minute = 0; minute < 40; minute++) {
      for (let i = 0; i < 5; i++) await store.join(spec, newArrival());
      t.advance(60_000);
    }
    await store.tick(spec);
    const history = await store.history(spec);
    expect(history.kind).toBe("history");
    if (history.kind !== "history") return;
    const minutes = history.minutes.map((m) => m.minute);
    const last = Math.floor(t.now() / 60_000);
    expect(minutes.every((m) => m >= last - 30)).toBe(true);
    expect(minutes.at(-1)).toBe(last);
    // 5 arrivals a minute: consecutive snapshots (each taken at its minute's first write) are 5 apart.
    const [a, b, final] = history.minutes.slice(-3);
    expect((b?.lastTicket ?? 0) - (a?.lastTicket ?? 0)).toBe(5);
    expect(final?.lastTicket).toBe(200);
    expect(final?.admitted).toBe(200);
  });

  it("keeps per-minute rows for 48 hours, trims older ones once a minute, and after an idle gap", async () => {
    const t = clock(Math.floor(T0 / 60_000) * 60_000);
    const store = makeStore(t.now);
    const spec = room(60);
    const first = Math.floor(t.now() / 60_000);
    for (let minute = 0; minute < HISTORY_KEPT_MINUTES + 20; minute++) {
      await store.join(spec, newArrival());
      t.advance(60_000);
    }
    const last = Math.floor(t.now() / 60_000) - 1;
    const read = await store.history(spec, { from: first, to: last });
    if (read.kind !== "history") throw new Error(read.reason);
    // The last 48 hours and the current minute: rows over more than 30 minutes survive, older ones went.
    expect(read.minutes).toHaveLength(2_881);
    expect(read.minutes[0]?.minute).toBe(last - HISTORY_KEPT_MINUTES);
    expect(read.minutes.at(-1)).toMatchObject({ minute: last, lastTicket: HISTORY_KEPT_MINUTES + 19 });
    // An idle day and more: the next write drops every row older than 48 hours.
    t.advance(50 * 3_600_000);
    await store.join(spec, newArrival());
    const now = Math.floor(t.now() / 60_000);
    const after = await store.history(spec, { from: now - HISTORY_KEPT_MINUTES, to: now });
    if (after.kind !== "history") throw new Error(after.reason);
    expect(after.minutes.map((m) => m.minute)).toEqual([now]);
  }, 120_000);

  it("keeps each minute's peak queue, peak active and places used in its row", async () => {
    const t = clock(Math.floor(T0 / 60_000) * 60_000);
    const store = makeStore(t.now);
    const spec = room(60);
    // One goes straight in (a place used, active), nine wait.
    for (let i = 0; i < 10; i++) await store.join(spec, newArrival());
    t.advance(3_000);
    await store.tick(spec, {
      consumed: [
        { position: 2, device: null },
        { position: 3, device: null },
      ],
    });
    t.advance(1_000);
    await store.tick(spec, { consumed: [{ position: 2, device: null }] }); // a copy: not a new place
    const read = await store.history(spec);
    if (read.kind !== "history") throw new Error(read.reason);
    expect(read.minutes.at(-1)).toMatchObject({ lastTicket: 0, peakQueue: 9, peakActive: 1, used: 3 });
    expect(read.current).toMatchObject({ lastTicket: 10 });
  });

  it("limits new tickets per client per minute, and starts over the next minute", async () => {
    const t = clock(Math.floor(T0 / 60_000) * 60_000);
    const store = makeStore(t.now);
    const spec = { ...room(60), newTicketsPerClientPerMinute: 3 };
    const from = (client: string | null) => store.join(spec, { visitorId: crypto.randomUUID(), draw: 0, client });
    for (let i = 0; i < 3; i++) expect((await from("a")).kind).not.toBe("limited");
    expect(await from("a")).toMatchObject({ kind: "limited", retryAfterSeconds: 60 });
    expect((await from("b")).kind).toBe("queued");
    expect((await from(null)).kind).toBe("queued"); // unknown clients are not limited
    // The refused newcomer took no place: b and the unknown client hold 4 and 5.
    expect(await store.tick(spec)).toMatchObject({ state: { lastTicket: 5 } });
    t.advance(60_000);
    expect((await from("a")).kind).not.toBe("limited");
  });

  it.each([
    [0, 0],
    [0.3, 0],
    [0.6, 0],
    // Copies: every place used is reported again by the next five ticks (copies of its ticket let in by
    // instances that did not know yet); the store counts each position once, so the ratio stays put.
    [0.6, 5],
  ])(
    "compensates no-shows: with %s abandonment and each place reported %s more times, visitors who come in arrive at the configured rate",
    async (abandon, copies) => {
      const t = clock();
      const store = makeStore(t.now);
      const perMinute = 600;
      const spec = room(perMinute);
      // A quiet start (everyone straight in, their admissions land between script calls), then the surge.
      for (let i = 0; i < 20; i++) {
        expect(await store.join(spec, newArrival())).toMatchObject({ kind: "admitted" });
        t.advance(1000);
      }
      let alreadyIn = 20;
      for (let i = 0; i < 5000; i++) {
        const outcome = await store.join(spec, newArrival());
        if (outcome.kind === "admitted") alreadyIn = outcome.position;
      }
      // Deterministic no-shows: in every run of 10 positions, the first 10 x abandon never come.
      const shows = (position: number) => ((position - 1) % 10) / 10 >= abandon;
      const ticker = claimingTicker(store, spec, shows, alreadyIn, copies);
      const minutes: number[] = [];
      for (let minute = 0; minute < 3; minute++) {
        const before = ticker.claimed();
        for (let second = 0; second < 60; second++) {
          t.advance(1000);
          await ticker.tick();
        }
        minutes.push((ticker.claimed() - before) / perMinute);
      }
      const last = await ticker.tick();
      expect(last).toMatchObject({ kind: "state" });
      if (last.kind === "state") expect(last.state.showRatio).toBeCloseTo(1 - abandon, 1);
      // The first minute includes the measuring lag (the ratio starts at 1 and is learnt from
      // buckets 6 s after their offer); from the second on, arrivals hold the rate.
      expect(minutes[0]).toBeGreaterThanOrEqual(0.85);
      for (const ratio of minutes.slice(1)) {
        expect(ratio).toBeGreaterThanOrEqual(0.95);
        expect(ratio).toBeLessThanOrEqual(1.02);
      }
    },
    60_000,
  );

  it("lets no newcomer straight in while paused, even with a lead left over from auto", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(6000); // burst 100: an idle room leads the last ticket by 100
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "admitted", position: 1 });
    await store.updateSettings(spec, { mode: "paused" });
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "queued", position: 2 });
  });

  it("holds a pause: newcomers are not let in whatever lead the frontier had, keep their places, and go in in order on resume", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600); // burst 10: an idle room leads the last ticket by 10
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "admitted", position: 1 });
    t.advance(5_000);
    expect(await store.tick(spec)).toMatchObject({ state: { frontier: 11, lastTicket: 1 } });
    await store.updateSettings(spec, { mode: "paused" });
    for (let i = 0; i < 10; i++) {
      const outcome = await store.join(spec, newArrival());
      expect(outcome).toMatchObject({ kind: "queued", position: i + 2, settings: { mode: "paused" } });
      if (outcome.kind === "queued") expect(outcome.state.frontier).toBeLessThan(outcome.position);
      t.advance(700);
    }
    for (let second = 0; second < 30; second++) {
      t.advance(1_000);
      // The lead nobody held is withdrawn: the frontier stays behind every newcomer's place.
      expect(await store.tick(spec)).toMatchObject({ state: { frontier: 1, lastTicket: 11 } });
    }
    await store.updateSettings(spec, { mode: "auto" });
    // Resumed: at 600/min, one place every 100 ms, from where the pause left off, in ticket order.
    const frontiers: number[] = [];
    for (let quarter = 0; quarter < 4; quarter++) {
      t.advance(250);
      const tick = await store.tick(spec);
      if (tick.kind === "state") frontiers.push(tick.state.frontier);
    }
    expect(frontiers.map((f) => Math.round(f * 10) / 10)).toEqual([3.5, 6, 8.5, 11]);
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "queued", position: 12 });
  });

  it("keeps the places offered before a pause offered, and lets nobody past them while paused", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600);
    for (let i = 0; i < 30; i++) await store.join(spec, newArrival()); // 1-10 straight in, 11-30 queued
    t.advance(1_000);
    expect(await store.tick(spec)).toMatchObject({ state: { frontier: 20, lastTicket: 30 } });
    await store.updateSettings(spec, { mode: "paused" });
    for (let second = 0; second < 10; second++) {
      t.advance(1_000);
      expect(await store.join(spec, newArrival())).toMatchObject({
        kind: "queued",
        position: 31 + second,
        state: { frontier: 20 },
      });
    }
  });

  it("lets a stamp buy one place: a copy gets nothing, nothing given spends nothing, and spent ids are forgotten in time", async () => {
    const t = clock(Math.floor(T0 / 60_000) * 60_000);
    const store = makeStore(t.now);
    const spec = { ...room(60), newTicketsPerClientPerMinute: 1 };
    const stamp = (expiresInMs = 600_000) => ({ id: crypto.randomUUID(), expiresAt: t.now() + expiresInMs });
    const join = (stamps: readonly { id: string; expiresAt: number }[], client: string | null = null) =>
      store.join(spec, { ...newArrival(), stamps, client });
    const probe = stamp();
    expect(await join([probe])).toMatchObject({ kind: "admitted", position: 1 });
    // 20 copies of the same stamp (alone, or after a fresh one): nothing given, nothing counted.
    for (let i = 0; i < 20; i++) {
      expect(await join(i % 2 ? [probe] : [stamp(), probe])).toEqual({ kind: "stamp_used", id: probe.id });
    }
    // Refused copies took no place and spent nothing of the client's share either.
    expect(await join([stamp()], "c1")).toMatchObject({ kind: "queued", position: 2 });
    // Nothing given (the client's share is taken; a closed room): the stamp is not spent.
    const unspent = stamp();
    expect(await join([unspent], "c1")).toMatchObject({ kind: "limited" });
    await store.updateSettings(spec, { mode: "closed" });
    expect(await join([unspent])).toMatchObject({ kind: "closed" });
    await store.updateSettings(spec, { mode: null });
    expect(await join([unspent])).toMatchObject({ kind: "queued", position: 3 });
    expect(await join([unspent])).toEqual({ kind: "stamp_used", id: unspent.id });
    // Once no instance would accept it (its expiry and the grace), an id is forgotten: the set is bounded by time.
    t.advance(600_000 + SPENT_STAMP_GRACE_MS + 1);
    expect(await join([probe])).toMatchObject({ kind: "admitted", position: 4 });
  });

  it("tells the reporter which places it reported someone had used before, and feeds only the new ones", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600);
    for (let i = 0; i < 5; i++) await store.join(spec, newArrival());
    const first = await store.tick(spec, { consumed: [{ position: 2, device: "aaaaaaaa" }] });
    expect(first).toMatchObject({ kind: "state", taken: [] });
    t.advance(1000);
    const copy = await store.tick(spec, {
      consumed: [
        { position: 3, device: "bbbbbbbb" },
        { position: 2, device: "bbbbbbbb" },
        { position: 9, device: "bbbbbbbb" }, // never handed out: neither used nor taken
      ],
      consumedSince: first.kind === "state" ? first.consumed.cursor : 0,
    });
    if (copy.kind !== "state") throw new Error("store unavailable");
    expect(copy.taken).toEqual([2]);
    expect(copy.consumed.places.map((p) => [p.position, p.device])).toEqual([[3, "bbbbbbbb"]]);
    expect(copy.consumed.skipped).toBe(0);
  });

  it("gives a caller far behind the newest feed entries, oldest first, and says how many it skipped", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600_000);
    const entries = CONSUMED_ENTRIES_PER_TICK + 30;
    for (let i = 0; i < entries; i++) await store.join(spec, newArrival());
    for (let position = 1; position <= entries; position++) {
      t.advance(10);
      await store.tick(spec, { consumed: [{ position, device: null }] }); // one feed entry each
    }
    const behind = await store.tick(spec, { consumedSince: 0 });
    if (behind.kind !== "state") throw new Error("store unavailable");
    const positions = behind.consumed.places.map((p) => p.position);
    expect(behind.consumed.skipped).toBe(30);
    expect(positions).toEqual(Array.from({ length: CONSUMED_ENTRIES_PER_TICK }, (_, i) => 31 + i));
    const next = await store.tick(spec, { consumedSince: behind.consumed.cursor });
    expect(next).toMatchObject({ kind: "state", consumed: { places: [], skipped: 0, cursor: behind.consumed.cursor } });
  });

  it("keeps rooms apart", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const a = room(60);
    const b = room(60);
    await store.join(a, newArrival());
    await store.join(a, newArrival());
    expect(await store.join(b, newArrival())).toMatchObject({ kind: "admitted", position: 1 });
  });
});

describe("RedisStore specifics", () => {
  const raw = () => new Redis({ url: inject("bridgeUrl"), token: inject("bridgeToken") });

  it("keeps all of a room's state under its documented key, with an expiry", async () => {
    const store = new RedisStore(redisClient(), { now: () => T0 });
    const spec = room(60);
    await store.join(spec, newArrival());
    const redis = raw();
    expect(await redis.hgetall(stateKey(spec.room))).toMatchObject({ t: 1 });
    const ttl = await redis.pttl(stateKey(spec.room));
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it("drops history rows older than 48 hours at the first write after an idle gap, however few", async () => {
    const t = clock(Math.floor(T0 / 60_000) * 60_000);
    const store = new RedisStore(redisClient(), { now: t.now });
    const spec = room(60);
    for (let minute = 0; minute < 10; minute++) {
      await store.join(spec, newArrival());
      t.advance(60_000);
    }
    t.advance(HISTORY_KEPT_MINUTES * 60_000);
    await store.join(spec, newArrival());
    // Reads never reach past 48 hours; the hash itself must not keep the old rows either.
    expect((await raw().hkeys(historyKey(spec.room))).map(Number)).toEqual([Math.floor(t.now() / 60_000)]);
  });

  it("holds 48 hours of history rows in bounded memory (MEMORY USAGE, printed)", async () => {
    const t = clock(Math.floor(T0 / 60_000) * 60_000);
    const store = new RedisStore(redisClient(), { now: t.now });
    const spec = room(600);
    for (let minute = 0; minute < HISTORY_KEPT_MINUTES + 5; minute++) {
      await store.join(spec, newArrival());
      t.advance(60_000);
    }
    const redis = raw();
    const key = historyKey(spec.room);
    expect(await redis.hlen(key)).toBe(HISTORY_KEPT_MINUTES + 1);
    const written = Number(await redis.exec(["MEMORY", "USAGE", key, "SAMPLES", "0"]));
    // The widest row a busy room writes: 7-digit counters, origin figures, peaks and uses.
    const wide = "1234567:1230000:600.5:123456:1234:12345:6789|123456:123456:12345";
    const fields: Record<string, string> = {};
    for (const field of await redis.hkeys(key)) fields[field] = wide;
    await redis.hset(key, fields);
    const widest = Number(await redis.exec(["MEMORY", "USAGE", key, "SAMPLES", "0"]));
    console.log(
      `history of ${HISTORY_KEPT_MINUTES + 1} rows: ${written} bytes as written here, ${widest} bytes with the widest rows`,
    );
    expect(widest).toBeLessThan(512 * 1024);
  }, 120_000);

  it("forgets the places used and the claims with the room's state: a new room's places count and feed again", async () => {
    const t = clock();
    const store = new RedisStore(redisClient(), { now: t.now });
    const spec = room(60);
    const redis = raw();
    const both = [
      { position: 1, device: null },
      { position: 2, device: null },
    ];
    for (let i = 0; i < 3; i++) await store.join(spec, newArrival());
    const before = await store.tick(spec, { consumed: both });
    expect(before.kind === "state" && before.consumed.places.length).toBe(2);
    // The state key alone is lost (evicted, or deleted by an operator to reset the room).
    await redis.del(stateKey(spec.room));
    t.advance(1000);
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "admitted", position: 1 });
    // The new room's first call dropped the old bits, feed and claims (the straight-in newcomer's claim is new).
    expect(await redis.exists(consumedKey(spec.room), consumedFeedKey(spec.room))).toBe(0);
    expect(await redis.hgetall(claimsKey(spec.room))).toEqual({ c0: 1 });
    for (let i = 0; i < 2; i++) await store.join(spec, newArrival());
    const after = await store.tick(spec, {
      consumed: both,
      consumedSince: before.kind === "state" ? before.consumed.cursor : 0,
    });
    if (after.kind !== "state") throw new Error("store unavailable");
    expect(after.taken).toEqual([]);
    expect(after.consumed.places.map((p) => p.position)).toEqual([1, 2]);
    expect(await redis.hgetall(claimsKey(spec.room))).toEqual({ c0: 3 });
  });

  it("keeps spent stamps under their documented key, scored by when they may be forgotten", async () => {
    const store = new RedisStore(redisClient(), { now: () => T0 });
    const spec = room(60);
    const stamps = [{ id: crypto.randomUUID(), expiresAt: T0 + 600_000 }];
    await store.join(spec, { ...newArrival(), stamps });
    const spent = await raw().zrange<string[]>(stampsKey(spec.room), 0, -1, { withScores: true });
    expect(spent.map(String)).toEqual([stamps[0]?.id, String(T0 + 600_000 + SPENT_STAMP_GRACE_MS)]);
    expect(await raw().pttl(stampsKey(spec.room))).toBeGreaterThan(0);
  });

  it("uses Redis TIME when no clock is injected", async () => {
    const store = new RedisStore(redisClient());
    const outcome = await store.join(room(60), newArrival());
    expect(outcome.kind).toBe("admitted");
    if (!("state" in outcome)) return;
    expect(Math.abs(outcome.state.updatedAt - Date.now())).toBeLessThan(5_000);
  });

  it("still works after the script cache is flushed (EVALSHA falls back to EVAL)", async () => {
    const store = new RedisStore(redisClient(), { now: () => T0 });
    const spec = room(60);
    await store.join(spec, newArrival());
    await raw().scriptFlush();
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "queued", position: 2 });
    expect(await store.tick(spec)).toMatchObject({ kind: "state", state: { lastTicket: 2 } });
  });

  it("runs one Redis command per newcomer and per tick", async () => {
    const store = new RedisStore(redisClient(), { now: () => T0 });
    const spec = room(60);
    await store.join(spec, newArrival()); // loads the scripts
    await store.tick(spec);
    const redis = raw();
    const before = await commandCounts(redis);
    for (let i = 0; i < 10; i++) await store.join(spec, newArrival());
    for (let i = 0; i < 5; i++) await store.tick(spec);
    const after = await commandCounts(redis);
    expect((after.evalsha ?? 0) - (before.evalsha ?? 0)).toBe(15);
    expect((after.eval ?? 0) - (before.eval ?? 0)).toBe(0);
  });
});

async function commandCounts(redis: Redis): Promise<Record<string, number>> {
  const info = (await redis.exec<string>(["INFO", "commandstats"])) ?? "";
  const counts: Record<string, number> = {};
  for (const match of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) counts[match[1] ?? ""] = Number(match[2]);
  return counts;
}

describe("RedisStore when the store dies", () => {
  let redis: RedisServer;
  let bridge: Bridge;

  beforeAll(async () => {
    redis = await startRedisServer();
    bridge = await startBridge({ redisUrl: redis.url, token: "fault-token" });
  });
  afterAll(async () => {
    await bridge?.close();
    await redis?.stop();
  });

  it("returns `unavailable` (not an exception, not a hang) and recovers when Redis is back", async () => {
    const store = new RedisStore(connectRedis({ url: bridge.url, token: bridge.token, timeoutMs: 500 }), {
      now: () => T0,
    });
    const spec = room(60);
    expect(await store.join(spec, newArrival())).toMatchObject({ kind: "admitted", position: 1 });
    await redis.kill();
    const started = Date.now();
    const down = await store.join(spec, newArrival());
    expect(down.kind).toBe("unavailable");
    // Generous bound: the point is "no multi-second retry backoff", not a speed target.
    expect(Date.now() - started).toBeLessThan(3_000);
    await redis.restart();
    let recovered = await store.join(spec, newArrival());
    for (let i = 0; i < 20 && recovered.kind === "unavailable"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      recovered = await store.join(spec, newArrival());
    }
    // The restarted server is empty (no persistence here), so the room starts over.
    expect(recovered).toMatchObject({ kind: "admitted", position: 1 });
  });

  it("returns `unavailable` when nothing listens at the REST URL", async () => {
    const store = new RedisStore(connectRedis({ url: "http://127.0.0.1:9", token: "x", timeoutMs: 500 }));
    expect(await store.tick(room(60))).toMatchObject({ kind: "unavailable" });
  });
});
