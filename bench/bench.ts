// What the room costs on the request path, as ratios measured side by side.
//
//   npm run bench -- [--quick] [--out DIR] [--rounds N] [--seconds S] [--concurrency C]
//                    [--visitors N] [--waiting N] [--worker DIR] [--verbose]
//
// The room (the production entry worker/index.ts) and a bare worker
// (bench/bare/worker.ts: pass-through, or a static page) are bundled as
// `wrangler deploy` bundles them and run side by side in one workerd through
// Miniflare's API, each on a loopback socket of its own (no `wrangler dev`
// proxy, no Miniflare entry worker), in front of the same fast origin
// (bench/lib/origin-thread.ts) and, for the room, a private redis-server
// behind the project's Upstash REST bridge (tools/bridge.ts).
//
// Visitors are real: `--visitors` of them are let in through the room (each a
// JOIN in Redis and a pass of its own) and then browse, several page views
// each, in one random order; `--waiting` more hold tickets in a second room
// whose line does not move (rate 1/min). Each round measures every pair (room,
// then bare, or bare then room, alternating by round) for `--seconds` at a
// fixed concurrency; a ratio is the median of its per-round throughput ratios.
// Beside each: CPU time per request of workerd and of every bench process
// (/proc), which other jobs on a shared machine do not move, and the Redis
// commands each request kind sent (`INFO commandstats`).
//
// `--worker DIR` measures another tree with its own wrangler.toml (e.g. a
// `git archive` of an older commit, with node_modules linked) instead of this one.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { request as undiciRequest } from "undici";
import { ephemeralKeyring } from "../worker/tokens/keyring.ts";
import { readPass, signPass } from "../worker/tokens/pass.ts";
import { readTicket, signTicket } from "../worker/tokens/ticket.ts";
import { CpuMeter } from "./lib/cpu.ts";
import {
  admitVisitors,
  constant,
  newcomers,
  pageViews,
  positions,
  queueVisitors,
  waitingRequests,
} from "./lib/crowd.ts";
import { CookieJar, get, NAVIGATE_HEADERS, POLL_HEADERS, visitorAgent } from "./lib/http.ts";
import { fixedKeys } from "./lib/keys.ts";
import { labRun, startLabStore } from "./lib/lab.ts";
import { closePools, type Measurement, measure, type Target } from "./lib/load.ts";
import { type CommandCounts, commandDelta, RedisProbe } from "./lib/redis-stats.ts";
import { median, round, sleep } from "./lib/stats.ts";
import { startOrigin } from "./lib/threads.ts";
import { startWorkers, type Workers } from "./lib/workerd.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The goal of issue 12: an admitted page view costs at most 5% of a bare worker's throughput. */
const ADMITTED_TARGET = 0.95;
/** The holding page's goal since issue 5. */
const HOLDING_TARGET = 0.8;

/** A request kind of the room beside its baseline in the bare worker. */
interface Pair {
  readonly key: string;
  readonly room: Target;
  readonly bare: Target;
  /** Minimum ratio, when there is a goal. */
  readonly goal: number | null;
}

/** The origin's page: what a pass-through must answer. */
const fromOrigin = (status: number, body: string) => status === 200 && body.includes("<h1>Shop</h1>");
const holdingPage = (status: number, body: string) => status === 200 && body.includes("data-refresh");

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

/** Checks every side answers as it must before anything is timed. */
async function probe(target: Target): Promise<void> {
  const request = target.next();
  // undici's request, not fetch: fetch sets Sec-Fetch-Mode itself, and the room reads it.
  const res = await undiciRequest(`${target.url}${request.path}`, { headers: request.headers });
  const body = await res.body.text();
  if (!target.expect(res.statusCode, body)) {
    throw new Error(`${target.name}: unexpected answer ${res.statusCode}: ${body.slice(0, 300)}`);
  }
}

/**
 * How a request reaches the worker, for the report: the bare pass-through
 * through `Miniflare#dispatchFetch`, through Miniflare's entry socket, and on
 * its own socket (what the rounds use).
 */
async function transports(workers: Workers, bareDirect: Target, seconds: number, concurrency: number, meter: CpuMeter) {
  const viaDispatch = async () => {
    let ok = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    let count = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end && count < 100_000) {
          count += 1;
          const res = await workers.dispatchFetch("/page", { headers: { ...NAVIGATE_HEADERS } }).catch(() => null);
          if (res && fromOrigin(res.status, res.body)) ok += 1;
        }
      }),
    );
    return round(ok / ((performance.now() - start) / 1000), 1);
  };
  const viaEntry: Target = { ...bareDirect, name: "bare via entry socket", url: workers.entryUrl };
  return {
    dispatchFetchRps: await viaDispatch(),
    entrySocketRps: (await measure(viaEntry, seconds, concurrency, meter)).rps,
    directSocketRps: (await measure(bareDirect, seconds, concurrency, meter)).rps,
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
      visitors: { type: "string" },
      waiting: { type: "string" },
      worker: { type: "string" },
      verbose: { type: "boolean", default: false },
    },
  });
  const quick = values.quick ?? false;
  const rounds = Number(values.rounds ?? (quick ? 4 : 30));
  const seconds = Number(values.seconds ?? (quick ? 0.5 : 0.7));
  const concurrency = Number(values.concurrency ?? 16);
  const visitorCount = Number(values.visitors ?? (quick ? 200 : 1000));
  const waitingCount = Number(values.waiting ?? (quick ? 100 : 300));
  for (const [name, value, max] of [
    ["rounds", rounds, 200],
    ["seconds", seconds, 30],
    ["concurrency", concurrency, 256],
    ["visitors", visitorCount, 20_000],
    ["waiting", waitingCount, 5_000],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0 || value > max) throw new Error(`--${name} must be from 1 to ${max}`);
  }
  // The worker to measure: this checkout, or another tree (e.g. `git archive` of a commit) with its wrangler.toml.
  const workerRoot = resolve(values.worker ?? ROOT);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const out = resolve(values.out ?? join(ROOT, "bench", "out", `bench-${stamp}`));
  const started = Date.now();
  const pairsPerRound = 5;
  const run = labRun("bench", (rounds * pairsPerRound * 2 * (seconds + 0.5) + 240) * 1000);
  const verbose = values.verbose ?? false;
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

  try {
    const { redis, bridge } = await startLabStore(run);
    const origin = await startOrigin({ kind: "fast", capacity: 0, serviceMs: 0, maxWaitMs: 0, backlogLimit: 0 });
    run.defer(() => origin.close());
    const redisProbe = new RedisProbe(redis.url);
    run.defer(() => redisProbe.close());

    const keys = await fixedKeys();
    const store = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token };
    const roomName = `bench-${Date.now()}`;
    log(
      `bundling and starting the room and the bare worker in workerd (Miniflare)${values.worker ? ` from ${workerRoot}` : ""}…`,
    );
    const workers = await startWorkers(
      [
        // First: Miniflare's entry socket and dispatchFetch route to it (the transport comparison).
        {
          name: "bare",
          config: join(ROOT, "bench", "bare", "wrangler.toml"),
          vars: { ORIGIN_URL: origin.url },
        },
        {
          // Everyone straight in: the frontier leads by a second's worth of 60,000/min.
          name: "room",
          config: join(workerRoot, "wrangler.toml"),
          vars: {
            ...keys,
            ...store,
            ROOM: roomName,
            ADMIT_PER_MINUTE: "60000",
            // Long enough that no pass reaches half its life (and is re-issued) during a run.
            SESSION_MINUTES: "60",
            ORIGIN_URL: origin.url,
          },
        },
        {
          // A line that does not move while the bench runs: 1 admission a minute.
          name: "line",
          config: join(workerRoot, "wrangler.toml"),
          vars: {
            ...keys,
            ...store,
            ROOM: `${roomName}-line`,
            ADMIT_PER_MINUTE: "1",
            SESSION_MINUTES: "60",
            ORIGIN_URL: origin.url,
            // Newcomers here are one-off clients: each must take a place (a JOIN), not a cookie-check round trip.
            COOKIE_CHECK: "off",
          },
        },
      ],
      { verbose },
    );
    run.defer(() => workers.close());
    const roomUrl = workers.directUrl("room");
    const lineUrl = workers.directUrl("line");
    const bareUrl = workers.directUrl("bare");

    // Visitors come in through the real room; waiting visitors take places behind a few that go first.
    const agent = visitorAgent(concurrency, 10_000);
    const c0 = await redisProbe.commandCounts();
    const admitted = await admitVisitors(agent, roomUrl, visitorCount, { concurrency, deadlineMs: 60_000 });
    const c1 = await redisProbe.commandCounts();
    log(
      `${visitorCount} visitors let in (${admitted.straightIn} straight in, ${admitted.queuedFirst} after waiting) in ${admitted.ms} ms`,
    );
    // The rate still lets a few in (1 a minute, and its lead): the measured visitors stand behind 50 others.
    await queueVisitors(agent, lineUrl, 50, { concurrency, mustWait: false });
    const waiting = await queueVisitors(agent, lineUrl, waitingCount, { concurrency, mustWait: true });
    const waitingPositions = positions(waiting.jars);
    const sample = waiting.jars[0] ?? new CookieJar();
    const holding = await get(agent, `${lineUrl}/`, NAVIGATE_HEADERS, sample);
    const poll = await get(agent, `${lineUrl}/__anteroom/status`, POLL_HEADERS, sample);
    await agent.close();
    if (!holdingPage(holding.status, holding.body)) throw new Error(`no holding page: ${holding.status}`);
    if (poll.status !== 200 || !poll.body.includes('"queued"'))
      throw new Error(`no queued status: ${poll.status} ${poll.body}`);
    const holdingBytes = Buffer.byteLength(holding.body);
    const pollBytes = Buffer.byteLength(poll.body);

    const seed = 12;
    const views = { seed, minViews: 3, maxViews: 8 };
    const assets = { seed: seed + 1, minViews: 1, maxViews: 4, paths: ["/app.css", "/app.js", "/logo.svg"] };
    const waitingTimes = Math.max(3, Math.ceil(3000 / waitingCount));
    const pairs: Pair[] = [
      {
        key: "admittedPageView",
        room: {
          name: "room: admitted page view (visitors with passes, random order)",
          url: roomUrl,
          next: pageViews(admitted.jars, views),
          expect: fromOrigin,
        },
        bare: {
          name: "bare pass-through worker (same requests)",
          url: bareUrl,
          next: pageViews(admitted.jars, views),
          expect: fromOrigin,
        },
        goal: ADMITTED_TARGET,
      },
      {
        key: "bypassedPath",
        room: {
          name: "room: bypassed path (/app.css etc., with passes)",
          url: roomUrl,
          next: pageViews(admitted.jars, assets),
          expect: fromOrigin,
        },
        bare: {
          name: "bare pass-through worker (same requests)",
          url: bareUrl,
          next: pageViews(admitted.jars, assets),
          expect: fromOrigin,
        },
        goal: null,
      },
      {
        key: "holdingPage",
        room: {
          name: "room: holding page (waiting visitors' page views)",
          url: lineUrl,
          next: waitingRequests(waiting.jars, {
            seed: seed + 2,
            times: waitingTimes,
            path: "/",
            headers: { ...NAVIGATE_HEADERS },
          }),
          expect: holdingPage,
        },
        bare: {
          name: `bare static response (${holdingBytes} bytes)`,
          url: bareUrl,
          next: constant(`/__bare/static?bytes=${holdingBytes}`, { ...NAVIGATE_HEADERS }),
          expect: (status) => status === 200,
        },
        goal: HOLDING_TARGET,
      },
      {
        key: "waitingPoll",
        room: {
          name: "room: waiting poll (/__anteroom/status)",
          url: lineUrl,
          next: waitingRequests(waiting.jars, {
            seed: seed + 3,
            times: waitingTimes,
            path: "/__anteroom/status",
            headers: { ...POLL_HEADERS },
          }),
          expect: (status, body) => status === 200 && body.includes('"queued"'),
        },
        bare: {
          name: `bare static response (${pollBytes} bytes)`,
          url: bareUrl,
          next: constant(`/__bare/static?bytes=${pollBytes}`, { ...POLL_HEADERS }),
          expect: (status) => status === 200,
        },
        goal: null,
      },
      {
        key: "newcomer",
        room: {
          name: "room: newcomer (no cookie: a JOIN, then the holding page)",
          url: lineUrl,
          next: newcomers("/"),
          expect: holdingPage,
        },
        bare: {
          name: `bare static response (${holdingBytes} bytes)`,
          url: bareUrl,
          next: constant(`/__bare/static?bytes=${holdingBytes}`, { ...NAVIGATE_HEADERS }),
          expect: (status) => status === 200,
        },
        goal: null,
      },
    ];
    for (const pair of pairs) {
      await probe(pair.room);
      await probe(pair.bare);
    }

    const meter = new CpuMeter();
    const transport = await transports(workers, pairs[0]?.bare as Target, quick ? 1 : 2, concurrency, meter);
    log(
      `transport (bare pass-through, req/s): dispatchFetch ${transport.dispatchFetchRps}, entry socket ${transport.entrySocketRps}, own socket ${transport.directSocketRps}`,
    );

    // Warm-up: every side once, short (JIT, connection pools, the room's view of Redis).
    for (const pair of pairs) {
      await measure(pair.room, quick ? 0.5 : 1, concurrency, meter);
      await measure(pair.bare, quick ? 0.5 : 1, concurrency, meter);
    }

    const results = new Map<string, { room: Measurement[]; bare: Measurement[]; redis: CommandCounts[] }>();
    for (const pair of pairs) results.set(pair.key, { room: [], bare: [], redis: [] });
    const loads: number[] = [];
    for (let r = 0; r < rounds; r += 1) {
      for (const pair of pairs) {
        const slot = results.get(pair.key);
        if (!slot) continue;
        // The bare side never calls Redis: what the pair's measurements sent is the room's.
        const before = await redisProbe.commandCounts();
        const sides = r % 2 === 0 ? ([pair.room, pair.bare] as const) : ([pair.bare, pair.room] as const);
        for (const side of sides) {
          const m = await measure(side, seconds, concurrency, meter);
          (side === pair.room ? slot.room : slot.bare).push(m);
        }
        // Background ticks (waitUntil) finish just after the last answer.
        await sleep(100);
        const delta = commandDelta(before, await redisProbe.commandCounts());
        slot.redis.push({ scripts: delta.scripts, inner: delta.inner, ...delta.byCommand });
      }
      loads.push(loadavg()[0] ?? 0);
      log(`round ${r + 1}/${rounds} done`);
    }
    await closePools();

    const comparisons = Object.fromEntries(
      pairs.map((pair) => {
        const slot = results.get(pair.key) ?? { room: [], bare: [], redis: [] };
        return [pair.key, summarize(pair, slot.room, slot.bare, slot.redis)];
      }),
    );
    // Derived, per round: the pass check (admitted / bypassed, both in the room).
    const admittedRuns = results.get("admittedPageView")?.room ?? [];
    const bypassRuns = results.get("bypassedPath")?.room ?? [];
    const passRatios = admittedRuns.map((m, i) => m.rps / (bypassRuns[i]?.rps || Number.NaN));
    const passVsBypass = {
      ratio: round(median(passRatios), 3),
      ratioMin: round(Math.min(...passRatios), 3),
      ratioMax: round(Math.max(...passRatios), 3),
      passCheckThroughputTimeUs: round(
        (1 / (median(admittedRuns.map((m) => m.rps)) ?? Number.NaN) -
          1 / (median(bypassRuns.map((m) => m.rps)) ?? Number.NaN)) *
          1e6,
        1,
      ),
    };
    const admissionCommands = commandDelta(c0, c1);
    const inNode = await tokenCosts(quick ? 500 : 3000);
    const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
    const admittedRatio = comparisons.admittedPageView?.ratio ?? null;
    const report = {
      generatedAt: new Date().toISOString(),
      machine: {
        cpus: availableParallelism(),
        cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
        node: process.version,
        loadAverage1m: { min: round(Math.min(...loads), 2), max: round(Math.max(...loads), 2) },
      },
      quick,
      method: {
        runtime: "workerd through Miniflare's API (new Miniflare), one instance, three workers",
        bundle: "wrangler deploy --dry-run --outdir (the bundle a deploy uploads)",
        transport:
          "each worker on its own loopback socket (Miniflare unsafeDirectSockets), undici keep-alive pool; no wrangler dev proxy, no Miniflare entry worker",
        worker: relative(ROOT, workerRoot) || ".",
        bundleBytes: workers.bundleBytes,
      },
      settings: {
        rounds,
        secondsPerMeasurement: seconds,
        concurrency,
        visitors: visitorCount,
        pageViewsPerVisitor: `${views.minViews}-${views.maxViews}`,
        waitingVisitors: waitingCount,
        waitingPositions: waitingPositions.length
          ? { min: Math.min(...waitingPositions), max: Math.max(...waitingPositions) }
          : null,
      },
      target: {
        admittedPageViewOverBarePassThrough: ADMITTED_TARGET,
        measured: admittedRatio,
        met: admittedRatio !== null && admittedRatio >= ADMITTED_TARGET,
      },
      admittedThroughputRatio: admittedRatio,
      holdingPageThroughputRatio: comparisons.holdingPage?.ratio ?? null,
      waitingPollThroughputRatio: comparisons.waitingPoll?.ratio ?? null,
      newcomerThroughputRatio: comparisons.newcomer?.ratio ?? null,
      bypassThroughputRatio: comparisons.bypassedPath?.ratio ?? null,
      passCheckThroughputRatio: passVsBypass.ratio,
      passVerification: {
        ...passVsBypass,
        note: "admitted / bypassed path in the same worker, per round; time = 1/rps (admitted) - 1/rps (bypassed), medians",
        inNode,
      },
      admission: {
        visitors: visitorCount,
        straightIn: admitted.straightIn,
        queuedFirst: admitted.queuedFirst,
        statusPolls: admitted.polls,
        ms: admitted.ms,
        redis: admissionCommands,
        scriptsPerVisitor: round(admissionCommands.scripts / visitorCount, 3),
      },
      transport,
      comparisons,
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
    await mkdir(out, { recursive: true });
    await writeFile(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    const md = markdown(report, pairs, comparisons);
    await writeFile(join(out, "report.md"), md);
    console.log(md);
    console.log(`bench: report in ${relative(process.cwd(), out) || "."}/ (report.json, report.md)`);
  } finally {
    await closePools();
    await run.finish();
  }
}

/** One pair over the rounds: ratio of throughputs (median of per-round ratios), latency, CPU and Redis per request. */
function summarize(pair: Pair, room: Measurement[], bare: Measurement[], redis: CommandCounts[]) {
  const ratios = room.map((m, i) => m.rps / (bare[i]?.rps || Number.NaN));
  // The worker's own cost, immune to what else the machine runs: workerd CPU per request, bare ÷ room (1 = free).
  const cpuRatios = room.map((m, i) => {
    const b = bare[i]?.workerdCpuUs;
    return m.workerdCpuUs && b ? b / m.workerdCpuUs : Number.NaN;
  });
  // The same over every process of the bench (workerd, client, origin, bridge, Redis): the throughput ratio a
  // machine running nothing else would show, where all of them share the CPUs.
  const benchRatios = room.map((m, i) => {
    const b = bare[i]?.benchCpuUs;
    return m.benchCpuUs && b ? b / m.benchCpuUs : Number.NaN;
  });
  const roomRequests = room.reduce((sum, m) => sum + m.requests, 0);
  const scripts = redis.reduce((sum, d) => sum + (d.scripts ?? 0), 0);
  const inner = redis.reduce((sum, d) => sum + (d.inner ?? 0), 0);
  const byCommand: CommandCounts = {};
  for (const d of redis) {
    for (const [name, n] of Object.entries(d))
      if (name !== "scripts" && name !== "inner") byCommand[name] = (byCommand[name] ?? 0) + n;
  }
  const med = (values: (number | null)[]) => round(median(values.filter((v): v is number => v !== null)), 1);
  return {
    room: pair.room.name,
    bare: pair.bare.name,
    ratio: round(median(ratios), 3),
    ratioMin: round(Math.min(...ratios), 3),
    ratioMax: round(Math.max(...ratios), 3),
    perRound: ratios.map((r) => round(r, 3)),
    goal: pair.goal,
    met: pair.goal === null ? null : (median(ratios) ?? 0) >= pair.goal,
    roomRps: med(room.map((m) => m.rps)),
    bareRps: med(bare.map((m) => m.rps)),
    roomP50Ms: round(median(room.map((m) => m.p50Ms ?? 0)), 2),
    bareP50Ms: round(median(bare.map((m) => m.p50Ms ?? 0)), 2),
    roomP95Ms: round(median(room.map((m) => m.p95Ms ?? 0)), 2),
    bareP95Ms: round(median(bare.map((m) => m.p95Ms ?? 0)), 2),
    roomWorkerdCpuUs: med(room.map((m) => m.workerdCpuUs)),
    bareWorkerdCpuUs: med(bare.map((m) => m.workerdCpuUs)),
    workerdCpuRatio: round(median(cpuRatios.filter(Number.isFinite)), 3),
    workerdCpuRatioMin: round(Math.min(...cpuRatios.filter(Number.isFinite)), 3),
    workerdCpuRatioMax: round(Math.max(...cpuRatios.filter(Number.isFinite)), 3),
    roomBenchCpuUs: med(room.map((m) => m.benchCpuUs)),
    bareBenchCpuUs: med(bare.map((m) => m.benchCpuUs)),
    benchCpuRatio: round(median(benchRatios.filter(Number.isFinite)), 3),
    clientCpuUs: med([...room, ...bare].map((m) => m.clientCpuUs)),
    roomRequests,
    roomAnswersSettingCookies: room.reduce((sum, m) => sum + m.setCookie, 0),
    unexpectedAnswers: [...room, ...bare].reduce((sum, m) => sum + (m.requests - m.ok), 0),
    unexpectedSamples: [...room, ...bare].flatMap((m) => m.unexpected).slice(0, 3),
    redis: {
      scriptCallsPerRequest: round(scripts / Math.max(1, roomRequests), 5),
      commandsInsideScriptsPerRequest: round(inner / Math.max(1, roomRequests), 5),
      scriptCalls: scripts,
      byCommand,
    },
  };
}

type Summary = ReturnType<typeof summarize>;

function markdown(
  report: {
    quick: boolean;
    settings: {
      rounds: number;
      secondsPerMeasurement: number;
      concurrency: number;
      visitors: number;
      waitingVisitors: number;
    };
    target: { measured: number | null; met: boolean };
    passVerification: {
      ratio: number | null;
      ratioMin: number | null;
      ratioMax: number | null;
      passCheckThroughputTimeUs: number | null;
      inNode: { passVerifyUs: number | null; passSignUs: number | null; ticketVerifyUs: number | null };
    };
    transport: { dispatchFetchRps: number | null; entrySocketRps: number; directSocketRps: number };
    admission: { visitors: number; scriptsPerVisitor: number | null; straightIn: number; queuedFirst: number };
    machine: { loadAverage1m: { min: number | null; max: number | null } };
  },
  pairs: readonly Pair[],
  comparisons: Record<string, Summary>,
): string {
  const s = report.settings;
  const rows = pairs.map((pair) => {
    const c = comparisons[pair.key];
    if (!c) return "";
    const goal = c.goal === null ? "" : `>= ${c.goal}: ${c.met ? "met" : "**NOT met**"}`;
    return `| ${c.room} ÷ ${c.bare} | **${c.ratio}** (${c.ratioMin}-${c.ratioMax}) | ${c.roomRps} / ${c.bareRps} | ${c.roomP50Ms} / ${c.bareP50Ms} | ${c.roomWorkerdCpuUs} / ${c.bareWorkerdCpuUs} (${c.workerdCpuRatio}) | ${c.roomBenchCpuUs} / ${c.bareBenchCpuUs} (${c.benchCpuRatio}) | ${c.redis.scriptCallsPerRequest} | ${goal} |`;
  });
  const p = report.passVerification;
  const t = report.transport;
  return [
    `## Bench${report.quick ? " (quick)" : ""}`,
    "",
    `Room and bare worker side by side in one workerd (Miniflare API, each on its own loopback socket). ${s.visitors} visitors let in through the room, 3-8 page views each in random order; ${s.waitingVisitors} waiting visitors. ${s.rounds} rounds of ${s.secondsPerMeasurement} s per side (room and bare alternate which goes first), concurrency ${s.concurrency}, keep-alive; ratio = median of per-round throughput ratios (min-max). Load average (1 min) during the rounds: ${report.machine.loadAverage1m.min}-${report.machine.loadAverage1m.max}.`,
    "",
    `**Target: admitted page view ÷ bare pass-through worker >= ${ADMITTED_TARGET}: ${report.target.met ? "met" : "NOT met"} (${report.target.measured}).**`,
    "",
    "| room ÷ baseline | throughput ratio | req/s room / bare | p50 ms room / bare | workerd CPU µs per request, room / bare (bare ÷ room) | CPU µs per request of all bench processes, room / bare (bare ÷ room) | Redis script calls per request | goal |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `Pass check: admitted ÷ bypassed path in the same worker ${p.ratio} (${p.ratioMin}-${p.ratioMax}), ${p.passCheckThroughputTimeUs} µs of request-path time per view; in Node (jose): ES256 verify ${p.inNode.passVerifyUs} µs, ES256 sign ${p.inNode.passSignUs} µs, HS256 ticket verify ${p.inNode.ticketVerifyUs} µs.`,
    "",
    `Letting the ${report.admission.visitors} visitors in: ${report.admission.scriptsPerVisitor} Redis script calls per visitor (${report.admission.straightIn} straight in, ${report.admission.queuedFirst} after a wait).`,
    "",
    `Transport (bare pass-through, req/s): Miniflare dispatchFetch ${t.dispatchFetchRps}, Miniflare entry socket ${t.entrySocketRps}, the worker's own socket ${t.directSocketRps} (used above).`,
    "",
  ].join("\n");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
