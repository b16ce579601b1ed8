// The newcomer flood (issue 14 item 6): what batched JOINs cost Redis at a
// high newcomer rate. N worker instances (the fleet lab's: one workerd each,
// behind the random-routing front), a private redis-server behind the REST
// bridge with an injected round trip, and a client that sends fresh newcomers
// (no cookie, JSON) at a constant rate for a while. Each gets a place (429
// with its position) or straight in. Reported: the rate reached, Redis script
// calls per newcomer and Redis µs per newcomer (INFO commandstats, EVALSHA
// and EVAL, over the flood), FIFO inversions at 1 s resolution (a newcomer
// sent a second or more after another, yet placed ahead), shared positions,
// and the answers' latency.
//
//   node tools/node.mjs node bench/newcomers.ts [--rate 500] [--seconds 20] [--instances 4]
//                                               [--redis-latency 30] [--connections 256] [--out FILE]
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { Agent, request } from "undici";
import { labelledUrl } from "../tools/bridge.ts";
import { workerVars } from "../tools/stack.ts";
import { startFleet } from "./lib/fleet.ts";
import { labRun, startLabStore } from "./lib/lab.ts";
import { percentile, round, sleep } from "./lib/stats.ts";
import { startOrigin } from "./lib/threads.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "500" },
    seconds: { type: "string", default: "20" },
    instances: { type: "string", default: "4" },
    "redis-latency": { type: "string", default: "30" },
    connections: { type: "string", default: "256" },
    out: { type: "string" },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const instances = Number(values.instances);
const latencyMs = Number(values["redis-latency"]);
const connections = Number(values.connections);
for (const [name, value] of Object.entries({ rate, seconds, instances, latencyMs, connections })) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`newcomers: --${name} must be a number >= 0, got ${value}`);
}

/** One newcomer: when it was sent (ms from the start), what it got, how long the answer took. */
interface Newcomer {
  readonly sentAt: number;
  status: number;
  position: number | null;
  ms: number;
}

/** Script calls and their Redis time since the last reset (INFO commandstats). */
async function scriptStats(redis: Redis): Promise<{ calls: number; usec: number }> {
  const text = await redis.info("commandstats");
  let calls = 0;
  let usec = 0;
  for (const line of text.split("\n")) {
    const match = /^cmdstat_(evalsha|eval):(.*)$/.exec(line.trim());
    if (!match?.[2]) continue;
    const fields = Object.fromEntries(match[2].split(",").map((kv) => kv.split("=") as [string, string]));
    calls += Number(fields.calls ?? 0) + Number(fields.failed_calls ?? 0) + Number(fields.rejected_calls ?? 0);
    usec += Number(fields.usec ?? 0);
  }
  return { calls, usec };
}

/**
 * Newcomers placed ahead of one sent at least `resolutionMs` before them: for
 * each newcomer, the highest position among those sent that much earlier; a
 * higher one than its own is an inversion.
 */
function inversions(placed: readonly Newcomer[], resolutionMs: number): number {
  const sorted = [...placed].sort((a, b) => a.sentAt - b.sentAt);
  let count = 0;
  let highestBefore = 0;
  let j = 0;
  for (const newcomer of sorted) {
    while (j < sorted.length && (sorted[j] as Newcomer).sentAt <= newcomer.sentAt - resolutionMs) {
      highestBefore = Math.max(highestBefore, (sorted[j] as Newcomer).position ?? 0);
      j += 1;
    }
    if ((newcomer.position ?? 0) < highestBefore) count += 1;
  }
  return count;
}

async function main() {
  const run = labRun("newcomers", (seconds + 240) * 1000);
  try {
    const { redis: server, bridge } = await startLabStore(run, {
      ...(latencyMs > 0 ? { latency: { roundTripMs: latencyMs } } : {}),
      labels: true,
    });
    const origin = await startOrigin({ kind: "fast", capacity: 64, serviceMs: 1, maxWaitMs: 1000, backlogLimit: 1000 });
    run.defer(() => origin.close());
    const vars = await workerVars({
      ROOM: "flood",
      // A slow room: nearly everyone queues, so nearly every newcomer's position is known.
      ADMIT_PER_MINUTE: "60",
      COOKIE_CHECK: "off",
      ORIGIN_URL: origin.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
    });
    console.error(`newcomers: starting ${instances} instance(s)…`);
    const fleet = await startFleet({
      instances,
      vars: (slot) => ({ ...vars, UPSTASH_REDIS_REST_URL: labelledUrl(bridge.url, `i${slot}`) }),
    });
    run.defer(() => fleet.close());
    const redis = new Redis(server.url);
    run.defer(async () => redis.disconnect());
    const agent = new Agent({ connections, pipelining: 1 });
    run.defer(() => agent.close());
    // Warm every instance (its first request compiles and loads the scripts), then start counting.
    for (let i = 0; i < instances * 4; i++)
      await request(`${fleet.url}/__anteroom/status`, { dispatcher: agent }).then((r) => r.body.dump());
    await redis.config("RESETSTAT");

    const newcomers: Newcomer[] = [];
    const total = Math.round(rate * seconds);
    const start = performance.now();
    const pending: Promise<void>[] = [];
    console.error(
      `newcomers: ${total} newcomers at ${rate}/s for ${seconds} s, ${instances} instance(s), ${latencyMs} ms to Redis…`,
    );
    for (let sent = 0; sent < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        const newcomer: Newcomer = { sentAt: performance.now() - start, status: 0, position: null, ms: 0 };
        newcomers.push(newcomer);
        pending.push(
          request(`${fleet.url}/api/item`, { dispatcher: agent, headers: { accept: "application/json" } })
            .then(async (res) => {
              newcomer.status = res.statusCode;
              const text = await res.body.text();
              if (res.statusCode === 429)
                newcomer.position = (JSON.parse(text) as { position?: number }).position ?? null;
            })
            .catch(() => {
              newcomer.status = -1;
            })
            .finally(() => {
              newcomer.ms = performance.now() - start - newcomer.sentAt;
            }),
        );
      }
      await sleep(5);
    }
    const sendSeconds = (performance.now() - start) / 1000;
    await Promise.all(pending);
    const answeredSeconds = (performance.now() - start) / 1000;
    const stats = await scriptStats(redis);
    const placed = newcomers.filter((n) => n.position !== null);
    const positions = placed.map((n) => n.position as number);
    const statuses: Record<string, number> = {};
    for (const n of newcomers) statuses[n.status] = (statuses[n.status] ?? 0) + 1;
    const ms = newcomers.map((n) => n.ms).sort((a, b) => a - b);
    const report = {
      instances,
      redisLatencyMs: latencyMs,
      targetRate: rate,
      newcomers: total,
      sentPerSecond: round(total / sendSeconds, 1),
      answeredPerSecond: round(total / answeredSeconds, 1),
      statuses,
      scriptCalls: stats.calls,
      callsPerNewcomer: round(stats.calls / total, 4),
      redisUsecPerNewcomer: round(stats.usec / total, 2),
      redisUsecPerCall: round(stats.usec / stats.calls, 1),
      newcomersPerCall: round(total / stats.calls, 2),
      fifoInversions1s: inversions(placed, 1000),
      sharedPositions: positions.length - new Set(positions).size,
      answerMs: {
        p50: round(percentile(ms, 50), 1),
        p90: round(percentile(ms, 90), 1),
        p99: round(percentile(ms, 99), 1),
      },
    };
    console.log(JSON.stringify(report, null, 2));
    if (values.out) await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await run.finish();
  }
}

await main();
