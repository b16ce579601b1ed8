import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { type Bridge, startBridge } from "../../tools/bridge.ts";
import { startRedisServer } from "./redis-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Upstash REST URL of the bridge in front of the run's redis-server. */
    bridgeUrl: string;
    bridgeToken: string;
    /** `redis://` URL of the same redis-server, for direct inspection. */
    redisUrl: string;
    /** A bridge to the same redis-server whose round trip is log-normal, median 30 ms, p99 200 ms (a slow store). */
    slowBridgeUrl: string;
    /** A bridge to the same redis-server with a fixed 400 ms round trip: commands run 200 ms after they are sent. */
    stallBridgeUrl: string;
  }
}

/**
 * Vitest globalSetup: one real redis-server on a free port plus the Upstash
 * REST bridge in front of it, shared by the test files through `inject()`.
 *
 * @example
 * ```ts
 * import { inject } from "vitest";
 * import { Redis } from "@upstash/redis";
 * const redis = new Redis({ url: inject("bridgeUrl"), token: inject("bridgeToken") });
 * ```
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  // A fresh token per run means nothing can come to depend on a fixed one.
  const token = randomBytes(24).toString("base64url");
  const bridges: Bridge[] = [];
  try {
    for (const latency of [undefined, { roundTripMs: 30, p99Ms: 200 }, { roundTripMs: 400, jitter: 0 }])
      bridges.push(await startBridge({ redisUrl: redis.url, token, ...(latency ? { latency } : {}) }));
  } catch (error) {
    await Promise.all(bridges.map((b) => b.close()));
    await redis.stop();
    throw error;
  }
  const [bridge, slow, stall] = bridges as [Bridge, Bridge, Bridge];
  project.provide("bridgeUrl", bridge.url);
  project.provide("bridgeToken", bridge.token);
  project.provide("redisUrl", redis.url);
  project.provide("slowBridgeUrl", slow.url);
  project.provide("stallBridgeUrl", stall.url);
  return async () => {
    await Promise.all(bridges.map((b) => b.close()));
    await redis.stop();
  };
}
