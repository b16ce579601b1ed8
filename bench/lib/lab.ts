import { type RedisServer, startRedisServer } from "../../test/support/redis-server.ts";
import type { BridgeCommonOptions } from "../../tools/bridge.ts";
import { type BridgeThread, startBridgeThread } from "./threads.ts";

/** One lab run: what it starts is stopped in reverse order at the end or on Ctrl+C; past `limitMs` it exits. */
export interface LabRun {
  /** Registers a stop step for something just started. */
  defer(stop: () => Promise<void>): void;
  /** Runs the stop steps and clears the time limit. */
  finish(): Promise<void>;
}

/**
 * Starts the bookkeeping of a run that stops by itself: loops here are bounded
 * in count and time, and a run that overstays `limitMs` exits with code 2.
 *
 * @example
 * ```ts
 * const run = labRun("surge", 600_000);
 * try { ... } finally { await run.finish(); }
 * ```
 */
export function labRun(name: string, limitMs: number): LabRun {
  const stops: (() => Promise<void>)[] = [];
  const hardLimit = setTimeout(() => {
    console.error(`${name}: hard time limit reached; stopping`);
    process.exit(2);
  }, limitMs);
  hardLimit.unref();
  const finish = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    stops.length = 0;
    clearTimeout(hardLimit);
  };
  process.once("SIGINT", () => void finish().then(() => process.exit(130)));
  return { defer: (stop) => void stops.push(stop), finish };
}

/**
 * A private redis-server with the Upstash REST bridge (in a worker thread) in
 * front of it; `persistent` keeps its data across a kill (the outage run),
 * `latency` and `labels` are the bridge's lab options (off by default).
 */
export async function startLabStore(
  run: LabRun,
  options: { persistent?: boolean } & Pick<BridgeCommonOptions, "latency" | "labels"> = {},
): Promise<{ redis: RedisServer; bridge: BridgeThread }> {
  const redis = await startRedisServer({ persistent: options.persistent ?? false });
  run.defer(() => redis.stop());
  const { persistent: _persistent, ...bridgeOptions } = options;
  const bridge = await startBridgeThread(redis.url, bridgeOptions);
  run.defer(() => bridge.close());
  return { redis, bridge };
}
