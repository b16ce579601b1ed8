import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { BridgeCalls, BridgeCommonOptions } from "../../tools/bridge.ts";
import type { FrontStats } from "./front-thread.ts";
import type { OriginOptions, OriginReport, OriginTick } from "./origin-thread.ts";

/** A service running in a worker thread of this process. */
interface ThreadService {
  readonly url: string;
  close(): Promise<void>;
}

function startThread(file: string, data: unknown, onMessage?: (message: { type: string }) => void) {
  const worker = new Worker(new URL(file, import.meta.url), { workerData: data });
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start within 15 s`)), 15_000);
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.on("message", (message: { type: string; url?: string }) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message.url ?? "");
      } else onMessage?.(message);
    });
  });
  const close = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 3_000);
      worker.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: "close" });
    });
  return { worker, ready, close };
}

/** The origin of origin-thread.ts, with its measurements. */
export interface Origin extends ThreadService {
  readonly options: OriginOptions;
  /** Latest 500 ms snapshot. */
  readonly last: () => OriginTick | null;
  /** Starts a new measurement at the starting capacity; `epoch` is wall-clock ms of time 0. */
  reset(epoch: number): void;
  /** Changes the origin's slots from now on (requests being served finish). */
  setCapacity(capacity: number): void;
  report(): Promise<OriginReport>;
}

export async function startOrigin(options: OriginOptions): Promise<Origin> {
  let last: OriginTick | null = null;
  const waiting: ((report: OriginReport) => void)[] = [];
  const thread = startThread("./origin-thread.ts", options, (message) => {
    if (message.type === "tick") last = message as OriginTick;
    if (message.type === "report") waiting.shift()?.((message as unknown as { report: OriginReport }).report);
  });
  const url = await thread.ready;
  return {
    url,
    options,
    last: () => last,
    reset: (epoch) => thread.worker.postMessage({ type: "reset", epoch }),
    setCapacity: (capacity) => thread.worker.postMessage({ type: "capacity", capacity }),
    report: () =>
      new Promise<OriginReport>((resolve) => {
        waiting.push(resolve);
        thread.worker.postMessage({ type: "report" });
      }),
    close: thread.close,
  };
}

/** The bridge of {@link startBridgeThread}: its URL, token and call counts. */
export interface BridgeThread extends ThreadService {
  readonly token: string;
  /** The calls it served so far, by label (`labelledUrl`). */
  calls(): Promise<BridgeCalls>;
}

/**
 * The Upstash REST bridge in front of `redisUrl`, in its own thread, with
 * the injected round trip and per-label counting of `options` (both off by default).
 */
export async function startBridgeThread(
  redisUrl: string,
  options: Pick<BridgeCommonOptions, "latency" | "labels"> = {},
): Promise<BridgeThread> {
  const token = randomBytes(16).toString("hex");
  const waiting: ((calls: BridgeCalls) => void)[] = [];
  const thread = startThread("./bridge-thread.ts", { redisUrl, token, ...options }, (message) => {
    if (message.type === "calls") waiting.shift()?.((message as unknown as { calls: BridgeCalls }).calls);
  });
  const url = await thread.ready;
  return {
    url,
    token,
    close: thread.close,
    calls: () =>
      new Promise<BridgeCalls>((resolve) => {
        waiting.push(resolve);
        thread.worker.postMessage({ type: "calls" });
      }),
  };
}

/** The fleet's front of front-thread.ts: a random instance per request. */
export interface FrontThread extends ThreadService {
  /** The instances' URLs by slot; null: a slot that gets no new requests. */
  setTargets(targets: readonly (string | null)[]): void;
  stats(): Promise<FrontStats>;
}

export async function startFrontThread(): Promise<FrontThread> {
  const waiting: ((stats: FrontStats) => void)[] = [];
  const thread = startThread("./front-thread.ts", {}, (message) => {
    if (message.type === "stats") waiting.shift()?.((message as unknown as { stats: FrontStats }).stats);
  });
  const url = await thread.ready;
  return {
    url,
    close: thread.close,
    setTargets: (targets) => thread.worker.postMessage({ type: "targets", targets: [...targets] }),
    stats: () =>
      new Promise<FrontStats>((resolve) => {
        waiting.push(resolve);
        thread.worker.postMessage({ type: "stats" });
      }),
  };
}
