// Closed-loop load for `npm run bench`: a fixed number of keep-alive
// connections, each sending its next request as soon as the previous answer
// is read, for a fixed time and at most a fixed count. Requests come from a
// stream (visitors' page views in random order, newcomers, ...), so every
// target can be driven with a realistic mix rather than one request repeated.
import { Pool } from "undici";
import type { CpuMeter, CpuSnapshot } from "./cpu.ts";
import { percentile, round } from "./stats.ts";

/** One request of a stream. */
export interface BenchRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Called with the answer's Set-Cookie headers (a visitor keeping a renewed pass). */
  readonly onCookies?: (setCookie: string | string[]) => void;
}

/** Something to measure: a server and the requests it is sent. */
export interface Target {
  readonly name: string;
  readonly url: string;
  /** The next request; streams are endless (they cycle) and may be shared by nothing else. */
  next(): BenchRequest;
  /** Whether an answer is the one this target must give (e.g. the origin's page, not the holding page). */
  expect(status: number, body: string): boolean;
}

export interface Measurement {
  readonly requests: number;
  readonly ok: number;
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** workerd CPU per answered request, µs (user + system of every workerd thread). */
  readonly workerdCpuUs: number | null;
  /** CPU of every process of the bench per answered request, µs: workerd, this process (client, origin, bridge), redis-server. */
  readonly benchCpuUs: number | null;
  /** CPU of the load generator's own thread per request, µs. */
  readonly clientCpuUs: number | null;
  /** Answers that set a cookie (for an admitted view: its pass was re-issued). */
  readonly setCookie: number;
  /** A few unexpected answers, for diagnosis. */
  readonly unexpected: readonly string[];
}

/** Pools by server, shared by every target on that server; closed by {@link closePools}. */
const pools = new Map<string, Pool>();

function poolFor(url: string, connections: number): Pool {
  let pool = pools.get(url);
  if (!pool) {
    pool = new Pool(url, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    pools.set(url, pool);
  }
  return pool;
}

export async function closePools(): Promise<void> {
  for (const pool of pools.values()) await pool.close().catch(() => {});
  pools.clear();
}

/** Upper bound of requests in one measurement, whatever the speed. */
const MAX_REQUESTS = 300_000;

/**
 * Runs `target` at `concurrency` for `seconds` (and at most 300,000
 * requests): throughput of expected answers, latency, and CPU per request.
 */
export async function measure(
  target: Target,
  seconds: number,
  concurrency: number,
  meter: CpuMeter,
): Promise<Measurement> {
  const pool = poolFor(target.url, concurrency);
  const latencies: number[] = [];
  const unexpected: string[] = [];
  let ok = 0;
  let requests = 0;
  let setCookies = 0;
  const cpu0 = meter.snapshot();
  const client0 = process.threadCpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end && requests < MAX_REQUESTS) {
        const request = target.next();
        const t = performance.now();
        requests += 1;
        try {
          const res = await pool.request({ path: request.path, method: "GET", headers: request.headers });
          const body = await res.body.text();
          const setCookie = res.headers["set-cookie"];
          if (setCookie) {
            setCookies += 1;
            request.onCookies?.(setCookie);
          }
          if (target.expect(res.statusCode, body)) ok += 1;
          else if (unexpected.length < 3) unexpected.push(`${res.statusCode} ${body.slice(0, 160)}`);
        } catch (error) {
          if (unexpected.length < 3) unexpected.push(error instanceof Error ? error.message : String(error));
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu1 = meter.snapshot();
  const client = process.threadCpuUsage(client0);
  return {
    requests,
    ok,
    rps: round(ok / elapsed, 1) ?? 0,
    p50Ms: round(percentile(latencies, 50), 2),
    p95Ms: round(percentile(latencies, 95), 2),
    workerdCpuUs: perRequest(cpu0, cpu1, ok, ["workerd"]),
    benchCpuUs: perRequest(cpu0, cpu1, ok, ["workerd", "node", "redis"]),
    setCookie: setCookies,
    clientCpuUs: requests > 0 ? round((client.user + client.system) / requests, 1) : null,
    unexpected,
  };
}

/** CPU µs per request between two snapshots, summed over `parts`; null when one is unreadable. */
function perRequest(a: CpuSnapshot, b: CpuSnapshot, requests: number, parts: (keyof CpuSnapshot)[]): number | null {
  if (requests === 0) return null;
  let ms = 0;
  for (const part of parts) {
    const before = a[part];
    const after = b[part];
    if (before === null || after === null) return null;
    ms += after - before;
  }
  return round((ms * 1000) / requests, 1);
}
