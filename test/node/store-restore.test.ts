// Issue 14, items 2 and 3: the fleet's size and a state that heals itself.
// Each engine here is one of its own, so FLUSHALL is a real FLUSHALL: the
// embedded engine, and a redis-server started for this file behind its own
// REST bridge (the suite's shared server is never flushed). Instances are
// real RoomLinks (the gate's link to the room) over the store API: what they
// know rides with their script calls, and where a ticket stands is what the
// gate computes (placeInLine).
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bridge, startBridge } from "../../tools/bridge.ts";
import { EmbeddedRedis } from "../../tools/embedded-redis/embedded-redis.ts";
import { RoomLink } from "../../worker/gate/room-link.ts";
import { FLEET_WINDOW_MS } from "../../worker/store/lua/constants.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import type { AdmissionStore, RoomSpec } from "../../worker/store/store.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";
import { clock, newArrival, room } from "../support/stores.ts";

/** A store on an engine of its own, and how to lose all its data. */
interface Engine {
  store(now: () => number): AdmissionStore;
  flushAll(): Promise<void>;
}

let redis: RedisServer | undefined;
let bridge: Bridge | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
  bridge = await startBridge({ redisUrl: redis.url, token: "restore-token" });
});
afterAll(async () => {
  await bridge?.close();
  await redis?.stop();
});

const engines: [string, () => Engine][] = [
  [
    "embedded store",
    () => {
      let engine: EmbeddedRedis | undefined;
      return {
        store(now) {
          engine = new EmbeddedRedis({ now });
          return new RedisStore(engine.scriptClient(), { now });
        },
        async flushAll() {
          expect(engine?.call(["FLUSHALL"])).toEqual({ status: "OK" });
        },
      };
    },
  ],
  [
    "RedisStore on a redis-server of its own",
    () => ({
      store: (now) =>
        new RedisStore(connectRedis({ url: bridge?.url ?? "", token: "restore-token", timeoutMs: 2000 }), { now }),
      async flushAll() {
        expect(await new Redis({ url: bridge?.url ?? "", token: "restore-token" }).flushall()).toBe("OK");
      },
    }),
  ],
];

/** A visitor holding a ticket: its position, the epoch it was issued in, and when it arrived (order of arrival). */
interface Holder {
  readonly position: number;
  readonly epoch: number;
  readonly arrived: number;
}

/** A newcomer through `link`; it must be given a place in line. */
async function queue(link: RoomLink, holders: Holder[]): Promise<Holder> {
  const outcome = await link.join(newArrival());
  if (outcome.kind !== "queued" && outcome.kind !== "admitted") throw new Error(`join: ${outcome.kind}`);
  const holder = { position: outcome.position, epoch: outcome.state.epoch ?? 0, arrived: holders.length };
  holders.push(holder);
  return holder;
}

/**
 * Polls every holder once a second (each at a link of the fleet, as a random front would send it)
 * until all are in: the order they are let in, by second. Every visitor who waited must be let in
 * no later than anyone who arrived after them (0 FIFO inversions).
 */
async function letEveryoneIn(
  links: readonly RoomLink[],
  holders: readonly Holder[],
  t: ReturnType<typeof clock>,
): Promise<number[]> {
  const inAt = new Array<number>(holders.length).fill(-1);
  for (let second = 0; second < 120 && inAt.includes(-1); second++) {
    t.advance(1000);
    for (const [i, holder] of holders.entries()) {
      if (inAt[i] !== -1) continue;
      const link = links[i % links.length] as RoomLink;
      link.learnTicket(holder.position, holder.epoch, 0);
      const reading = await link.read();
      if (reading.kind !== "known") throw new Error("store unavailable");
      if (link.placeOf(holder.position, holder.epoch) <= reading.frontier) inAt[i] = second;
    }
  }
  return inAt;
}

function inversions(holders: readonly Holder[], inAt: readonly number[]): number {
  let count = 0;
  for (const [i, a] of holders.entries())
    for (const [j, b] of holders.entries()) if (a.arrived < b.arrived && (inAt[i] ?? -1) > (inAt[j] ?? -1)) count += 1;
  return count;
}

/** Numbers handed out twice: a position given after the loss that a visitor from before it still stands at. */
function shared(links: readonly RoomLink[], before: readonly Holder[], after: readonly Holder[]): number {
  const link = links[0] as RoomLink;
  const standing = new Set(before.map((h) => link.placeOf(h.position, h.epoch)));
  const positions = after.map((h) => h.position);
  return positions.filter((p) => standing.has(p)).length + (positions.length - new Set(positions).size);
}

/** Eleven tickets handed out by an instance that is then gone, and the store's data lost. */
async function lostWhileWaiting(engine: Engine) {
  const t = clock();
  const store = engine.store(t.now);
  const spec: RoomSpec = room(60);
  const old = new RoomLink(store, spec, t.now, 1000);
  const holders: Holder[] = [];
  for (let i = 0; i < 11; i++) await queue(old, holders);
  await engine.flushAll();
  t.advance(300);
  return { t, store, spec, holders };
}

/** FIFO inversions while `link` lets in the holders from before the loss (but the first, let straight in) and the newcomers after. */
async function inversionsLettingIn(
  link: RoomLink,
  holders: readonly Holder[],
  newcomers: readonly Holder[],
  t: ReturnType<typeof clock>,
): Promise<number> {
  const everyone = [...holders.slice(1), ...newcomers.map((h) => ({ ...h, arrived: h.arrived + holders.length }))];
  const inAt = await letEveryoneIn([link], everyone, t);
  expect(inAt).not.toContain(-1);
  return inversions(everyone, inAt);
}

describe.each(engines)("a state that heals itself: %s", (_name, makeEngine) => {
  it("ten visitors waiting, FLUSHALL, five newcomers: 0 shared positions, 0 FIFO inversions, the waiting let in first", async () => {
    const t = clock();
    const engine = makeEngine();
    const store = engine.store(t.now);
    const spec: RoomSpec = room(60);
    const link = new RoomLink(store, spec, t.now, 1000);
    const holders: Holder[] = [];
    await queue(link, holders); // straight in: the room was idle
    for (let i = 0; i < 10; i++) await queue(link, holders);
    expect(holders.map((h) => h.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    t.advance(2000);
    await link.read();
    const waiting = holders.slice(1);
    await engine.flushAll();
    t.advance(500);
    const newcomers: Holder[] = [];
    for (let i = 0; i < 5; i++) await queue(link, newcomers);
    // Restored at the last ticket the instance saw, in a new epoch: the newcomers come after it.
    expect(newcomers.map((h) => h.position)).toEqual([12, 13, 14, 15, 16]);
    expect(newcomers[0]?.epoch).toBeGreaterThan(waiting[0]?.epoch ?? 0);
    const tick = await store.tick(spec);
    if (tick.kind !== "state") throw new Error("store unavailable");
    expect(tick.state).toMatchObject({ base: 11, restoredAt: t.now(), lastTicket: 16 });
    expect(tick.state.frontier).toBeGreaterThanOrEqual(3);
    const everyone = [...waiting, ...newcomers.map((h) => ({ ...h, arrived: h.arrived + waiting.length }))];
    expect(shared([link], waiting, newcomers)).toBe(0);
    const inAt = await letEveryoneIn([link], everyone, t);
    expect(inAt).not.toContain(-1);
    expect(inversions(everyone, inAt)).toBe(0);
    expect(Math.max(...inAt.slice(0, waiting.length))).toBeLessThanOrEqual(Math.min(...inAt.slice(waiting.length)));
  });

  it("two instances, one saw fewer tickets than the other: the one that restores did not see the last three", async () => {
    const t = clock();
    const engine = makeEngine();
    const store = engine.store(t.now);
    const spec: RoomSpec = room(60);
    const a = new RoomLink(store, spec, t.now, 1000);
    const b = new RoomLink(store, spec, t.now, 1000);
    const holders: Holder[] = [];
    await queue(a, holders);
    for (let i = 0; i < 7; i++) await queue(a, holders); // a saw up to 8
    for (let i = 0; i < 3; i++) await queue(b, holders); // b handed out 9, 10, 11; a never heard
    await engine.flushAll();
    t.advance(300);
    const newcomers: Holder[] = [];
    for (let i = 0; i < 5; i++) await queue(a, newcomers);
    // a restored at 8: the new epoch hands 9, 10, 11 out again, but b's old tickets stand at 8 now.
    expect(newcomers.map((h) => h.position)).toEqual([9, 10, 11, 12, 13]);
    expect(a.placeOf(10, holders[9]?.epoch ?? 0)).toBe(8);
    expect(shared([a, b], holders.slice(1), newcomers)).toBe(0);
    const everyone = [...holders.slice(1), ...newcomers.map((h) => ({ ...h, arrived: h.arrived + holders.length }))];
    const inAt = await letEveryoneIn([a, b], everyone, t);
    expect(inAt).not.toContain(-1);
    expect(inversions(everyone, inAt)).toBe(0);
    // b, which saw further, learns the new epoch with its next tick and agrees on where b's tickets stand.
    expect(b.placeOf(11, holders[10]?.epoch ?? 0)).toBe(8);
  });

  it("a fleet that knows nothing (every instance new): a fresh instance learns the line from the first ticket it is shown", async () => {
    const { t, store, spec, holders } = await lostWhileWaiting(makeEngine());
    // The instance that issued them is gone; a new one is shown ticket 7 before anything else.
    const fresh = new RoomLink(store, spec, t.now, 1000);
    fresh.learnTicket(7, holders[6]?.epoch ?? 0, 1);
    await fresh.read();
    const newcomers: Holder[] = [];
    for (let i = 0; i < 3; i++) await queue(fresh, newcomers);
    expect(newcomers.map((h) => h.position)).toEqual([8, 9, 10]);
    // Tickets 8 to 11, which it never saw, stand at 7: before every newcomer, sharing no number.
    expect(shared([fresh], holders.slice(1), newcomers)).toBe(0);
    expect(await inversionsLettingIn(fresh, holders, newcomers, t)).toBe(0);
  });

  it("a newcomer's call that knows nothing at all starts the room over in a new epoch: the waiting stand at 0, let in first", async () => {
    const { t, store, spec, holders } = await lostWhileWaiting(makeEngine());
    const fresh = new RoomLink(store, spec, t.now, 1000);
    const newcomers: Holder[] = [];
    for (let i = 0; i < 3; i++) await queue(fresh, newcomers);
    expect(newcomers.map((h) => h.position)).toEqual([1, 2, 3]);
    expect(shared([fresh], holders.slice(1), newcomers)).toBe(0);
    expect(fresh.placeOf(9, holders[8]?.epoch ?? 0)).toBe(0);
    expect(await inversionsLettingIn(fresh, holders, newcomers, t)).toBe(0);
  });

  it("two losses in a row: the first loss's order holds after the second (each restorer missed another's last tickets)", async () => {
    const t = clock();
    const engine = makeEngine();
    const store = engine.store(t.now);
    const spec: RoomSpec = room(60);
    const a = new RoomLink(store, spec, t.now, 1000);
    const b = new RoomLink(store, spec, t.now, 1000);
    const epochs: Holder[][] = [[], [], []];
    for (let i = 0; i < 11; i++) await queue(a, epochs[0] as Holder[]);
    for (let i = 0; i < 3; i++) await queue(b, epochs[0] as Holder[]); // 12-14: a never heard
    await engine.flushAll();
    t.advance(1000);
    for (let i = 0; i < 5; i++) await queue(a, epochs[1] as Holder[]); // restored at 11: 12-16 again
    await engine.flushAll();
    t.advance(1000);
    for (let i = 0; i < 3; i++) await queue(a, epochs[2] as Holder[]); // restored at 16: 17-19
    expect(epochs.map((e) => e.map((h) => h.position))).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
      [12, 13, 14, 15, 16],
      [17, 18, 19],
    ]);
    // Everyone from an earlier epoch stands strictly ahead of everyone from a later one, at both links.
    for (const link of [a, b]) {
      await link.read();
      for (let earlier = 0; earlier < 3; earlier++)
        for (let later = earlier + 1; later < 3; later++)
          for (const x of epochs[earlier] ?? [])
            for (const y of epochs[later] ?? [])
              expect(link.placeOf(x.position, x.epoch), `${x.position} before ${y.position}`).toBeLessThan(
                link.placeOf(y.position, y.epoch),
              );
    }
    // The first epoch's 13 (b's, never seen by a) stands at the first base, not beside the second epoch's 13.
    expect(a.placeOf(13, epochs[0]?.[12]?.epoch ?? 0)).toBe(11);
    expect(a.placeOf(13, epochs[1]?.[1]?.epoch ?? 0)).toBe(13);
  });

  it("a replica that lagged (the state is there, but behind what an instance saw in its epoch) is raised to it", async () => {
    const t = clock();
    const engine = makeEngine();
    const store = engine.store(t.now);
    const spec: RoomSpec = room(60);
    for (let i = 0; i < 4; i++) await store.join(spec, newArrival());
    const tick = await store.tick(spec);
    if (tick.kind !== "state") throw new Error("store unavailable");
    const epoch = tick.state.epoch ?? 0;
    const witness = { instance: "0123456789ab", epoch, frontier: 6.5, lastTicket: 9 };
    const raised = await store.join(spec, newArrival(), { witness });
    expect(raised).toMatchObject({ kind: "queued", position: 10, state: { epoch, restoredAt: 0 } });
    // Another epoch's figures say nothing of this one's numbers.
    const other = await store.join(spec, newArrival(), { witness: { ...witness, epoch: epoch + 1, lastTicket: 50 } });
    expect(other).toMatchObject({ position: 11 });
  });
});

describe.each(engines)("the fleet's size: %s", (_name, makeEngine) => {
  it("counts the distinct instances heard from within the last minute, and forgets older ones", async () => {
    const t = clock();
    const store = makeEngine().store(t.now);
    const spec: RoomSpec = room(60);
    const witness = (instance: string) => ({ witness: { instance, epoch: 0, frontier: 0, lastTicket: 0 } });
    const counted = async (instance: string) => {
      const tick = await store.tick(spec, witness(instance));
      if (tick.kind !== "state") throw new Error("store unavailable");
      return tick.state.instances;
    };
    expect(await counted("aaaaaaaaaaaa")).toBe(1);
    expect(await counted("aaaaaaaaaaaa")).toBe(1);
    t.advance(20_000);
    expect(await counted("bbbbbbbbbbbb")).toBe(2);
    // JOIN counts its caller too (an instance that only takes newcomers may not tick for a while).
    const joined = await store.join(spec, newArrival(), witness("cccccccccccc"));
    expect(joined).toMatchObject({ state: { instances: 3 } });
    expect(await counted("cccccccccccc")).toBe(3);
    // CLAIM does not, and says 0: not counted.
    const claimed = await store.claim(spec, 1, "nobody", witness("dddddddddddd").witness);
    if (claimed.kind !== "unavailable") expect(claimed.state.instances).toBe(0);
    expect(await counted("cccccccccccc")).toBe(3);
    // A call without an id (an admin tool) is not an instance.
    const anonymous = await store.tick(spec);
    expect(anonymous).toMatchObject({ state: { instances: 3 } });
    // A minute after a's last call, a is no longer live; b and c are.
    t.advance(FLEET_WINDOW_MS - 20_000 + 1);
    expect(await counted("bbbbbbbbbbbb")).toBe(2);
    t.advance(FLEET_WINDOW_MS + 1);
    expect(await counted("dddddddddddd")).toBe(1);
    // An id that is not the worker's short hex is not counted (the store would never trim a list in it).
    const odd = await store.tick(spec, witness("not,an id"));
    expect(odd).toMatchObject({ state: { instances: 1 } });
  });

  it("RoomLink learns the count with its calls; 1 before it has heard one", async () => {
    const t = clock();
    const store = makeEngine().store(t.now);
    const spec: RoomSpec = room(60);
    const links = [0, 1, 2, 3].map(() => new RoomLink(store, spec, t.now, 1000));
    expect(links[0]?.fleetSize()).toBe(1);
    for (const link of links) await link.read();
    t.advance(1000);
    await links[0]?.read();
    expect(links[0]?.fleetSize()).toBe(4);
  });
});
