// What the room costs on the request path, as ratios measured side by side.
//
//   npm run bench -- [--quick] [--out DIR] [--rounds N] [--seconds S] [--concurrency C] [--verbose]
//
// Two workers in workerd (`wrangler dev`), both in front of the same fast
// origin (bench/lib/origin-thread.ts, "fast"): the room (worker/, against a
// private redis-server through the REST bridge) and a bare worker
// (bench/bare/worker.ts: pass-through, or a static page). Each comparison
// alternates A and B in rounds (A B, then B A, ...) at a fixed concurrency
// with keep-alive, and quotes the median of the per-round ratios.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { startStack } from "../tools/stack.ts";
import { startWranglerDev } from "../tools/wrangler.ts";
import { ephemeralKeyring } from "../worker/tokens/keyring.ts";
import { readPass, signPass } from "../worker/tokens/pass.ts";
import { readTicket, signTicket } from "../worker/tokens/ticket.ts";
import { CookieJar, get, NAVIGATE_HEADERS, POLL_HEADERS, visitorAgent } from "./lib/http.ts";
import { fixedKeys } from "./lib/keys.ts";
import { labRun, startLabStore } from "./lib/lab.ts";
import { commandDelta, RedisProbe } from "./lib/redis-stats.ts";
import { median, percentile, round } from "./lib/stats.ts";
import { startOrigin } from "./lib/threads.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Target {
  readonly name: string;
  readonly pool: Pool;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Checks a response body is what this target must answer (e.g. the holding page, not the site). */
  readonly expect: (status: number, body: string) => boolean;
}

interface Measurement {
  readonly requests: number;
  readonly ok: number;
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

/** Fixed concurrency for `seconds`; bounded in time and in count. */
async function measure(target: Target, seconds: number, concurrency: number): Promise<Measurement> {
  const latencies: number[] = [];
  let ok = 0;
  let requests = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const maxRequests = 200_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end && requests < maxRequests) {
        const t = performance.now();
        requests += 1;
        try {
          const res = await target.pool.request({ path: target.path, method: "GET", headers: target.headers });
          const body = await res.body.text();
          if (target.expect(res.statusCode, body)) ok += 1;
        } catch {}
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return {
    requests,
    ok,
    rps: round(ok / elapsed, 1) ?? 0,
    p50Ms: round(percentile(latencies, 50), 2),
    p95Ms: round(percentile(latencies, 95), 2),
  };
}

/** A against B, alternating, `rounds` times; the median of per-round throughput ratios. */
async function compare(
  a: Target,
  b: Target,
  rounds: number,
  seconds: number,
  concurrency: number,
  onRound?: () => void,
) {
  await measure(a, Math.min(1, seconds / 2), concurrency);
  await measure(b, Math.min(1, seconds / 2), concurrency);
  const as: Measurement[] = [];
  const bs: Measurement[] = [];
  for (let r = 0; r < rounds; r += 1) {
    if (r % 2 === 0) {
      as.push(await measure(a, seconds, concurrency));
      bs.push(await measure(b, seconds, concurrency));
    } else {
      bs.push(await measure(b, seconds, concurrency));
      as.push(await measure(a, seconds, concurrency));
    }
    onRound?.();
  }
  const ratios = as.map((m, i) => m.rps / (bs[i]?.rps || Number.NaN));
  const errors = [...as, ...bs].reduce((sum, m) => sum + (m.requests - m.ok), 0);
  return {
    a: a.name,
    b: b.name,
    ratio: round(median(ratios), 3),
    ratioMin: round(Math.min(...ratios), 3),
    ratioMax: round(Math.max(...ratios), 3),
    aRps: round(median(as.map((m) => m.rps)), 1),
    bRps: round(median(bs.map((m) => m.rps)), 1),
    aP50Ms: round(median(as.map((m) => m.p50Ms ?? 0)), 2),
    bP50Ms: round(median(bs.map((m) => m.p50Ms ?? 0)), 2),
    aRequests: as.reduce((sum, m) => sum + m.requests, 0),
    unexpectedResponses: errors,
    rounds: as.map((m, i) => ({ a: m, b: bs[i] })),
  };
}

/** jose in Node, per operation: the pass (ES256) and ticket (HS256) checks the worker does. */
async function tokenCosts(iterations: number) {
  const keyring = await ephemeralKeyring();
  const passOptions = { keyring, issuer: "anteroom", audience: "anteroom-origin", room: "bench", sessionSeconds: 600 };
  const ticketOptions = { key: new Uint8Array(32).fill(7), issuer: "anteroom", room: "bench", ttlSeconds: 3600 };
  const now = Date.now();
  const pass = await signPass("visitor", passOptions, now);
  const ticket = await signTicket(
    {
      kind: "place",
      room: "bench",
      position: 42,
      joinedFrontier: 1,
      visitorId: "v",
      issuedAt: Math.floor(now / 1000),
      clientHint: null,
    },
    ticketOptions,
  );
  const time = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 200; i += 1) await fn();
    const start = performance.now();
    for (let i = 0; i < iterations; i += 1) await fn();
    return round(((performance.now() - start) * 1000) / iterations, 1);
  };
  return {
    passVerifyUs: await time(async () => {
      if (!(await readPass(pass, passOptions, now)).ok) throw new Error("pass did not verify");
    }),
    passSignUs: await time(() => signPass("visitor", passOptions, now)),
    ticketVerifyUs: await time(async () => {
      if (!(await readTicket(ticket, ticketOptions, now)).ok) throw new Error("ticket did not verify");
    }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      rounds: { type: "string" },
      seconds: { type: "string" },
      concurrency: { type: "string" },
      verbose: { type: "boolean", default: false },
    },
  });
  const quick = values.quick ?? false;
  const rounds = Number(values.rounds ?? (quick ? 2 : 6));
  const seconds = Number(values.seconds ?? (quick ? 1 : 3));
  const concurrency = Number(values.concurrency ?? (quick ? 8 : 16));
  for (const [name, value, max] of [
    ["rounds", rounds, 50],
    ["seconds", seconds, 30],
    ["concurrency", concurrency, 256],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0 || value > max) throw new Error(`--${name} must be from 1 to ${max}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const out = resolve(values.out ?? join(ROOT, "bench", "out", `bench-${stamp}`));
  const started = Date.now();
  const run = labRun("bench", (4 * rounds * seconds * 2 + 240) * 1000);

  try {
    const { redis, bridge } = await startLabStore(run);
    const origin = await startOrigin({ kind: "fast", capacity: 0, serviceMs: 0, maxWaitMs: 0, backlogLimit: 0 });
    run.defer(() => origin.close());
    const probe = new RedisProbe(redis.url);
    run.defer(() => probe.close());
    console.error("bench: starting the room and the bare worker (wrangler dev)…");
    const stack = await startStack({
      env: {
        PORT: "0",
        ROOM: `bench-${Date.now()}`,
        ADMIT_PER_MINUTE: "1",
        SESSION_MINUTES: "120",
        // The bench mints its tickets and passes with one-off requests; it measures the request path, not the cookie check.
        COOKIE_CHECK: "off",
        ORIGIN_URL: origin.url,
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        // Fixed keys: a wrangler rebuild (it watches worker/) must not invalidate every ticket and pass mid-run.
        ...(await fixedKeys()),
      },
      verbose: values.verbose ?? false,
    });
    run.defer(() => stack.stop());

    // A pass: the room's first visitor goes straight in.
    const agent = visitorAgent(8, 10_000);
    const passJar = new CookieJar();
    await get(agent, `${stack.url}/`, NAVIGATE_HEADERS, passJar);
    const pass = passJar.get("anteroom_pass");
    if (!pass) throw new Error("the first visitor got no pass");
    // A long line behind it (1 admission a minute), and a ticket at its end.
    let ticketJar = new CookieJar();
    for (let i = 0; i < 300; i += 1) {
      ticketJar = new CookieJar();
      await get(agent, `${stack.url}/`, POLL_HEADERS, ticketJar);
    }
    const ticket = ticketJar.get("anteroom_ticket");
    if (!ticket) throw new Error("the 300th newcomer got no ticket");
    const holding = await get(agent, `${stack.url}/`, NAVIGATE_HEADERS, ticketJar);
    if (holding.status !== 200 || !holding.body.includes("data-refresh")) throw new Error("no holding page");
    await agent.close();
    const holdingBytes = Buffer.byteLength(holding.body);
    // The bare worker's static page has the holding page's size, so it starts once that is known.
    const bareWorker = await startWranglerDev({
      config: join(ROOT, "bench", "bare", "wrangler.toml"),
      vars: { ORIGIN_URL: origin.url, STATIC_BYTES: String(holdingBytes) },
      readyPath: "/__bare/static",
      verbose: values.verbose ?? false,
    });
    run.defer(() => bareWorker.stop());

    const pools: Pool[] = [];
    const pool = (url: string) => {
      const p = new Pool(url, { connections: concurrency, keepAliveTimeout: 30_000, headersTimeout: 10_000 });
      pools.push(p);
      return p;
    };
    const roomPool = pool(stack.url);
    const barePool = pool(bareWorker.url);
    const fromOrigin = (status: number, body: string) => status === 200 && body.includes("<h1>Shop</h1>");
    const admitted: Target = {
      name: "room: admitted page view (valid pass)",
      pool: roomPool,
      path: "/page",
      headers: { ...NAVIGATE_HEADERS, cookie: `anteroom_pass=${pass}` },
      expect: fromOrigin,
    };
    const passThrough: Target = {
      name: "bare pass-through worker",
      pool: barePool,
      path: "/page",
      headers: { ...NAVIGATE_HEADERS },
      expect: fromOrigin,
    };
    const holdingPage: Target = {
      name: "room: holding page (valid ticket, waiting)",
      pool: roomPool,
      path: "/",
      headers: { ...NAVIGATE_HEADERS, cookie: `anteroom_ticket=${ticket}` },
      expect: (status, body) => status === 200 && body.includes("data-refresh"),
    };
    const staticPage: Target = {
      name: `bare static response (${holdingBytes} bytes)`,
      pool: barePool,
      path: "/__bare/static",
      headers: { ...NAVIGATE_HEADERS },
      expect: (status) => status === 200,
    };
    const bypass: Target = {
      name: "room: bypassed path (/app.css, no pass check)",
      pool: roomPool,
      path: "/app.css",
      headers: { ...NAVIGATE_HEADERS, cookie: `anteroom_pass=${pass}` },
      expect: fromOrigin,
    };
    const bareCss: Target = { ...passThrough, name: "bare pass-through worker (/app.css)", path: "/app.css" };

    const progress = (label: string) => {
      let done = 0;
      return () => {
        done += 1;
        process.stderr.write(`bench: ${label}: round ${done}/${rounds}\n`);
      };
    };
    const c0 = await probe.commandCounts();
    const admittedVsBare = await compare(
      admitted,
      passThrough,
      rounds,
      seconds,
      concurrency,
      progress("admitted vs bare"),
    );
    const c1 = await probe.commandCounts();
    const holdingVsStatic = await compare(
      holdingPage,
      staticPage,
      rounds,
      seconds,
      concurrency,
      progress("holding vs static"),
    );
    const c2 = await probe.commandCounts();
    const passVsBypass = await compare(admitted, bypass, rounds, seconds, concurrency, progress("pass vs bypass"));
    const bypassVsBare = await compare(bypass, bareCss, rounds, seconds, concurrency, progress("bypass vs bare"));
    for (const p of pools) await p.close();
    const admittedCommands = commandDelta(c0, c1);
    const holdingCommands = commandDelta(c1, c2);
    const inNode = await tokenCosts(quick ? 500 : 3000);
    // Throughput time per request (1/rps): what a pass check adds to the room's own path.
    const passCostUs =
      passVsBypass.aRps && passVsBypass.bRps ? round((1 / passVsBypass.aRps - 1 / passVsBypass.bRps) * 1e6, 1) : null;
    const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
    const report = {
      generatedAt: new Date().toISOString(),
      machine: {
        cpus: availableParallelism(),
        cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
        node: process.version,
      },
      quick,
      settings: { rounds, secondsPerMeasurement: seconds, concurrency },
      admittedThroughputRatio: admittedVsBare.ratio,
      holdingPageThroughputRatio: holdingVsStatic.ratio,
      passCheckThroughputRatio: passVsBypass.ratio,
      bypassThroughputRatio: bypassVsBare.ratio,
      passVerification: {
        throughputTimeUs: passCostUs,
        note: "1/rps (valid pass) - 1/rps (bypassed path) in the same worker: request-path time a pass check adds, at this concurrency",
        inNode,
      },
      redisCommands: {
        perAdmittedRequest: round(admittedCommands.scripts / Math.max(1, admittedVsBare.aRequests), 5),
        perHoldingPage: round(holdingCommands.scripts / Math.max(1, holdingVsStatic.aRequests), 5),
        admittedPhase: admittedCommands,
        holdingPhase: holdingCommands,
      },
      comparisons: { admittedVsBare, holdingVsStatic, passVsBypass, bypassVsBare },
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
    await mkdir(out, { recursive: true });
    await writeFile(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    const line = (c: typeof admittedVsBare, goal: string) =>
      `| ${c.a} ÷ ${c.b} | **${c.ratio}** (${c.ratioMin}-${c.ratioMax}) | ${c.aRps} / ${c.bRps} | ${c.aP50Ms} / ${c.bP50Ms} | ${goal} |`;
    const md = [
      `## Bench${quick ? " (quick)" : ""}`,
      "",
      `${rounds} alternating rounds of ${seconds} s per side, concurrency ${concurrency}, keep-alive; ratio = median of per-round throughput ratios (min-max).`,
      "",
      "| comparison | throughput ratio | req/s A / B | p50 ms A / B | goal |",
      "|---|---|---|---|---|",
      line(
        admittedVsBare,
        `>= 0.90: ${admittedVsBare.ratio !== null && admittedVsBare.ratio >= 0.9 ? "met" : "**NOT met**"}`,
      ),
      line(
        holdingVsStatic,
        `>= 0.80: ${holdingVsStatic.ratio !== null && holdingVsStatic.ratio >= 0.8 ? "met" : "**NOT met**"}`,
      ),
      line(passVsBypass, "(pass check cost)"),
      line(bypassVsBare, "(framework cost)"),
      "",
      `Pass verification: ${passCostUs} µs of request-path time per request in workerd (from the throughputs above); in Node (jose): ES256 verify ${inNode.passVerifyUs} µs, ES256 sign ${inNode.passSignUs} µs, HS256 ticket verify ${inNode.ticketVerifyUs} µs.`,
      "",
      `Redis script calls: ${report.redisCommands.perAdmittedRequest} per admitted request (${admittedCommands.scripts} in ${admittedVsBare.aRequests}), ${report.redisCommands.perHoldingPage} per holding page (${holdingCommands.scripts} in ${holdingVsStatic.aRequests}).`,
      "",
    ].join("\n");
    await writeFile(join(out, "report.md"), md);
    console.log(md);
    console.log(`bench: report in ${relative(process.cwd(), out) || "."}/ (report.json, report.md)`);
  } finally {
    await run.finish();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
