// A fleet of worker instances for the surge lab (issue 14): N copies of the
// deployed bundle, each in its own workerd (Miniflare's API) and so with its
// own module state (frontier cache, claims outbox, outage fallback), behind
// a front that sends each request to a random instance. Evicting an instance
// starts a fresh one in its slot and retires the old one once its requests
// are answered: the memory is lost, no request is cut, as when Cloudflare
// replaces an isolate.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FrontStats } from "./front-thread.ts";
import { startFrontThread } from "./threads.ts";
import { type Bundle, bundleWorker, launchWorkers, type Workers } from "./workerd.ts";

const CONFIG = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "wrangler.toml");
/** How long an evicted instance may take to answer the requests it holds before it is stopped anyway. */
const DRAIN_MS = 5_000;

/** One eviction: which slot, when (ms since the epoch), and how long the old instance took to drain. */
export interface Eviction {
  readonly slot: number;
  readonly at: number;
  readonly drainMs: number;
}

/** What {@link startFleet} runs. */
export interface Fleet {
  /** The front's URL, where visitors go. */
  readonly url: string;
  readonly instances: number;
  /**
   * Replaces the instance in `slot` (random when absent) by a fresh one. One
   * eviction at a time. `hard`: the old instance is stopped at once, cutting
   * the requests it holds (the front answers them 502), mid-call to Redis or not.
   */
  evict(slot?: number, options?: { hard?: boolean }): Promise<Eviction>;
  readonly evictions: readonly Eviction[];
  /** Requests per slot, as the front counted them. */
  stats(): Promise<FrontStats>;
  close(): Promise<void>;
}

/** Options of {@link startFleet}. */
export interface FleetOptions {
  readonly instances: number;
  /** The worker's settings for the instance in `slot` (e.g. its own labelled bridge URL). */
  readonly vars: (slot: number) => Readonly<Record<string, string>>;
  readonly verbose?: boolean;
}

/**
 * Bundles the worker once (as `wrangler deploy` would) and starts
 * `instances` copies, each in its own workerd, behind a random-routing front.
 *
 * @example
 * ```ts
 * const fleet = await startFleet({ instances: 4, vars: (slot) => ({ ...vars, ROOM: "lab" }) });
 * await fetch(`${fleet.url}/`);
 * await fleet.evict();
 * await fleet.close();
 * ```
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(options.instances) || options.instances < 1 || options.instances > 64)
    throw new Error(`instances must be a whole number from 1 to 64, got ${options.instances}`);
  const scratch = await mkdtemp(join(tmpdir(), "anteroom-fleet-"));
  const running: (Workers | null)[] = [];
  const front = await startFrontThread();
  const close = async () => {
    await front.close();
    await Promise.all(running.map((w) => w?.close()));
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    const bundles = new Map<string, Bundle>([[CONFIG, await bundleWorker(CONFIG, join(scratch, "bundle"))]]);
    const launch = (slot: number) =>
      launchWorkers([{ name: `anteroom-${slot}`, config: CONFIG, vars: options.vars(slot) }], bundles, {
        verbose: options.verbose ?? false,
      });
    const urls: string[] = [];
    for (let slot = 0; slot < options.instances; slot += 1) {
      const workers = await launch(slot);
      running.push(workers);
      urls.push(workers.directUrl(`anteroom-${slot}`));
    }
    front.setTargets(urls);
    const evictions: Eviction[] = [];
    let busy: Promise<Eviction> | null = null;
    const evictOne = async (slot: number, hard: boolean): Promise<Eviction> => {
      const at = Date.now();
      // The fresh instance first, so the slot never goes dark (with one instance, the front would have none).
      const fresh = await launch(slot);
      const old = running[slot] ?? null;
      const oldUrl = urls[slot] ?? "";
      running[slot] = fresh;
      urls[slot] = fresh.directUrl(`anteroom-${slot}`);
      front.setTargets(urls);
      // The old one answers what it holds (the front counts those against the slot), then goes with its memory.
      const drainStart = Date.now();
      while (!hard && Date.now() - drainStart < DRAIN_MS) {
        const stats = await front.stats();
        if ((stats.inFlightByUrl[oldUrl] ?? 0) <= 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await old?.close();
      const eviction = { slot, at, drainMs: Date.now() - drainStart };
      evictions.push(eviction);
      return eviction;
    };
    return {
      url: front.url,
      instances: options.instances,
      evictions,
      evict: async (slot, evictOptions) => {
        const chosen = slot ?? Math.floor(Math.random() * options.instances);
        if (!Number.isInteger(chosen) || chosen < 0 || chosen >= options.instances)
          throw new Error(`no instance slot ${chosen} (0-${options.instances - 1})`);
        while (busy) await busy.catch(() => {});
        busy = evictOne(chosen, evictOptions?.hard ?? false);
        try {
          return await busy;
        } finally {
          busy = null;
        }
      },
      stats: () => front.stats(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
