import { inject } from "vitest";
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
