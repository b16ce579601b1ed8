import { inject } from "vitest";
import { EmbeddedRedis } from "../../tools/embedded-redis/embedded-redis.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import type { AdmissionStore, Arrival, RoomSpec } from "../../worker/store/store.ts";

/** A fixed start for store clocks. */
export const T0 = 1_800_000_000_000;
let roomCounter = 0;

/** A room of its own for each test, so tests sharing a Redis never meet. */
export function room(perMinute: number): RoomSpec {
  roomCounter += 1;
  return {
    room: `contract-${process.pid}-${roomCounter}-${Date.now()}`,
    defaultPerMinute: perMinute,
    defaultMode: "auto",
    stateTtlMs: 3_600_000,
  };
}

/** A settable clock shared by a store and its test. */
export function clock(start = T0) {
  let now = start;
  return { now: () => now, set: (ms: number) => (now = ms), advance: (ms: number) => (now += ms) };
}

/** The Upstash client for the suite's redis-server, through the REST bridge. */
export function redisClient() {
  return connectRedis({ url: inject("bridgeUrl"), token: inject("bridgeToken"), timeoutMs: 2000 });
}

/**
 * The store of `npm start` without Redis: the same RedisStore and Lua
 * scripts, on the embedded engine in this process. One clock for both: the
 * store passes it to the scripts (their `now`), the engine expires keys by it.
 */
export function embeddedStore(now: () => number): AdmissionStore {
  return new RedisStore(new EmbeddedRedis({ now }).scriptClient(), { now });
}

/** Both stores, for contract suites: one implementation, the Lua scripts, on each engine. */
export const stores: [string, (now: () => number) => AdmissionStore][] = [
  ["embedded store (the same Lua on tools/embedded-redis)", embeddedStore],
  ["RedisStore (real redis-server through the REST bridge)", (now) => new RedisStore(redisClient(), { now })],
];

/** A fresh arrival: a new visitor id and a lottery draw (the gate draws 53 random bits). */
export function newArrival(): Arrival {
  return { visitorId: crypto.randomUUID(), draw: Math.random() };
}

/**
 * Ticks a room as worker instances would, reporting as places used (claims)
 * the admitted positions whose holders "show up": `shows(position)` decides
 * who does (all by default). Admissions a tick reveals are reported with the
 * next tick, as an instance reports its claims. With `copies`, each place is
 * reported again with each of the `copies` ticks after that: copies of its
 * ticket let in by instances that did not know it was used yet.
 */
export function claimingTicker(
  store: AdmissionStore,
  spec: RoomSpec,
  shows: (position: number) => boolean = () => true,
  alreadyIn = 0,
  copies = 0,
) {
  let admitted = alreadyIn;
  let pending: number[] = [];
  /** The places reported by the last `copies` ticks, newest last: reported again. */
  const recent: number[][] = [];
  let claimed = 0;
  return {
    async tick() {
      const reported = [...pending, ...recent.flat()];
      const outcome = await store.tick(spec, { consumed: reported.map((position) => ({ position, device: null })) });
      if (outcome.kind !== "state") throw new Error(`tick: ${outcome.kind}`);
      if (copies > 0) {
        recent.push(pending);
        if (recent.length > copies) recent.shift();
      }
      pending = [];
      const now = Math.min(Math.floor(outcome.state.frontier), outcome.state.lastTicket);
      for (let position = admitted + 1; position <= now; position++) {
        if (!shows(position)) continue;
        pending.push(position);
        claimed += 1;
      }
      admitted = Math.max(admitted, now);
      return outcome;
    },
    /** Visitors who came in so far. */
    claimed: () => claimed,
  };
}
