import { inject } from "vitest";
import { bucketOf } from "../../worker/model/compensation.ts";
import { MemoryStore } from "../../worker/store/memory.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import type { AdmissionStore, RoomSpec } from "../../worker/store/store.ts";

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

/** Both stores, for contract suites: one behaviour, checked against each. */
export const stores: [string, (now: () => number) => AdmissionStore][] = [
  ["MemoryStore", (now) => new MemoryStore(now)],
  ["RedisStore (real redis-server through the REST bridge)", (now) => new RedisStore(redisClient(), { now })],
];

/**
 * Ticks a room as worker instances would, reporting as claims the admitted
 * positions whose holders "show up": `shows(position)` decides who does (all
 * by default). Admissions a tick reveals are reported with the next tick,
 * as an instance reports its claims.
 */
export function claimingTicker(
  store: AdmissionStore,
  spec: RoomSpec,
  shows: (position: number) => boolean = () => true,
  alreadyIn = 0,
) {
  let admitted = alreadyIn;
  let pending = new Map<number, number>();
  let claimed = 0;
  return {
    async tick() {
      const outcome = await store.tick(spec, { claims: pending });
      if (outcome.kind !== "state") throw new Error(`tick: ${outcome.kind}`);
      pending = new Map();
      const now = Math.min(Math.floor(outcome.state.frontier), outcome.state.lastTicket);
      for (let position = admitted + 1; position <= now; position++) {
        if (!shows(position)) continue;
        const bucket = bucketOf(position);
        pending.set(bucket, (pending.get(bucket) ?? 0) + 1);
        claimed += 1;
      }
      admitted = Math.max(admitted, now);
      return outcome;
    },
    /** Visitors who came in so far. */
    claimed: () => claimed,
  };
}
