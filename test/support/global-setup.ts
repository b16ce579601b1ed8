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
  let bridge: Bridge;
  try {
    bridge = await startBridge({ redisUrl: redis.url, token });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  project.provide("bridgeUrl", bridge.url);
  project.provide("bridgeToken", bridge.token);
  project.provide("redisUrl", redis.url);
  return async () => {
    await bridge.close();
    await redis.stop();
  };
}
