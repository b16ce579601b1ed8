/**
 * Redis time per admission script call (issue 14 item 6, the scale table):
 * runs JOIN (alone and in batches of k newcomers), TICK and CLAIM against a
 * real redis-server through the REST bridge, one phase at a time, and reads
 * `INFO commandstats` (usec and calls of EVALSHA, reset before each phase).
 * Several runs, so the spread shows.
 *
 *   node tools/node.mjs node bench/script-cost.ts [--runs 5] [--newcomers 4000] [--batches 1,8,32,64]
 *
 * Prints one JSON line per run and phase, then a summary (min, median, max).
 */
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { startRedisServer } from "../test/support/redis-server.ts";
import { startBridge } from "../tools/bridge.ts";
import type { ScheduledEvent } from "../worker/model/schedule.ts";
import { connectRedis, RedisStore } from "../worker/store/redis.ts";
import type { AdmissionStore, Arrival, RoomSpec } from "../worker/store/store.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    newcomers: { type: "string", default: "4000" },
    batches: { type: "string", default: "1,8,32,64" },
  },
});
const runs = Number(values.runs);
const newcomers = Number(values.newcomers);
const batchSizes = String(values.batches)
  .split(",")
  .map((k) => Number(k));
/** Calls in flight at once: enough to keep the bridge busy, few enough for a 2-core machine. */
const CONCURRENCY = 8;

interface Phase {
  readonly phase: string;
  readonly calls: number;
  readonly usecPerCall: number;
  /** Newcomers (or claims, or ticks) the phase's calls carried. */
  readonly items: number;
  readonly usecPerItem: number;
}

/** EVALSHA's usec and calls since the last reset. */
async function scriptStats(redis: Redis): Promise<{ calls: number; usec: number }> {
  const text = await redis.info("commandstats");
  const line = text.split("\n").find((l) => l.startsWith("cmdstat_evalsha:")) ?? "";
  const fields = Object.fromEntries(
    line
      .slice(line.indexOf(":") + 1)
      .trim()
      .split(",")
      .map((kv) => kv.split("=") as [string, string]),
  );
  return { calls: Number(fields.calls ?? 0), usec: Number(fields.usec ?? 0) };
}

/** Runs `count` calls, CONCURRENCY at a time; each must not fail. */
async function pool(count: number, call: (i: number) => Promise<{ kind: string } | readonly { kind: string }[]>) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const outcome = await call(i);
      const first = Array.isArray(outcome) ? outcome[0] : outcome;
      if (first?.kind === "unavailable") throw new Error(`call ${i} failed: ${JSON.stringify(first)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function measure(redis: Redis, phase: string, items: number, body: () => Promise<void>): Promise<Phase> {
  // Scripts loaded (a first call per script may be an EVAL) before the counters start.
  await redis.config("RESETSTAT");
  await body();
  const { calls, usec } = await scriptStats(redis);
  return { phase, calls, usecPerCall: round(usec / calls), items, usecPerItem: round(usec / items) };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

let visitors = 0;
function arrival(): Arrival {
  visitors += 1;
  return { visitorId: `v${visitors}`, draw: Math.random(), client: `c${visitors % 5000}` };
}

async function main() {
  const server = await startRedisServer();
  const bridge = await startBridge({ redisUrl: server.url, token: "cost" });
  const redis = new Redis(server.url);
  let now = 1_800_000_000_000;
  const store: AdmissionStore = new RedisStore(connectRedis({ url: bridge.url, token: "cost", timeoutMs: 5000 }), {
    now: () => now,
  });
  const results: Phase[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      // A room as a surge leaves it: a long line, a per-client limit, a report on every call.
      const spec: RoomSpec = {
        room: `cost-${run}`,
        defaultPerMinute: 600,
        defaultMode: "auto",
        stateTtlMs: 3_600_000,
        newTicketsPerClientPerMinute: 100,
      };
      const witness = { instance: "abc123", epoch: 0, frontier: 0, lastTicket: 0 };
      await store.join(spec, arrival());
      await store.tick(spec);
      for (const k of batchSizes) {
        const calls = Math.ceil(newcomers / k);
        const phase = await measure(redis, `JOIN x${k}`, calls * k, () =>
          pool(calls, () => {
            now += 1;
            const batch = Array.from({ length: k }, arrival);
            return k === 1
              ? store.join(spec, batch[0] as Arrival, { witness })
              : store.joinMany(spec, batch, { witness });
          }),
        );
        results.push(phase);
        console.log(JSON.stringify({ run, ...phase }));
      }
      // An instance's tick as room-link.ts makes it: a place or two used, the feeds read from its cursors.
      let consumedSince = 0;
      let releasesSince = 0;
      const tick = await measure(redis, "TICK", newcomers, () =>
        pool(newcomers, async (i) => {
          now += 1;
          const consumed = [{ position: 1 + (i % 1000), device: null }];
          const outcome = await store.tick(spec, { witness, consumed, consumedSince, releasesSince });
          if (outcome.kind === "state") {
            consumedSince = Math.max(consumedSince, outcome.consumed.cursor);
            releasesSince = Math.max(releasesSince, outcome.releases.cursor);
          }
          return outcome;
        }),
      );
      results.push(tick);
      console.log(JSON.stringify({ run, ...tick }));

      // CLAIM: a pre-queue of `newcomers / 4` visitors, placed at the event's start, one call each.
      const event = { ...spec, room: `cost-claim-${run}` };
      const read = await store.events(event);
      if (read.kind !== "events") throw new Error("events");
      const startsAt = now + 60_000;
      const added: ScheduledEvent = {
        id: "ev_1",
        seq: 0,
        startsAt,
        endsAt: null,
        prequeueFrom: now - 1,
        perMinute: null,
        mode: null,
        shuffleAtStart: true,
      };
      await store.writeEvents(event, read.version, [added]);
      const queued = Math.ceil(newcomers / 4);
      const ids: string[] = [];
      for (let i = 0; i < queued; i += 64) {
        const batch = Array.from({ length: Math.min(64, queued - i) }, arrival);
        ids.push(...batch.map((a) => a.visitorId));
        await store.joinMany(event, batch);
      }
      now = startsAt + 1;
      const claim = await measure(redis, "CLAIM", queued, () =>
        pool(queued, (i) => store.claim(event, 1, ids[i] as string, witness)),
      );
      results.push(claim);
      console.log(JSON.stringify({ run, ...claim }));
    }
  } finally {
    redis.disconnect();
    await bridge.close();
    await server.stop();
  }
  const phases = [...new Set(results.map((r) => r.phase))];
  console.log("\nphase        µs/call min  median  max     µs/newcomer (or per item) min  median  max");
  for (const phase of phases) {
    const of = results.filter((r) => r.phase === phase);
    const spread = (pick: (r: Phase) => number) => {
      const sorted = of.map(pick).sort((a, b) => a - b);
      return [sorted[0], sorted[Math.floor(sorted.length / 2)], sorted[sorted.length - 1]].join("  ");
    };
    console.log(`${phase.padEnd(12)} ${spread((r) => r.usecPerCall).padEnd(24)} ${spread((r) => r.usecPerItem)}`);
  }
}

await main();
