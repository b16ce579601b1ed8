// The surge lab: replays a surge against the whole stack on loopback, with the
// room and then with the room stepped aside, and reports what it measured.
//
//   npm run surge -- [--profile tv|drop|steady] [--quick] [--abandon 0.3] [--out DIR]
//                    [--minute S] [--rate N] [--scale X] [--duration M]
//                    [--capacity N] [--service-ms M] [--seed N] [--skip-without] [--verbose]
//                    [--bots X] [--bot-requests N]
//                    [--max-active N] [--session-minutes M] [--release]
//                    [--autopilot] [--crowd-rate N] [--target-p95 MS] [--min-rate N] [--max-rate N]
//                    [--origin-timeout MS] [--capacity-change M:C ...] [--sustainable N] [--best-wait S]
//                    [--sweep R1,R2,...]
//                    [--instances N] [--redis-latency MS] [--redis-p99 MS] [--evict] [--evict-every S] [--evict-hard]
//                    [--flush-at M] [--outage-at M] [--outage-seconds S] [--outage-stop] [--rate-share X]
//                    [--report]
//
// Parts, all real and all on 127.0.0.1: a private redis-server, the project's
// Upstash REST bridge in front of it, the worker in workerd (`wrangler dev`),
// and a capacity-limited origin (bench/lib/origin-thread.ts). Time is
// compressed: a profile minute lasts --minute real seconds, and the worker's
// ADMIT_PER_MINUTE is set to --rate admissions per profile minute, scaled to
// real time, so every figure per "minute" is per profile minute.
//
// `--bots X` adds a flood of cookie-less clients (bench/lib/bots.ts) arriving at
// X times the visitors' rate, with the same profile shape: each sends
// `--bot-requests` fresh requests (default 2: one, then one more after its
// Retry-After) and never keeps a cookie.
//
// `--max-active N` turns on the worker's active-users cap (MAX_ACTIVE) and
// `--session-minutes M` sets SESSION_MINUTES (real minutes, not profile
// minutes; default 60). The report then gives the most visitors active at once
// (`withRoom.peakActive`), from the visitors' own records. `--release` sends
// each admitted visitor's last page view to /checkout/complete, which the lab
// origin answers with the early-release header (Anteroom-Release).
//
// The autopilot (issue 13). `--autopilot` turns it on (AUTOPILOT=on) and
// `--rate` becomes its starting rate. The crowd's arrivals are multiples of
// `--crowd-rate` (default: `--rate`), so "started 5x too high" is
// `--crowd-rate S --rate 5S` and "5x too low" `--crowd-rate S --rate S/5`.
// `--target-p95 MS` (ORIGIN_TARGET_P95_MS, default 800), `--min-rate` and
// `--max-rate` (AUTOPILOT_MIN_RATE / MAX_RATE, per profile minute like
// --rate; defaults 1 and 20x the crowd rate) and `--origin-timeout MS`
// (ORIGIN_TIMEOUT_MS, real ms; the worker's default when absent) steer it.
// `--capacity-change M:C` (repeatable) switches the lab origin to C slots at
// profile minute M: late autoscaling, or a loss of capacity (requests being
// served finish). The report gains `withRoom.autopilot` (bench/lib/autopilot.ts):
// the rate second by second (read from the autopilot's Redis hash), how soon
// it settled, the seconds above target, the change log and the issue's
// targets as checks. `sustainableRate` is `--sustainable N` when given (the
// figure a sweep found, at the starting capacity; scaled by the slots after a
// capacity change), else an estimate from the lab origin's throughput;
// `--best-wait S` (the best fixed rate's total wait, from a sweep) adds the
// crowd-wait target.
//
// `--sweep R1,R2,...` runs the room at each fixed rate (no autopilot, one
// fresh worker and room each, the same seeded crowd at --crowd-rate, no run
// without the room) and reports per rate the origin's p95 and error share and
// the crowd's wait, the sustainable rate (the highest rate with p95 <= the
// target and errors <= 1%) and the best fixed rate (the least total wait
// among those).
//
// The fleet (issue 14). `--instances N` runs N instances of the deployed
// bundle, each in its own workerd (bench/lib/fleet.ts: separate module state),
// behind a front that sends each request to a random instance; without it the
// lab runs one worker through `wrangler dev` as before. `--redis-latency MS`
// adds a round trip of MS (each half uniform within +-20%) to every call the
// worker makes to Redis, at the REST bridge; with `--redis-p99 MS2` the round
// trip is log-normal instead, median MS and 99th percentile MS2 (a slow store
// with a long tail). `--evict` replaces a random
// instance by a fresh one every `--evict-every` real seconds (default 15;
// fleet only), losing its memory; the old one first answers what it holds,
// unless `--evict-hard` (cut mid-request, mid-call to Redis or not). `--flush-at M` sends FLUSHALL at profile
// minute M (Redis loses its data); the report counts positions held twice and
// the waiting visitors overtaken by later arrivals. `--outage-at M
// --outage-seconds S` (default 20) kills redis-server at profile minute M and
// restarts it S real seconds later with its data (append-only file fsynced on
// every write); `--outage-stop` stops it (SIGSTOP) and resumes it (SIGCONT)
// instead, as a stalled primary: calls in flight hang until the worker's
// timeout, and what reached Redis meanwhile runs when it resumes; the
// report gives the straight-in admissions meanwhile against the allowance,
// rate x `--rate-share` (STORE_FAILURE_RATE_SHARE, default 0.25) x S. Redis
// script calls per second, in all and per instance, are counted at the bridge
// (one labelled bridge URL per instance: nothing asked of the worker).
//
// `--report` runs the real `anteroom report` CLI against the room at the end
// of the run with the room, before the stack stops (bench/lib/room-report.ts),
// into `<out>/history/` (report.md, report.json, report.svg); the lab's
// report.md links it. The room's history is per real minute, not per profile
// minute: a compressed run fills one or two rows.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Agent } from "undici";
import type { RedisServer } from "../test/support/redis-server.ts";
import { labelledUrl } from "../tools/bridge.ts";
import { startStack, workerVars } from "../tools/stack.ts";
import { advance, rateOf } from "../worker/model/admission.ts";
import { autopilotKey, autopilotLogKey, stateKey } from "../worker/store/keys.ts";
import { type RunData, type RunSummary, type StateSample, series, summarize, type Timing } from "./lib/analyze.ts";
import {
  type AutopilotFigures,
  type AutopilotSetup,
  autopilotChecks,
  autopilotFigures,
  type CapacityChange,
  type Check,
  crowdWait,
  p95PerSecond,
  type RateReading,
  ratePerSecond,
} from "./lib/autopilot.ts";
import { type BotCounts, type BotPlan, bot, newBotCounts } from "./lib/bots.ts";
import {
  AUTOPILOT_RATE,
  type ChartPoint,
  REFERENCE,
  renderChart,
  TARGET,
  WITH_ROOM,
  WITHOUT_ROOM,
} from "./lib/chart.ts";
import { type Fleet, startFleet } from "./lib/fleet.ts";
import { callsPerSecond, flushFigures, outageFigures, sharedPositions } from "./lib/fleet-figures.ts";
import { CookieJar, get, header, jwtPayload, NAVIGATE_HEADERS, POLL_HEADERS, visitorAgent } from "./lib/http.ts";
import { fixedKeys } from "./lib/keys.ts";
import { labRun, startLabStore } from "./lib/lab.ts";
import { arrivalTimes, PROFILES, type Profile } from "./lib/profiles.ts";
import { commandDelta, RedisProbe } from "./lib/redis-stats.ts";
import { type RoomReportResult, roomReportPlan, takeRoomReport } from "./lib/room-report.ts";
import { prng, round, sleep, spread } from "./lib/stats.ts";
import { type BridgeThread, startOrigin } from "./lib/threads.ts";
import { newCounts, newGauges, type RunContext, type VisitorPlan, type VisitorRecord, visit } from "./lib/visitors.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Settings {
  readonly profile: Profile;
  readonly quick: boolean;
  readonly abandon: number;
  readonly minuteSeconds: number;
  readonly ratePerMinute: number;
  readonly scale: number;
  readonly durationMinutes: number;
  readonly capacity: number;
  readonly serviceMs: number;
  readonly seed: number;
  readonly skipWithout: boolean;
  readonly verbose: boolean;
  readonly out: string;
  /** Cookie-less clients per visitor (arrival rate multiple); 0: no flood. */
  readonly bots: number;
  /** The worker's COOKIE_CHECK for this run. */
  readonly cookieCheck: string;
  /** Requests each cookie-less client sends. */
  readonly botRequests: number;
  /** The worker's MAX_ACTIVE for the run with the room; 0: no cap. */
  readonly maxActive: number;
  /** The worker's SESSION_MINUTES (real minutes). */
  readonly sessionMinutes: number;
  /** Each admitted visitor's last page view completes the checkout, which releases the session. */
  readonly release: boolean;
  /** AUTOPILOT=on: `ratePerMinute` is the starting rate. */
  readonly autopilot: boolean;
  /** The rate the profile's arrivals are multiples of, per profile minute. */
  readonly crowdRate: number;
  /** ORIGIN_TARGET_P95_MS (also the sweep's and the checks' target). */
  readonly targetP95Ms: number;
  /** AUTOPILOT_MIN_RATE / AUTOPILOT_MAX_RATE, per profile minute. */
  readonly minRate: number;
  readonly maxRate: number;
  /** ORIGIN_TIMEOUT_MS, real ms; null: the worker's default. */
  readonly originTimeoutMs: number | null;
  /** The lab origin's capacity changes, by profile minute. */
  readonly capacityChanges: readonly CapacityChange[];
  /** Fixed rates to sweep (per profile minute); null: one run. */
  readonly sweep: readonly number[] | null;
  /** A sweep's sustainable rate at the starting capacity, per profile minute; null: estimate it. */
  readonly sustainable: number | null;
  /** A sweep's best fixed rate's total wait (real seconds); null: not known. */
  readonly bestWaitSeconds: number | null;
  /** Worker instances behind the lab's front; null: one worker through `wrangler dev` (the lab before issue 14). */
  readonly instances: number | null;
  /** Round trip added to every Redis call, ms (0: loopback). */
  readonly redisLatencyMs: number;
  /** With a latency: the round trip's 99th percentile, ms (log-normal, median `redisLatencyMs`); null: uniform jitter. */
  readonly redisP99Ms: number | null;
  /** Real seconds between evictions; null: none. */
  readonly evictEverySeconds: number | null;
  /** Evictions cut the requests the old instance holds. */
  readonly evictHard: boolean;
  /** FLUSHALL at this profile minute; null: never. */
  readonly flushAt: number | null;
  /** redis-server stopped (or killed) at this profile minute for `outageSeconds` real seconds; null: never. */
  readonly outageAt: number | null;
  readonly outageSeconds: number;
  /** The outage stops and resumes redis-server, rather than killing it and restarting it with its data. */
  readonly outageStop: boolean;
  /** STORE_FAILURE_RATE_SHARE. */
  readonly rateShare: number;
  /** Runs `anteroom report` against the room after the run with it, into `<out>/history`. */
  readonly report: boolean;
}

/** Each half of the injected Redis round trip is uniform within +-this share. */
const REDIS_JITTER = 0.2;
/**
 * Straight-in answers this long after Redis came back still count as outage
 * admissions: the worker's Redis timeout (REDIS_TIMEOUT_MS, 500 ms) and a
 * margin; longer would count the newcomers let in by the room itself once it is back.
 */
const OUTAGE_GRACE_MS = 600;

type OneRun = Awaited<ReturnType<typeof runOnce>>;

/**
 * The fleet's figures of the run with the room (issue 14): the fleet, what
 * the lab did to it, Redis script calls per second in all and per instance
 * (counted at the bridge), positions held twice, and the flush's and the
 * outage's figures when the run had them.
 */
function fleetFigures(s: Settings, run: OneRun, ratePerProfileMinute: number) {
  const seconds = run.run.durationMs / 1000;
  const instances = s.instances ?? 1;
  const labels = s.instances === null ? [""] : Array.from({ length: instances }, (_, i) => `i${i}`);
  const events = run.events;
  const front = run.front;
  const straightInAt = [
    ...run.run.records.flatMap((r) => (r.via === "join" && r.admittedAt !== null ? [r.admittedAt] : [])),
    ...run.bots.straightInAt,
  ];
  const outage = events?.outage;
  return {
    instances,
    runner:
      s.instances === null
        ? "wrangler dev (one worker)"
        : "Miniflare, one workerd per instance, behind the lab's random front",
    redisLatencyMs: s.redisLatencyMs,
    redisJitter:
      s.redisLatencyMs <= 0
        ? null
        : s.redisP99Ms !== null
          ? `log-normal round trip, median ${s.redisLatencyMs} ms, p99 ${s.redisP99Ms} ms`
          : `each half of the round trip uniform within +-${REDIS_JITTER * 100}%`,
    evictEverySeconds: s.evictEverySeconds,
    evictHard: s.evictHard,
    evictions: events?.evictions.length ?? 0,
    evictionFailures: events?.evictionFailures ?? 0,
    evictionLog: events?.evictions ?? [],
    frontRequestsPerInstance:
      front === null ? null : front.after.requests.map((n, i) => n - (front.before.requests[i] ?? 0)),
    frontFailed:
      front === null
        ? null
        : front.after.failed.reduce((a, b) => a + b, 0) - front.before.failed.reduce((a, b) => a + b, 0),
    redisScriptCalls: {
      ...callsPerSecond(run.calls.before, run.calls.after, labels, seconds),
      note: "script calls (EVAL/EVALSHA) the worker instances sent during the run with the room, counted at the bridge (one labelled URL per instance), per real second",
    },
    sharedPositions: sharedPositions(run.run.records),
    flush: s.flushAt !== null && events?.flushAt != null ? flushFigures(run.run.records, events.flushAt) : null,
    outage:
      outage && outage.to !== null
        ? outageFigures({
            straightInAt,
            fromMs: outage.from,
            toMs: outage.to,
            graceMs: OUTAGE_GRACE_MS,
            ratePerMinute: perRealMinute(s, ratePerProfileMinute),
            rateShare: s.rateShare,
          })
        : null,
  };
}

type FleetReport = ReturnType<typeof fleetFigures>;

function fleetMarkdown(f: FleetReport): string {
  const c = f.redisScriptCalls;
  const lines = [
    "| fleet figure | value |",
    "|---|---|",
    `| instances (runner) | ${f.instances} (${f.runner}) |`,
    `| Redis round trip added, ms | ${f.redisLatencyMs}${f.redisJitter ? ` (${f.redisJitter})` : ""} |`,
    `| evictions (every s) | ${f.evictions}${f.evictEverySeconds !== null ? ` (${f.evictEverySeconds}${f.evictHard ? ", hard: requests cut" : ""})` : ""}${f.evictionFailures > 0 ? `, ${f.evictionFailures} failed` : ""} |`,
    `| Redis script calls per s, all / mean per instance | ${c.perSecond ?? "–"} / ${c.perInstanceMeanPerSecond ?? "–"} |`,
    `| … per instance | ${c.perInstancePerSecond.join(", ")} |`,
    ...(f.frontRequestsPerInstance
      ? [`| requests per instance (front) | ${f.frontRequestsPerInstance.join(", ")}; front errors ${f.frontFailed} |`]
      : []),
    `| positions held by two visitors or more (epoch claim in tickets: ${f.sharedPositions.epochClaim ? "yes" : "no"}) | ${f.sharedPositions.positions} (${f.sharedPositions.visitors} visitors) |`,
    ...(f.flush
      ? [
          `| flush at s | ${f.flush.flushAtSeconds} |`,
          `| waiting at the flush: let in before later arrivals / overtaken by one | ${f.flush.letInBeforeLaterArrivals} / ${f.flush.overtakenByLaterArrivals} of ${f.flush.waitingAtFlush} |`,
        ]
      : []),
    ...(f.outage
      ? [
          `| outage, s | ${f.outage.outageSeconds} |`,
          `| fallback admissions / allowance (ratio) | ${f.outage.fallbackAdmissions} / ${f.outage.allowance} (${f.outage.ratio ?? "–"}) |`,
        ]
      : []),
    "",
  ];
  return `\n${lines.join("\n")}`;
}

/** The autopilot's error-share bound the lab checks against (the worker's default ORIGIN_MAX_ERROR_RATE). */
const MAX_ERROR_RATE = 0.01;

function settingsFromArgs(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: "string", default: "tv" },
      quick: { type: "boolean", default: false },
      abandon: { type: "string", default: "0.3" },
      out: { type: "string" },
      minute: { type: "string" },
      rate: { type: "string" },
      scale: { type: "string", default: "1" },
      duration: { type: "string" },
      capacity: { type: "string", default: "12" },
      "service-ms": { type: "string", default: "200" },
      seed: { type: "string", default: "1" },
      "skip-without": { type: "boolean", default: false },
      bots: { type: "string", default: "0" },
      "bot-requests": { type: "string", default: "2" },
      "cookie-check": { type: "string", default: "busy" },
      "max-active": { type: "string", default: "0" },
      "session-minutes": { type: "string", default: "60" },
      release: { type: "boolean", default: false },
      autopilot: { type: "boolean", default: false },
      "crowd-rate": { type: "string" },
      "target-p95": { type: "string", default: "800" },
      "min-rate": { type: "string" },
      "max-rate": { type: "string" },
      "origin-timeout": { type: "string" },
      "capacity-change": { type: "string", multiple: true, default: [] },
      sweep: { type: "string" },
      sustainable: { type: "string" },
      "best-wait": { type: "string" },
      instances: { type: "string" },
      "redis-latency": { type: "string", default: "0" },
      "redis-p99": { type: "string" },
      evict: { type: "boolean", default: false },
      "evict-every": { type: "string" },
      "evict-hard": { type: "boolean", default: false },
      "flush-at": { type: "string" },
      "outage-at": { type: "string" },
      "outage-seconds": { type: "string", default: "20" },
      "outage-stop": { type: "boolean", default: false },
      "rate-share": { type: "string", default: "0.25" },
      report: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "npm run surge -- [--profile tv|drop|steady] [--quick] [--abandon 0.3] [--out DIR] [--minute S] [--rate N]\n" +
        "                 [--scale X] [--duration M] [--capacity N] [--service-ms M] [--seed N] [--skip-without] [--verbose]\n" +
        "                 [--bots X] [--bot-requests N] [--cookie-check off|busy|always]\n" +
        "                 [--max-active N (0: off)] [--session-minutes M (real minutes, default 60)] [--release]\n" +
        "                 [--autopilot] [--crowd-rate N (default --rate)] [--target-p95 MS (800)] [--min-rate N (1)]\n" +
        "                 [--max-rate N (20x crowd rate)] [--origin-timeout MS] [--capacity-change M:C ...]\n" +
        "                 [--sustainable N] [--best-wait S] [--sweep R1,R2,...]\n" +
        "                 [--instances N] [--redis-latency MS] [--redis-p99 MS] [--evict] [--evict-every S (15)] [--evict-hard]\n" +
        "                 [--flush-at M] [--outage-at M] [--outage-seconds S (20)] [--outage-stop] [--rate-share X (0.25)]\n" +
        "                 [--report (the room's own history report, by the anteroom CLI, into <out>/history)]",
    );
    process.exit(0);
  }
  const num = (name: string, raw: string | undefined, min: number, max: number): number => {
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < min || value > max)
      throw new Error(`--${name} must be a number from ${min} to ${max}, got ${raw}`);
    return value;
  };
  const profile = PROFILES[values.profile as Profile["name"]];
  if (!profile) throw new Error(`--profile must be tv, drop or steady, got ${values.profile}`);
  const quick = values.quick ?? false;
  const minuteSeconds = num("minute", values.minute ?? (quick ? "2.5" : "15"), 1, 60);
  const durationMinutes = num("duration", values.duration ?? String(quick ? 6 : profile.minutes), 1, 60);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const ratePerMinute = num("rate", values.rate ?? (quick ? "15" : "90"), 1, 100_000);
  const crowdRate = num("crowd-rate", values["crowd-rate"] ?? String(ratePerMinute), 0.01, 100_000);
  const autopilot = values.autopilot ?? false;
  const sweep =
    values.sweep === undefined
      ? null
      : values.sweep.split(",").map((raw, i) => num(`sweep (rate ${i + 1})`, raw.trim(), 1, 100_000));
  if (sweep && autopilot) throw new Error("--sweep runs fixed rates: leave out --autopilot");
  if (sweep && sweep.length === 0) throw new Error("--sweep needs at least one rate");
  if (sweep && values.report)
    throw new Error("--report reports the run with the room: leave out --sweep (one room per rate)");
  const minRate = num("min-rate", values["min-rate"] ?? "1", 0, 100_000);
  const maxRate = num("max-rate", values["max-rate"] ?? String(Math.max(20 * crowdRate, ratePerMinute)), 1, 1_000_000);
  if (minRate > maxRate) throw new Error(`--min-rate ${minRate} is above --max-rate ${maxRate}`);
  const capacityChanges = (values["capacity-change"] ?? [])
    .map((raw) => {
      const match = /^(\d+(?:\.\d+)?):(\d+)$/.exec(raw.trim());
      const minute = Number(match?.[1]);
      const capacity = Number(match?.[2]);
      if (!match || minute > durationMinutes || capacity < 1 || capacity > 10_000)
        throw new Error(`--capacity-change must be MINUTE:SLOTS (minute within the run, 1-10000 slots), got ${raw}`);
      return { minute, capacity };
    })
    .sort((a, b) => a.minute - b.minute);
  const instances = values.instances === undefined ? null : wholeArg("instances", values.instances, 64);
  if (instances === 0) throw new Error("--instances must be a whole number from 1 to 64, got 0");
  const evictHard = values["evict-hard"] ?? false;
  const evict = (values.evict ?? false) || values["evict-every"] !== undefined || evictHard;
  if (evict && instances === null) throw new Error("--evict needs --instances N (the fleet replaces instances)");
  const latency = Number(values["redis-latency"]);
  const p99 = values["redis-p99"] === undefined ? null : Number(values["redis-p99"]);
  if (p99 !== null && !(latency > 0 && p99 >= latency))
    throw new Error(
      `--redis-p99 needs --redis-latency MS above 0 and at most the p99 (the median of the tail), got ${values["redis-latency"]} and ${values["redis-p99"]}`,
    );
  const withinRun = (name: string, raw: string | undefined) =>
    raw === undefined ? null : num(name, raw, 0, durationMinutes);
  return {
    profile,
    quick,
    abandon: num("abandon", values.abandon, 0, 1),
    minuteSeconds,
    ratePerMinute,
    scale: num("scale", values.scale, 0.01, 100),
    durationMinutes,
    capacity: num("capacity", values.capacity, 1, 10_000),
    serviceMs: num("service-ms", values["service-ms"], 1, 60_000),
    seed: num("seed", values.seed, 0, 2 ** 31),
    skipWithout: (values["skip-without"] ?? false) || sweep !== null,
    verbose: values.verbose ?? false,
    out: resolve(values.out ?? join(ROOT, "bench", "out", `surge-${profile.name}-${stamp}`)),
    bots: num("bots", values.bots, 0, 100),
    botRequests: Math.round(num("bot-requests", values["bot-requests"], 1, 10)),
    cookieCheck: oneOfArg("cookie-check", values["cookie-check"], ["off", "busy", "always"]),
    maxActive: wholeArg("max-active", values["max-active"], 999_999_999),
    sessionMinutes: num("session-minutes", values["session-minutes"], 0.05, 7 * 24 * 60),
    release: values.release ?? false,
    autopilot,
    crowdRate,
    targetP95Ms: num("target-p95", values["target-p95"], 1, 600_000),
    minRate,
    maxRate,
    originTimeoutMs:
      values["origin-timeout"] === undefined ? null : num("origin-timeout", values["origin-timeout"], 1, 600_000),
    capacityChanges,
    sweep,
    sustainable: values.sustainable === undefined ? null : num("sustainable", values.sustainable, 0.01, 1_000_000),
    bestWaitSeconds: values["best-wait"] === undefined ? null : num("best-wait", values["best-wait"], 0, 1e12),
    instances,
    redisLatencyMs: num("redis-latency", values["redis-latency"], 0, 10_000),
    redisP99Ms: values["redis-p99"] === undefined ? null : num("redis-p99", values["redis-p99"], 1, 60_000),
    evictEverySeconds: evict ? num("evict-every", values["evict-every"] ?? "15", 1, 3600) : null,
    evictHard,
    flushAt: withinRun("flush-at", values["flush-at"]),
    outageAt: withinRun("outage-at", values["outage-at"]),
    outageSeconds: num("outage-seconds", values["outage-seconds"], 1, 3600),
    outageStop: values["outage-stop"] ?? false,
    rateShare: num("rate-share", values["rate-share"], 0.001, 1),
    report: values.report ?? false,
  };
}

/** A whole number from 0 to `max` (MAX_ACTIVE's form: the worker takes up to 9 digits). */
function wholeArg(name: string, raw: string | undefined, max: number): number {
  if (raw !== undefined && /^\d{1,9}$/.test(raw) && Number(raw) <= max) return Number(raw);
  throw new Error(`--${name} must be a whole number from 0 to ${max}, got ${raw}`);
}

function oneOfArg(name: string, raw: string | undefined, allowed: readonly string[]): string {
  if (raw !== undefined && allowed.includes(raw)) return raw;
  console.error(`surge: --${name} must be one of ${allowed.join(", ")}`);
  process.exit(2);
}

/** The crowd, decided once so the run without the room replays exactly the same one. */
function planVisitors(s: Settings, realRatePerMs: number): VisitorPlan[] {
  const random = prng(s.seed);
  const minuteMs = s.minuteSeconds * 1000;
  const times = arrivalTimes(
    (t) => s.profile.arrivals(t / minuteMs) * realRatePerMs * s.scale,
    s.durationMinutes * minuteMs,
    random,
  );
  return times.map((arrivalMs, id) => {
    const views = 1 + Math.floor(random() * 5);
    return {
      id,
      arrivalMs,
      views,
      thinkMs: Array.from({ length: views - 1 }, () => 1000 + random() * 2000),
      abandons: random() < s.abandon,
      patience: 0.1 + random() * 0.8,
      seed: Math.floor(random() * 2 ** 31),
    };
  });
}

/**
 * The flood of cookie-less clients: the same profile shape at `--bots` times the
 * visitors' rate, from its own seeded source so the visitors stay the same crowd
 * with or without it.
 */
function planBots(s: Settings, realRatePerMs: number): BotPlan[] {
  if (s.bots <= 0) return [];
  const random = prng((s.seed ^ 0x5eed_b075) >>> 0);
  const minuteMs = s.minuteSeconds * 1000;
  const times = arrivalTimes(
    (t) => s.profile.arrivals(t / minuteMs) * realRatePerMs * s.scale * s.bots,
    s.durationMinutes * minuteMs,
    random,
  );
  return times.map((arrivalMs, id) => ({
    id,
    arrivalMs,
    requests: s.botRequests,
    seed: Math.floor(random() * 2 ** 31),
  }));
}

/** The flood's figures for the report. */
function botFigures(counts: BotCounts, humans: number) {
  const { latencyMs, ...rest } = counts;
  return {
    ...rest,
    perVisitor: humans > 0 ? round(counts.arrived / humans, 2) : null,
    ticketShare: counts.answered > 0 ? round(counts.tickets / counts.answered, 3) : null,
    straightInShare: counts.answered > 0 ? round(counts.straightIn / counts.answered, 4) : null,
    latencyMs: spread(latencyMs, 1),
  };
}

type BotFigures = ReturnType<typeof botFigures>;

interface Services {
  readonly probe: RedisProbe;
  readonly origin: Awaited<ReturnType<typeof startOrigin>>;
  readonly roomUrl: string;
  readonly room: string;
  /** The worker's ADMIT_PER_MINUTE (per real minute): the rate, or the autopilot's starting rate. */
  readonly admitPerMinute: number;
  /** The worker's ADMIN_TOKEN, to read the admin stats at the end of a run. */
  readonly adminToken: string;
  /** The instances behind the front (`--instances`), or null (one worker through `wrangler dev`). */
  readonly fleet: Fleet | null;
  readonly bridge: BridgeThread;
  readonly redis: RedisServer;
}

/** What the lab did to the fleet and its Redis during a run, ms after its start. */
interface FleetEvents {
  evictions: { slot: number; at: number; drainMs: number }[];
  evictionFailures: number;
  flushAt: number | null;
  outage: { from: number; to: number | null } | null;
}

/**
 * Schedules the run's evictions, flush and outage (with the room only);
 * returns what happened, filled in as it happens, and a stop.
 */
function scheduleFaults(s: Settings, sv: Services, epoch: number, durationMs: number) {
  const events: FleetEvents = { evictions: [], evictionFailures: 0, flushAt: null, outage: null };
  const timers: NodeJS.Timeout[] = [];
  const pending: Promise<unknown>[] = [];
  const at = (ms: number, task: () => Promise<unknown>) =>
    timers.push(setTimeout(() => void pending.push(task().catch(() => {})), epoch + ms - Date.now()));
  const minuteMs = s.minuteSeconds * 1000;
  const fleet = sv.fleet;
  if (fleet && s.evictEverySeconds !== null) {
    const every = s.evictEverySeconds * 1000;
    for (let t = every; t < durationMs; t += every)
      at(t, () =>
        fleet.evict(undefined, { hard: s.evictHard }).then(
          (e) => events.evictions.push({ slot: e.slot, at: e.at - epoch, drainMs: e.drainMs }),
          () => {
            events.evictionFailures += 1;
          },
        ),
      );
  }
  if (s.flushAt !== null)
    at(s.flushAt * minuteMs, async () => {
      events.flushAt = Date.now() - epoch;
      await sv.probe.flushAll();
    });
  if (s.outageAt !== null)
    at(s.outageAt * minuteMs, async () => {
      if (!s.outageStop) {
        events.outage = { from: Date.now() - epoch, to: null };
        await sv.redis.kill();
        await sleep(s.outageSeconds * 1000);
        await sv.redis.restart();
      } else {
        // The lab's own redis-server, by the process id it reports.
        const pid = await sv.probe.serverPid();
        events.outage = { from: Date.now() - epoch, to: null };
        process.kill(pid, "SIGSTOP");
        try {
          await sleep(s.outageSeconds * 1000);
        } finally {
          process.kill(pid, "SIGCONT");
        }
      }
      events.outage.to = Date.now() - epoch;
    });
  return {
    events,
    /** Cancels what has not started and waits for what has (an outage ends with Redis back up). */
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(pending);
    },
  };
}

/** One replay of the crowd: through the room (`room`) or straight to the origin (`direct`). */
async function runOnce(
  mode: "room" | "direct",
  plan: readonly VisitorPlan[],
  botPlan: readonly BotPlan[],
  s: Settings,
  sv: Services,
) {
  const durationMs = s.durationMinutes * s.minuteSeconds * 1000;
  const agent: Agent = visitorAgent(512, 10_000);
  // The flood has its own connections: its backlog must not delay the visitors' requests in this client.
  const botAgent: Agent | null = botPlan.length > 0 ? visitorAgent(256, 10_000) : null;
  const botCounts = newBotCounts(botPlan.length);
  const epoch = Date.now() + 300;
  sv.origin.reset(epoch);
  const controller = new AbortController();
  const ctx: RunContext = {
    mode,
    baseUrl: mode === "room" ? sv.roomUrl : sv.origin.url,
    agent,
    epoch,
    signal: controller.signal,
    counts: newCounts(),
    overheadMs: [],
    keptJars: [],
    gauges: newGauges(),
    release: s.release,
  };
  // Late autoscaling (or a loss of capacity), at the same profile minutes in both runs.
  const capacityTimers = s.capacityChanges.map((c) =>
    setTimeout(() => sv.origin.setCapacity(c.capacity), epoch + c.minute * s.minuteSeconds * 1000 - Date.now()),
  );
  const before = await sv.probe.commandCounts();
  const callsBefore = await sv.bridge.calls();
  const frontBefore = sv.fleet ? await sv.fleet.stats() : null;
  const faults = mode === "room" ? scheduleFaults(s, sv, epoch, durationMs) : null;
  const samples: StateSample[] = [];
  const readings: RateReading[] = [];
  const waiting: number[] = [];
  let sampling = false;
  const sampler = setInterval(() => {
    if (mode !== "room" || sampling) return;
    sampling = true;
    void Promise.all([
      sv.probe.state(stateKey(sv.room)),
      // The rate the autopilot set (absent: the configured rate is in force).
      s.autopilot ? sv.probe.autopilot(autopilotKey(sv.room)).catch(() => null) : Promise.resolve(null),
    ])
      .then(([state, autopilot]) => {
        const now = Date.now();
        const inForce = autopilot?.rate ?? sv.admitPerMinute;
        readings.push({ at: now - epoch, rate: inForce, learned: autopilot?.learned ?? null });
        if (!state) return;
        const advanced = advance(state, rateOf(inForce), now);
        samples.push({
          at: now - epoch,
          frontier: advanced.frontier,
          lastTicket: advanced.lastTicket,
          showRatio: state.showRatio,
        });
      })
      .catch(() => {})
      .finally(() => {
        sampling = false;
      });
  }, 250);
  const label = mode === "room" ? WITH_ROOM : WITHOUT_ROOM;
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  const ticker = setInterval(() => {
    const second = Math.floor((Date.now() - epoch) / 1000);
    if (second >= 0) waiting[second] = ctx.gauges.waiting;
    const o = sv.origin.last();
    const g = ctx.gauges;
    const reading = readings.at(-1);
    const line =
      `[${label}] ${((Date.now() - epoch) / 1000 / s.minuteSeconds).toFixed(1)}/${s.durationMinutes} min` +
      ` | arrived ${g.arrived} | waiting ${g.waiting} | admitted ${g.admitted} | gave up ${g.abandoned}` +
      (s.autopilot && mode === "room" && reading
        ? ` | rate ${round((reading.rate * s.minuteSeconds) / 60, 1)}/min`
        : "") +
      (botAgent ? ` | bot requests ${botCounts.requests}` : "") +
      ` | origin in-flight ${o?.inFlight ?? 0}/${o?.capacity ?? s.capacity}, p95 ${o?.recentP95Ms ?? "-"} ms, errors ${o?.errors ?? 0}`;
    if (tty) process.stderr.write(`\r${line.padEnd(150)}`);
    else if (Date.now() - lastPrinted >= 5000) {
      process.stderr.write(`${line}\n`);
      lastPrinted = Date.now();
    }
  }, 1000);
  const visits = plan.map((p) => visit(p, ctx));
  const botCtx = {
    baseUrl: ctx.baseUrl,
    agent: botAgent ?? agent,
    epoch,
    signal: controller.signal,
    counts: botCounts,
  };
  const flood = Promise.all(botPlan.map((b) => bot(b, botCtx)));
  const stopper = setTimeout(() => controller.abort(), epoch + durationMs - Date.now());
  let records: VisitorRecord[];
  try {
    records = await Promise.race([
      Promise.all(visits).then(async (done) => {
        await flood;
        return done;
      }),
      sleep(epoch + durationMs + 20_000 - Date.now()).then(() => {
        throw new Error("visitors did not stop within 20 s of the end of the run");
      }),
    ]);
  } finally {
    clearTimeout(stopper);
    await faults?.stop();
    for (const timer of capacityTimers) clearTimeout(timer);
    clearInterval(sampler);
    clearInterval(ticker);
    if (tty) process.stderr.write("\n");
  }
  const after = await sv.probe.commandCounts();
  const callsAfter = await sv.bridge.calls();
  const frontAfter = sv.fleet ? await sv.fleet.stats() : null;
  const origin = await sv.origin.report();
  const autopilotLog =
    s.autopilot && mode === "room" ? await sv.probe.autopilotLog(autopilotLogKey(sv.room)).catch(() => []) : [];
  const autopilotStats = s.autopilot && mode === "room" ? await adminAutopilot(sv) : null;
  await agent.close();
  await botAgent?.close();
  const run: RunData = {
    mode,
    durationMs,
    records,
    counts: ctx.counts,
    overheadMs: ctx.overheadMs,
    origin,
    samples,
    // A second the ticker missed (a busy event loop) repeats the reading before it.
    waiting: Array.from({ length: Math.ceil(durationMs / 1000) }, (_, i) => {
      for (let k = i; k >= 0; k -= 1) if (waiting[k] !== undefined) return waiting[k] ?? 0;
      return 0;
    }),
  };
  return {
    run,
    commands: commandDelta(before, after),
    keptJars: ctx.keptJars,
    bots: botCounts,
    epoch,
    readings,
    autopilotLog,
    autopilotStats,
    calls: { before: callsBefore, after: callsAfter },
    front: frontBefore && frontAfter ? { before: frontBefore, after: frontAfter } : null,
    events: faults?.events ?? null,
  };
}

/** The `autopilot` object of the admin stats (the worker's units: per real minute), or null when absent. */
async function adminAutopilot(sv: Services): Promise<unknown> {
  try {
    const res = await fetch(`${sv.roomUrl}/__anteroom/admin/stats`, {
      headers: { authorization: `Bearer ${sv.adminToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { autopilot?: unknown };
    return body.autopilot ?? null;
  } catch {
    return null;
  }
}

/**
 * Redis commands per request kind, in small separate phases (the surge mixes
 * kinds): newcomers joining, ticket holders polling at about one poll per
 * second each, and pass holders viewing pages.
 */
async function measureKinds(sv: Services, passJars: readonly CookieJar[], s: Settings) {
  const agent = visitorAgent(16, 10_000);
  const newcomers = s.quick ? 40 : 200;
  const pollSeconds = s.quick ? 3 : 8;
  const views = s.quick ? 100 : 400;
  const pool = async (count: number, task: (i: number) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < count) await task(next++);
      }),
    );
  };
  // Newcomers: API clients (JSON), so most get a 429 and a ticket.
  const jars = Array.from({ length: newcomers }, () => new CookieJar());
  const statuses: Record<string, number> = {};
  const tally = (status: number, error?: string) => {
    const key = error ? `${status} ${error.slice(0, 80)}` : String(status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  };
  let t0 = await sv.probe.commandCounts();
  await pool(newcomers, async (i) => {
    const res = await get(agent, `${sv.roomUrl}/`, POLL_HEADERS, jars[i] ?? new CookieJar());
    tally(res.status, res.error);
  });
  let t1 = await sv.probe.commandCounts();
  const join = commandDelta(t0, t1);
  // Polls: every ticket holder polls the status endpoint about once a second.
  let polls = 0;
  const until = Date.now() + pollSeconds * 1000;
  t0 = await sv.probe.commandCounts();
  await Promise.all(
    jars.map(async (jar) => {
      await sleep(Math.random() * 1000);
      while (Date.now() < until && polls < newcomers * pollSeconds * 2) {
        if (!jar.get("anteroom_ticket") || jar.get("anteroom_pass")) return;
        polls += 1;
        const res = await get(agent, `${sv.roomUrl}/__anteroom/status`, POLL_HEADERS, jar);
        tally(res.status, res.error);
        await sleep(800 + Math.random() * 400);
      }
    }),
  );
  t1 = await sv.probe.commandCounts();
  const poll = commandDelta(t0, t1);
  // Admitted page views: pass holders from the surge, each view from a pass that has not expired (short
  // SESSION_MINUTES: a pass used past half its life is renewed, so viewers stay valid once viewing).
  const valid = (jar: CookieJar) => {
    const exp = jwtPayload(jar.get("anteroom_pass"))?.exp;
    return jar.get("anteroom_pass") !== undefined && (typeof exp !== "number" || exp * 1000 > Date.now() + 3000);
  };
  const viewers = passJars.filter(valid);
  let viewed = 0;
  // Views not sent (no pass left unexpired) / answered by the room itself although the pass was valid.
  let skipped = 0;
  let notServed = 0;
  t0 = await sv.probe.commandCounts();
  if (viewers.length > 0)
    await pool(views, async (i) => {
      const live = viewers.filter(valid);
      const jar = live[i % live.length];
      if (!jar) {
        skipped += 1;
        return;
      }
      const res = await get(agent, `${sv.roomUrl}/page/${i % 5}`, NAVIGATE_HEADERS, jar);
      tally(res.status, res.error);
      // Served by the origin: a holding page (a pass no longer valid) is no admitted view.
      if (res.status === 200 && header(res, "x-bench-origin")) viewed += 1;
      else notServed += 1;
    });
  t1 = await sv.probe.commandCounts();
  const view = commandDelta(t0, t1);
  await agent.close();
  if (Object.keys(statuses).some((key) => !/^(200|429)$/.test(key)))
    console.error(`surge: unexpected answers in the Redis cost phases: ${JSON.stringify(statuses)}`);
  return {
    statuses,
    newcomer: { requests: newcomers, scripts: join.scripts, inner: join.inner, byCommand: join.byCommand },
    poll: {
      requests: polls,
      seconds: pollSeconds,
      scripts: poll.scripts,
      inner: poll.inner,
      byCommand: poll.byCommand,
    },
    admittedView: {
      requests: viewed,
      skipped,
      notServed,
      passHolders: viewers.length,
      scripts: view.scripts,
      inner: view.inner,
      byCommand: view.byCommand,
    },
  };
}

type Kinds = Awaited<ReturnType<typeof measureKinds>>;

function redisFigures(
  withRoom: { run: RunData; commands: ReturnType<typeof commandDelta>; bots: BotCounts },
  kinds: Kinds,
  visitors: number,
) {
  const c = withRoom.run.counts;
  // Every request of the flood is a newcomer's: one JOIN each, not the visitors' cost.
  const botJoins = withRoom.bots.requests;
  const scripts = Math.max(0, withRoom.commands.scripts - botJoins);
  const ticks = Math.max(0, scripts - c.newcomer);
  const per = (n: number, d: number) => (d > 0 ? round(n / d, 4) : null);
  // The status request after the first holding page (to read the predicted wait) is a poll too.
  const statusRequests = c.polls + c.etaProbes;
  return {
    perVisitor: per(scripts, visitors),
    perPoll: per(ticks, statusRequests),
    perAdmittedView: per(kinds.admittedView.scripts, kinds.admittedView.requests),
    perNewcomer: per(kinds.newcomer.scripts, kinds.newcomer.requests),
    unit: "script calls (EVALSHA/EVAL) the worker sent; the commands each script runs inside Redis are in `inner`. With --bots, one JOIN per request of the flood is taken out of the visitors' figures (perVisitor, ticks); perPoll counts every status request (polls and the one request after the first holding page that reads the predicted wait)",
    surge: {
      scriptCalls: withRoom.commands.scripts,
      botRequests: botJoins,
      innerCommands: withRoom.commands.inner,
      byCommand: withRoom.commands.byCommand,
      newcomerRequests: c.newcomer,
      ticketedRequests: c.ticketed,
      polls: c.polls,
      etaProbes: c.etaProbes,
      passRequests: c.pass,
      /** Script calls beyond one JOIN per newcomer request: the frontier refreshes (TICK). */
      ticks: ticks,
      perVisitorExcludingTicks: per(scripts - ticks, visitors),
      perRequest: per(withRoom.commands.scripts, c.newcomer + c.ticketed + c.pass + botJoins),
      innerPerScript: per(withRoom.commands.inner, withRoom.commands.scripts),
    },
    phases: {
      perNewcomer: per(kinds.newcomer.scripts, kinds.newcomer.requests),
      perPoll: per(kinds.poll.scripts, kinds.poll.requests),
      perAdmittedView: per(kinds.admittedView.scripts, kinds.admittedView.requests),
      detail: kinds,
    },
  };
}

function checks(
  withRoom: RunSummary,
  withoutRoom: RunSummary | null,
  redis: ReturnType<typeof redisFigures>,
  s: Settings,
): Check[] {
  const list: Check[] = [];
  const ratio = withRoom.admissionRatio;
  if (s.autopilot) {
    // The rate moves: judge the minutes in which it held (within 2%), against the rate in force.
    const steady = withRoom.minutes.filter((m) => m.saturated && m.rateSteady).map((m) => m.admissionRatio);
    const lo = steady.length > 0 ? Math.min(...steady) : null;
    const hi = steady.length > 0 ? Math.max(...steady) : null;
    list.push({
      goal: "admissions per full minute with a steady rate within 0.95-1.02 of the rate in force, never above 1.05",
      value: lo !== null ? `${lo}-${hi} over ${steady.length} full minutes with a steady rate` : "no such minute",
      met: lo === null || hi === null ? null : s.maxActive > 0 ? hi <= 1.05 : lo >= 0.95 && hi <= 1.02,
    });
  } else if (s.maxActive > 0)
    // The cap holds admissions below the rate whenever it is reached: the rate stays an upper bound only.
    list.push({
      goal: "admissions per full minute never above 1.05 of the rate (MAX_ACTIVE may hold them below it)",
      value: ratio ? `${ratio.min}-${ratio.max} over ${ratio.minutes} full minutes` : "no full minute",
      met: ratio ? ratio.max !== null && ratio.max <= 1.05 : null,
    });
  else
    list.push({
      goal: "admissions per full minute within 0.95-1.02 of the rate, never above 1.05",
      value: ratio ? `${ratio.min}-${ratio.max} over ${ratio.minutes} full minutes` : "no full minute",
      met: ratio ? ratio.min !== null && ratio.max !== null && ratio.min >= 0.95 && ratio.max <= 1.02 : null,
    });
  if (withRoom.peakActive !== null && withRoom.maxActive !== null)
    list.push({
      goal: `active visitors (admitted page view within SESSION_MINUTES=${s.sessionMinutes}) never above MAX_ACTIVE + 5%`,
      value: `peak ${withRoom.peakActive} / ${withRoom.maxActive} (${withRoom.peakActiveRatio})`,
      met: withRoom.peakActive <= withRoom.maxActive * 1.05,
    });
  if (withRoom.release)
    list.push({
      goal: "every released page view clears the pass and never shows the release header",
      value: `${withRoom.release.passCleared} of ${withRoom.release.visitors} cleared, header seen ${withRoom.release.headerSeen} times`,
      met: withRoom.release.passCleared === withRoom.release.visitors && withRoom.release.headerSeen === 0,
    });
  const released = withRoom.releasedRatio;
  // With no-show compensation the frontier is meant to release rate / show ratio, so this is a figure, not a goal.
  list.push({
    goal: "(figure) positions released per full minute / rate: above 1 by the no-show compensation",
    value: released ? `${released.min}-${released.max}` : "no full minute",
    met: null,
  });
  list.push({
    goal: "0 FIFO inversions (1 s resolution)",
    value: String(withRoom.fifoInversions),
    met: withRoom.fifoInversions === 0,
  });
  // With capacity changes, against the most slots the origin had; the autopilot probes into the backlog by design.
  const most = Math.max(withRoom.originCapacity, ...s.capacityChanges.map((c) => c.capacity));
  list.push({
    goal: s.autopilot
      ? "(figure) origin peak in-flight / capacity with the room: the autopilot probes until the origin's p95 rises"
      : "origin peak in-flight never above capacity with the room",
    value: `${withRoom.originPeakInFlight} / ${most}`,
    met: s.autopilot ? null : withRoom.originPeakInFlight <= most,
  });
  if (withoutRoom)
    list.push({
      goal: "the same surge without the room shows the collapse",
      value: `peak in-flight ${withoutRoom.originPeakInFlight} / ${withoutRoom.originCapacity}, error rate ${withoutRoom.originErrorRate}`,
      met: withoutRoom.originPeakInFlight > withoutRoom.originCapacity || (withoutRoom.originErrorRate ?? 0) > 0,
    });
  if (s.bots > 0) {
    const human = withRoom.humanAdmissionRatio;
    list.push({
      goal: `with a flood of cookie-less clients at ${s.bots}x, visitors admitted per full minute >= 0.90 of the rate (issue 6: cut by at most 10%)`,
      value: human ? `${human.min}-${human.max} over ${human.minutes} full minutes` : "no full minute",
      met: human ? human.min !== null && human.min >= 0.9 : null,
    });
  }
  list.push({
    // Admitted views make no Redis call of their own; each instance ticks in the background at most once a second.
    goal: "at most 0.05 Redis commands per admitted page view (background ticks only)",
    value: String(redis.perAdmittedView),
    met: redis.perAdmittedView !== null && redis.perAdmittedView <= 0.05,
  });
  list.push({
    goal: "at most 0.05 Redis commands per poll",
    value: redis.perPoll === null ? "no polls (nobody waited)" : String(redis.perPoll),
    // Nobody waited (a rate above the arrivals): nothing to judge.
    met: redis.perPoll === null ? null : redis.perPoll <= 0.05,
  });
  list.push({
    goal: "a journey costs at most 2 commands plus per-instance ticks",
    value: `${redis.surge.perVisitorExcludingTicks} + ${redis.surge.ticks} ticks in all`,
    met: redis.surge.perVisitorExcludingTicks !== null && redis.surge.perVisitorExcludingTicks <= 2,
  });
  return list;
}

function crowdCell(c: ReturnType<typeof crowdWait>): string {
  return `${c.totalSeconds} (${c.meanSeconds ?? "–"}; ${c.visitorsWaited} of ${c.visitorsArrived} waited)`;
}

function markdown(
  report: Record<string, unknown>,
  w: RunSummary,
  wo: RunSummary | null,
  list: Check[],
  s: Settings,
  bots: { withRoom: BotFigures; withoutRoom: BotFigures | null } | null,
  autopilot: AutopilotFigures | null,
): string {
  const cell = (v: unknown) =>
    v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v);
  const row = (name: string, a: unknown, b: unknown) => `| ${name} | ${cell(a)} | ${cell(b)} |`;
  const q = (x: RunSummary["queueSeconds"]) => `${x.p50} / ${x.p95} / ${x.max}`;
  const r = report.redisCommands as ReturnType<typeof redisFigures>;
  const wp = w.waitPredictionError;
  const botCell = (b: BotFigures) =>
    `${b.requests} requests from ${b.arrived} clients; ${b.tickets} got a ticket, ${b.straightIn} got straight in`;
  const lines = [
    `## Surge: profile \`${s.profile.name}\`${s.quick ? " (quick)" : ""}`,
    "",
    `${s.profile.description}.`,
    "",
    `Time compression: 1 profile minute = ${s.minuteSeconds} real seconds. ` +
      (s.autopilot
        ? `Autopilot on, starting at ${s.ratePerMinute} admissions per profile minute (worker ADMIT_PER_MINUTE=${report.admitPerMinute}), within ${s.minRate}-${s.maxRate}, origin p95 target ${s.targetP95Ms} ms; crowd arrivals in multiples of ${s.crowdRate}/profile minute. `
        : `Rate ${s.ratePerMinute} admissions per profile minute (worker ADMIT_PER_MINUTE=${report.admitPerMinute})${s.crowdRate !== s.ratePerMinute ? `; crowd arrivals in multiples of ${s.crowdRate}/profile minute` : ""}. `) +
      `Origin: ${s.capacity} concurrent requests of ~${s.serviceMs} ms, 503 after 2 s in its backlog` +
      (s.capacityChanges.length > 0
        ? ` (${s.capacityChanges.map((c) => `${c.capacity} slots from minute ${c.minute}`).join(", ")})`
        : "") +
      `. Abandon share ${s.abandon}. Visitors: ${w.visitors.arrived}.` +
      (s.bots > 0
        ? ` Flood: cookie-less clients at ${s.bots}x the visitors' arrival rate, ${s.botRequests} requests each (${bots?.withRoom.clients ?? 0} clients).`
        : "") +
      (s.maxActive > 0 ? ` Active-users cap MAX_ACTIVE=${s.maxActive}, SESSION_MINUTES=${s.sessionMinutes}.` : "") +
      (s.release ? " Early release: each admitted visitor's last page view is /checkout/complete." : ""),
    "",
    "| figure | with the room | without the room |",
    "|---|---|---|",
    row(
      s.autopilot
        ? "admissions / rate in force (mean over the minute), full minutes (min-max)"
        : "admissions / configured rate, full minutes (min-max)",
      w.admissionRatio ? `${w.admissionRatio.min}-${w.admissionRatio.max} (${w.admissionRatio.minutes} min)` : null,
      null,
    ),
    row(
      "visitors admitted / rate, minutes visitors waited throughout (min-max)",
      w.humanAdmissionRatio
        ? `${w.humanAdmissionRatio.min}-${w.humanAdmissionRatio.max}, mean ${w.humanAdmissionRatio.mean} (${w.humanAdmissionRatio.minutes} min)`
        : null,
      null,
    ),
    row(
      "positions released / rate, full minutes (min-max)",
      w.releasedRatio ? `${w.releasedRatio.min}-${w.releasedRatio.max}` : null,
      null,
    ),
    row(
      "show ratio of no-show compensation, sampled (min-max)",
      w.showRatio ? `${w.showRatio.min}-${w.showRatio.max}` : null,
      null,
    ),
    row("FIFO inversions (1 s resolution)", w.fifoInversions, wo?.fifoInversions),
    row("time to get in, s real (p50 / p95 / max)", q(w.queueSeconds), wo ? q(wo.queueSeconds) : null),
    row(
      "wait prediction error, s real (median / p90 of the absolute error)",
      wp
        ? `${wp.medianAbsSeconds} / ${wp.p90AbsSeconds} (${wp.medianAbsProfileMinutes} / ${wp.p90AbsProfileMinutes} profile min; ${wp.visitors} visitors; median predicted - actual ${wp.medianSignedSeconds})`
        : null,
      null,
    ),
    row(
      "origin peak in-flight / capacity",
      `${w.originPeakInFlight} / ${w.originCapacity}`,
      wo ? `${wo.originPeakInFlight} / ${wo.originCapacity}` : null,
    ),
    row("origin error rate", w.originErrorRate, wo?.originErrorRate),
    row(
      "origin latency p50 / p95 ms",
      `${w.originLatencyMs.p50} / ${w.originLatencyMs.p95}`,
      wo ? `${wo.originLatencyMs.p50} / ${wo.originLatencyMs.p95}` : null,
    ),
    row(
      "visitors admitted / arrived",
      `${w.visitors.admitted} / ${w.visitors.arrived}`,
      wo ? `${wo.visitors.admitted} / ${wo.visitors.arrived}` : null,
    ),
    row(
      "visitors who gave up (after waiting / after errors)",
      `${w.visitors.abandoned} / ${w.visitors.failed}`,
      wo ? `${wo.visitors.abandoned} / ${wo.visitors.failed}` : null,
    ),
    row("still waiting at the end", w.visitors.stillWaitingAtEnd, wo?.visitors.stillWaitingAtEnd),
    row(
      "the crowd's total wait, s real (mean per visitor who waited)",
      crowdCell((report.withRoom as { crowdWait: ReturnType<typeof crowdWait> }).crowdWait),
      null,
    ),
    ...(w.maxActive !== null
      ? [
          row(
            `active visitors at once, peak / MAX_ACTIVE (SESSION_MINUTES=${s.sessionMinutes} real minutes)`,
            `${w.peakActive} / ${w.maxActive} (${w.peakActiveRatio})`,
            wo ? `${wo.peakActive} (no cap)` : null,
          ),
        ]
      : []),
    ...(w.release
      ? [
          row(
            "released sessions (last page view at /checkout/complete): pass cleared / header seen",
            `${w.release.passCleared} / ${w.release.visitors}; header seen ${w.release.headerSeen}`,
            null,
          ),
        ]
      : []),
    ...(bots
      ? [
          row(
            "cookie-less flood",
            botCell(bots.withRoom),
            bots.withoutRoom ? `${bots.withoutRoom.requests} requests, ${bots.withoutRoom.straightIn} served` : null,
          ),
        ]
      : []),
    row(
      "time outside the origin per page view, ms p50 / p95",
      `${w.outsideOriginMs.p50} / ${w.outsideOriginMs.p95}`,
      wo ? `${wo.outsideOriginMs.p50} / ${wo.outsideOriginMs.p95}` : null,
    ),
    row("Redis script calls per visitor", r.perVisitor, null),
    row("… per poll (surge) / (phase)", `${r.perPoll} / ${r.phases.perPoll}`, null),
    row("… per newcomer (phase)", r.perNewcomer, null),
    row("… per admitted page view (phase)", r.perAdmittedView, null),
    row(
      "worker latency added to admitted page views, ms p50 / p95",
      report.workerAddedMs
        ? `${(report.workerAddedMs as { p50: number }).p50} / ${(report.workerAddedMs as { p95: number }).p95}`
        : null,
      null,
    ),
    "",
    ...(autopilot
      ? [
          "| autopilot figure (rates per profile minute) | value |",
          "|---|---|",
          `| rate: start / final / final-minute mean | ${autopilot.startRate} / ${autopilot.finalRate} / ${autopilot.finalMinuteMeanRate} |`,
          `| sustainable rate (${autopilot.sustainableSource}) / learned capacity | ${autopilot.sustainableRate ?? "–"} / ${autopilot.learnedCapacity ?? "–"} |`,
          `| settled: s after the first change (profile s), at minute | ${autopilot.settleSeconds ?? "no change"} (${autopilot.settleProfileSeconds ?? "–"}), ${autopilot.settledAtMinute ?? "–"}${autopilot.settledBeforeFinalMinute === false ? " (still moving in the final minute)" : ""} |`,
          `| seconds with origin p95 above ${autopilot.targetP95Ms} ms (profile s) | ${autopilot.secondsAboveTarget} (${autopilot.secondsAboveTargetProfile}) |`,
          `| origin error share | ${autopilot.originErrorRate} |`,
          `| mean rate per profile minute | ${autopilot.minuteRates.map((m) => m.rate ?? "–").join(", ")} |`,
          `| changes logged | ${autopilot.changes.length}${
            autopilot.changes.length > 0
              ? `: ${autopilot.changes
                  .slice(0, 8)
                  .map((c) => `${c.atMinute} min ${c.from}->${c.to} (${c.code})`)
                  .join("; ")}${autopilot.changes.length > 8 ? "; …" : ""}`
              : ""
          } |`,
          "",
        ]
      : []),
    "| goal | measured | met |",
    "|---|---|---|",
    ...list.map((c) => `| ${c.goal} | ${c.value} | ${c.met === null ? "n/a" : c.met ? "yes" : "**NO**"} |`),
    "",
  ];
  return lines.join("\n");
}

/** What every run of one invocation shares: the store, the origin, the probe and the crowd. */
interface Lab {
  readonly s: Settings;
  readonly run: ReturnType<typeof labRun>;
  readonly probe: RedisProbe;
  readonly origin: Awaited<ReturnType<typeof startOrigin>>;
  readonly bridge: BridgeThread;
  readonly redis: RedisServer;
  readonly keys: Awaited<ReturnType<typeof fixedKeys>>;
  readonly plan: readonly VisitorPlan[];
  readonly botPlan: readonly BotPlan[];
  readonly started: number;
}

/** A rate per profile minute as the worker's rate per real minute. */
function perRealMinute(s: Settings, perProfileMinute: number): number {
  return (perProfileMinute * 60) / s.minuteSeconds;
}

/** Starts the worker for one room at `admitPerMinute` (per real minute), with or without the autopilot. */
async function startRoom(lab: Lab, room: string, admitPerMinute: number, autopilot: boolean) {
  const s = lab.s;
  const adminToken = randomBytes(24).toString("hex");
  const two = (x: number) => String(Math.round(x * 100) / 100);
  const env = {
    PORT: "0",
    ROOM: room,
    ADMIT_PER_MINUTE: String(admitPerMinute),
    SESSION_MINUTES: String(s.sessionMinutes),
    // The lab's visitors never outstay the absolute session; a long --session-minutes raises it along.
    SESSION_MAX_MINUTES: String(Math.max(60, s.sessionMinutes)),
    ...(s.maxActive > 0 ? { MAX_ACTIVE: String(s.maxActive) } : {}),
    COOKIE_CHECK: s.cookieCheck,
    ORIGIN_URL: lab.origin.url,
    UPSTASH_REDIS_REST_URL: lab.bridge.url,
    UPSTASH_REDIS_REST_TOKEN: lab.bridge.token,
    // The admin stats (the autopilot's reading) at the end of the run.
    ADMIN_TOKEN: adminToken,
    ...(autopilot
      ? {
          AUTOPILOT: "on",
          AUTOPILOT_MIN_RATE: two(perRealMinute(s, s.minRate)),
          AUTOPILOT_MAX_RATE: two(perRealMinute(s, s.maxRate)),
          ORIGIN_TARGET_P95_MS: String(s.targetP95Ms),
          ...(s.originTimeoutMs !== null ? { ORIGIN_TIMEOUT_MS: String(s.originTimeoutMs) } : {}),
        }
      : {}),
    STORE_FAILURE_RATE_SHARE: String(s.rateShare),
    // Fixed keys: a wrangler rebuild (it watches worker/) must not invalidate every ticket and pass mid-run.
    ...lab.keys,
  };
  let url: string;
  let close: () => Promise<void>;
  let fleet: Fleet | null = null;
  if (s.instances !== null) {
    console.error(`surge: starting a fleet of ${s.instances} instance(s) (Miniflare) behind the lab's front…`);
    const vars = await workerVars(env);
    const bridgeUrl = lab.bridge.url;
    fleet = await startFleet({
      instances: s.instances,
      // Each instance its own bridge URL: the bridge counts its calls apart.
      vars: (slot) => ({ ...vars, UPSTASH_REDIS_REST_URL: labelledUrl(bridgeUrl, `i${slot}`) }),
      verbose: s.verbose,
    });
    url = fleet.url;
    close = fleet.close;
  } else {
    console.error("surge: starting the worker (wrangler dev)…");
    const stack = await startStack({ env, verbose: s.verbose });
    url = stack.url;
    close = stack.stop;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await close();
  };
  lab.run.defer(stop);
  const sv: Services = {
    probe: lab.probe,
    origin: lab.origin,
    roomUrl: url,
    room,
    admitPerMinute,
    adminToken,
    fleet,
    bridge: lab.bridge,
    redis: lab.redis,
  };
  return { sv, stop };
}

function timingOf(s: Settings, ratePerMinute: number): Timing {
  return {
    minuteSeconds: s.minuteSeconds,
    ratePerMinute,
    originCapacity: s.capacity,
    maxActive: s.maxActive,
    sessionMinutes: s.sessionMinutes,
  };
}

function autopilotSetup(s: Settings): AutopilotSetup {
  return {
    minuteSeconds: s.minuteSeconds,
    durationMs: s.durationMinutes * s.minuteSeconds * 1000,
    startRate: s.ratePerMinute,
    minRate: s.minRate,
    maxRate: s.maxRate,
    targetP95Ms: s.targetP95Ms,
    maxErrorRate: MAX_ERROR_RATE,
    capacity: s.capacity,
    serviceMs: s.serviceMs,
    capacityChanges: s.capacityChanges,
    sustainable: s.sustainable,
    bestFixedWaitSeconds: s.bestWaitSeconds,
  };
}

async function main(): Promise<void> {
  const s = settingsFromArgs(process.argv.slice(2));
  const started = Date.now();
  const runMs = s.durationMinutes * s.minuteSeconds * 1000;
  // Everything stops by itself: the runs (each with its worker's start-up), the phases and a margin.
  const runs = s.sweep ? s.sweep.length : 2;
  const run = labRun("surge", runs * (runMs + 90_000) + 180_000);
  // The crowd arrives in multiples of the crowd rate, whatever rate the room starts at.
  const crowdPerMinute = perRealMinute(s, s.crowdRate);
  const plan = planVisitors(s, crowdPerMinute / 60_000);
  const botPlan = planBots(s, crowdPerMinute / 60_000);
  console.error(
    `surge: profile ${s.profile.name}, ${plan.length} visitors over ${s.durationMinutes} profile minutes of ${s.minuteSeconds} s; ` +
      (s.sweep
        ? `sweep of fixed rates ${s.sweep.join(", ")}/profile minute`
        : `${s.autopilot ? "autopilot on, starting at " : "rate "}${s.ratePerMinute}/profile minute (ADMIT_PER_MINUTE=${perRealMinute(s, s.ratePerMinute)})`) +
      (s.crowdRate !== s.ratePerMinute || s.sweep ? `; crowd at ${s.crowdRate}/profile minute` : "") +
      `; origin ${s.capacity} x ${s.serviceMs} ms` +
      (s.capacityChanges.length > 0
        ? ` (${s.capacityChanges.map((c) => `${c.capacity} slots at minute ${c.minute}`).join(", ")})`
        : "") +
      (botPlan.length > 0
        ? `; flood of ${botPlan.length} cookie-less clients (${s.bots}x) x ${s.botRequests} requests`
        : "") +
      (s.maxActive > 0 ? `; MAX_ACTIVE=${s.maxActive}` : "") +
      `; SESSION_MINUTES=${s.sessionMinutes}` +
      (s.release ? "; early release at /checkout/complete" : ""),
  );
  try {
    const { redis, bridge } = await startLabStore(run, {
      // A killed redis-server comes back with its data, as a production Redis with persistence would.
      persistent: s.outageAt !== null && !s.outageStop,
      ...(s.redisLatencyMs > 0
        ? {
            latency: {
              roundTripMs: s.redisLatencyMs,
              jitter: REDIS_JITTER,
              ...(s.redisP99Ms !== null ? { p99Ms: s.redisP99Ms } : {}),
            },
          }
        : {}),
      labels: s.instances !== null,
    });
    const origin = await startOrigin({ kind: "limited", ...originOptions(s) });
    run.defer(() => origin.close());
    const probe = new RedisProbe(redis.url);
    run.defer(() => probe.close());
    const lab: Lab = { s, run, probe, origin, bridge, redis, keys: await fixedKeys(), plan, botPlan, started };
    if (s.sweep) await sweep(lab, s.sweep);
    else await surge(lab);
  } finally {
    await run.finish();
  }
}

/** The surge: with the room (and the autopilot when on), the Redis cost phases, then without the room. */
async function surge(lab: Lab): Promise<void> {
  const { s, plan, botPlan } = lab;
  const admitPerMinute = perRealMinute(s, s.ratePerMinute);
  const { sv } = await startRoom(lab, `surge-${Date.now()}`, admitPerMinute, s.autopilot);
  const timing = timingOf(s, s.ratePerMinute);

  const withRoom = await runOnce("room", plan, botPlan, s, sv);
  if (withRoom.events?.outage && withRoom.events.outage.to === null)
    console.error("surge: the outage had not ended by the end of the run");
  // Before the Redis cost phases: their newcomers are not the surge's.
  const roomReport = s.report ? await historyReport(s, sv, withRoom.epoch) : null;
  console.error("surge: measuring Redis commands per request kind…");
  const kinds = await measureKinds(sv, withRoom.keptJars, s);
  const withoutRoom = s.skipWithout ? null : await runOnce("direct", plan, botPlan, s, sv);

  const runMs = withRoom.run.durationMs;
  // The rate in force each second, per profile minute: the autopilot's (from its Redis hash), else the configured one.
  const rates = ratePerSecond(withRoom.readings, Math.ceil(runMs / 1000), admitPerMinute).map(
    (r) => (r * s.minuteSeconds) / 60,
  );
  const timingWith: Timing = s.autopilot ? { ...timing, ratePerSecond: rates } : timing;
  const arrivals = plan.map((p) => p.arrivalMs);
  const w = summarize(withRoom.run, timingWith);
  const wo = withoutRoom ? summarize(withoutRoom.run, timing) : null;
  const redisCommands = redisFigures(withRoom, kinds, w.visitors.arrived);
  const workerAddedMs =
    wo && w.outsideOriginMs.p50 !== null && wo.outsideOriginMs.p50 !== null
      ? {
          p50: round(w.outsideOriginMs.p50 - wo.outsideOriginMs.p50, 2),
          p95: round((w.outsideOriginMs.p95 ?? 0) - (wo.outsideOriginMs.p95 ?? 0), 2),
          note: "time outside the origin per served page view with the room minus without it (same client, same loopback)",
        }
      : null;
  const seriesWith = series(withRoom.run, timingWith, arrivals);
  const seriesWithout = withoutRoom ? series(withoutRoom.run, timing, arrivals) : [];
  const setup = autopilotSetup(s);
  const autopilot = s.autopilot
    ? autopilotFigures(
        {
          records: withRoom.run.records,
          buckets: withRoom.run.origin.buckets,
          waiting: withRoom.run.waiting,
          readings: withRoom.readings,
          originRequests: withRoom.run.origin.ok + withRoom.run.origin.errors,
          originErrors: withRoom.run.origin.errors,
          log: withRoom.autopilotLog,
          epoch: withRoom.epoch,
        },
        setup,
      )
    : null;
  const list = [...checks(w, wo, redisCommands, s), ...(autopilot ? autopilotChecks(autopilot, setup) : [])];
  const fleet = fleetFigures(s, withRoom, timing.ratePerMinute);
  const bots =
    s.bots > 0
      ? {
          withRoom: botFigures(withRoom.bots, w.visitors.arrived),
          withoutRoom: withoutRoom && wo ? botFigures(withoutRoom.bots, wo.visitors.arrived) : null,
        }
      : null;
  const report = {
    generatedAt: new Date().toISOString(),
    machine: await machine(),
    profile: { name: s.profile.name, description: s.profile.description, minutes: s.durationMinutes },
    quick: s.quick,
    timeCompression: {
      realSecondsPerProfileMinute: s.minuteSeconds,
      note: "every per-minute figure is per profile minute; the worker's rate is scaled to match. Queue times are in real seconds; multiply by 60 / realSecondsPerProfileMinute for profile time. Poll intervals and think times are real seconds (not compressed).",
    },
    ratePerProfileMinute: s.ratePerMinute,
    /** The rate the profile's arrivals are multiples of (per profile minute). */
    crowdRatePerProfileMinute: s.crowdRate,
    admitPerMinute,
    autopilot: s.autopilot
      ? {
          on: true,
          startRate: s.ratePerMinute,
          minRate: s.minRate,
          maxRate: s.maxRate,
          targetP95Ms: s.targetP95Ms,
          originTimeoutMs: s.originTimeoutMs,
          note: "rates per profile minute; the worker got them per real minute (AUTOPILOT_MIN_RATE / MAX_RATE = rate x 60 / realSecondsPerProfileMinute)",
        }
      : null,
    abandon: s.abandon,
    maxActive: s.maxActive > 0 ? s.maxActive : null,
    sessionMinutes: s.sessionMinutes,
    release: s.release,
    scale: s.scale,
    seed: s.seed,
    origin: { ...originOptions(s), capacityChanges: s.capacityChanges },
    flood:
      s.bots > 0
        ? {
            factor: s.bots,
            requestsPerClient: s.botRequests,
            clients: botPlan.length,
            note: "cookie-less clients at `factor` times the visitors' arrival rate (same profile shape, own seed); each sends fresh JSON requests with no cookies, the next after the previous answer's Retry-After, and never polls",
          }
        : null,
    fleet,
    withRoom: {
      ...w,
      redisCommands,
      bots: bots?.withRoom ?? null,
      crowdWait: crowdWait(withRoom.run.records, runMs, s.minuteSeconds),
      autopilot: autopilot ? { ...autopilot, stats: withRoom.autopilotStats } : null,
    },
    withoutRoom: wo ? { ...wo, admissionRatio: null, bots: bots?.withoutRoom ?? null } : null,
    redisCommands,
    workerAddedMs,
    checks: list,
    roomReport: roomReport && roomReportFigures(roomReport, s, w, withRoom),
    series: { withRoom: seriesWith, withoutRoom: seriesWithout },
    wallSeconds: Math.round((Date.now() - lab.started) / 1000),
  };
  await mkdir(s.out, { recursive: true });
  await writeFile(join(s.out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const md =
    markdown(report, w, wo, list, s, bots, autopilot) +
    fleetMarkdown(fleet) +
    (roomReport ? roomReportMarkdown(roomReport, s, w, withRoom) : "");
  await writeFile(join(s.out, "report.md"), md);
  const chart = await renderChart(chartPoints(seriesWith, seriesWithout, s, autopilot), PANELS, chartTitle(s));
  await writeFile(join(s.out, "chart.svg"), chart.svg);
  await writeFile(join(s.out, "chart.png"), chart.png);
  console.log(md);
  console.log(
    `surge: report in ${relative(process.cwd(), s.out) || "."}/ (report.json, report.md, chart.svg, chart.png)` +
      (roomReport?.ok ? `; the room's report in ${ROOM_REPORT_DIR}/` : ""),
  );
  // Asked for and not written: the lab's own report stands, and the run fails (CI notices).
  if (roomReport && !roomReport.ok) throw new Error(`--report: ${roomReport.error}`);
}

/** The room's report's folder, inside the lab's output folder. */
const ROOM_REPORT_DIR = "history";

/**
 * `anteroom report` against the room (the stack's URL: the worker's, or the
 * fleet's front), covering the run with the room from its start.
 */
async function historyReport(
  s: Settings,
  sv: Services,
  runStart: number,
): Promise<RoomReportResult & { seconds: number }> {
  const plan = roomReportPlan({
    url: sv.roomUrl,
    token: sv.adminToken,
    fromMs: runStart,
    nowMs: Date.now(),
    dir: join(s.out, ROOM_REPORT_DIR),
  });
  console.error(`surge: the room's report: anteroom report --since ${plan.since} --out ${ROOM_REPORT_DIR}…`);
  const began = Date.now();
  const result = await takeRoomReport(plan);
  const seconds = Math.round((Date.now() - began) / 100) / 10;
  console.error(
    result.ok ? `surge: the room's report written in ${seconds} s` : `surge: the room's report failed: ${result.error}`,
  );
  return { ...result, seconds };
}

/** Why the room's figures are per real minute while the lab's are per profile minute. */
function compressionNote(s: Settings): string {
  return `The room's history is per real minute; 1 profile minute here is ${s.minuteSeconds} real seconds, so one row of it holds ${round(60 / s.minuteSeconds, 2)} profile minutes (the run's ${s.durationMinutes} profile minutes are ${round((s.durationMinutes * s.minuteSeconds) / 60, 2)} real minutes), and its waits are whole real minutes.`;
}

/**
 * The room's totals beside what the lab counted of the same run: places
 * handed out against arrivals (visitors, and cookie-less clients given a
 * place), places used against visitors admitted, the peak queue against the
 * most visitors waiting in any second. Figures side by side, not checks: a
 * flush or an outage restarts the room's counters, and the lab's waiting
 * count is sampled each second.
 */
function roomVersusLab(r: RoomReportResult & { ok: true }, w: RunSummary, bots: BotCounts, waiting: readonly number[]) {
  const botPlaces = bots.tickets + bots.straightIn;
  return [
    { figure: "arrivals (places handed out)", room: r.totals.arrivals, lab: w.visitors.arrived + botPlaces },
    { figure: "places used / visitors admitted", room: r.totals.used, lab: w.visitors.admitted },
    {
      figure: "peak queue / most visitors waiting in a second",
      room: r.totals.peakQueue,
      lab: Math.max(0, ...waiting),
    },
  ];
}

function roomReportFigures(r: RoomReportResult & { seconds: number }, s: Settings, w: RunSummary, run: OneRun) {
  return r.ok
    ? {
        dir: ROOM_REPORT_DIR,
        files: ["report.md", "report.json", "report.svg"],
        since: r.since,
        /** Wall time of the two CLI runs (each starts Node, reads the history, draws the chart). */
        seconds: r.seconds,
        totals: r.totals,
        versusLab: roomVersusLab(r, w, run.bots, run.run.waiting),
        note: compressionNote(s),
      }
    : { dir: ROOM_REPORT_DIR, since: r.since, error: r.error };
}

function roomReportMarkdown(r: RoomReportResult, s: Settings, w: RunSummary, run: OneRun): string {
  const taken = `\`anteroom report --since ${r.since} --out ${ROOM_REPORT_DIR}\` (and \`--json\`) against the room at the end of the run with it`;
  if (!r.ok) return `\n### The room's own report\n\n${taken} **failed**: ${r.error}\n`;
  const rows = roomVersusLab(r, w, run.bots, run.run.waiting).map(
    (row) => `| ${row.figure} | ${row.room ?? "–"} | ${row.lab} |`,
  );
  return [
    "",
    "### The room's own report",
    "",
    `${taken}: [${ROOM_REPORT_DIR}/report.md](${ROOM_REPORT_DIR}/report.md), [report.json](${ROOM_REPORT_DIR}/report.json), [chart](${ROOM_REPORT_DIR}/report.svg). ${compressionNote(s)}`,
    "",
    "| figure | the room's report | the lab's count |",
    "|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

/**
 * The sweep: the room at each fixed rate on the same seeded crowd, each with
 * a fresh worker and room (the state of one run must not carry into the
 * next), and what the origin and the crowd went through at each.
 */
async function sweep(lab: Lab, rates: readonly number[]): Promise<void> {
  const { s, plan, botPlan } = lab;
  const runMs = s.durationMinutes * s.minuteSeconds * 1000;
  const seconds = Math.ceil(runMs / 1000);
  const rows = [];
  for (const [i, rate] of rates.entries()) {
    console.error(`surge: sweep ${i + 1}/${rates.length}: fixed rate ${rate}/profile minute`);
    const { sv, stop } = await startRoom(lab, `surge-sweep-${Date.now()}-${i}`, perRealMinute(s, rate), false);
    try {
      const one = await runOnce("room", plan, botPlan, s, sv);
      const w = summarize(one.run, timingOf(s, rate));
      const p95 = p95PerSecond(one.run.origin.buckets, seconds);
      const errorRate = w.originErrorRate ?? 0;
      const healthy = (w.originLatencyMs.p95 ?? 0) <= s.targetP95Ms && errorRate <= MAX_ERROR_RATE;
      rows.push({
        rate,
        healthy,
        originP95Ms: w.originLatencyMs.p95,
        originP50Ms: w.originLatencyMs.p50,
        originErrorRate: errorRate,
        originRequests: w.originRequests,
        originPeakInFlight: w.originPeakInFlight,
        secondsAboveTarget: p95.filter((v) => (v ?? 0) > s.targetP95Ms).length,
        visitors: {
          arrived: w.visitors.arrived,
          admitted: w.visitors.admitted,
          abandoned: w.visitors.abandoned,
          failed: w.visitors.failed,
          stillWaitingAtEnd: w.visitors.stillWaitingAtEnd,
        },
        queueSeconds: w.queueSeconds,
        crowdWait: crowdWait(one.run.records, runMs, s.minuteSeconds),
      });
    } finally {
      await stop();
    }
  }
  const healthy = rows.filter((r) => r.healthy);
  const sustainable = healthy.reduce<(typeof rows)[number] | null>((a, r) => (a && a.rate >= r.rate ? a : r), null);
  const best = healthy.reduce<(typeof rows)[number] | null>(
    (a, r) => (a && a.crowdWait.totalSeconds <= r.crowdWait.totalSeconds ? a : r),
    null,
  );
  const report = {
    generatedAt: new Date().toISOString(),
    machine: await machine(),
    kind: "sweep",
    profile: { name: s.profile.name, description: s.profile.description, minutes: s.durationMinutes },
    quick: s.quick,
    timeCompression: { realSecondsPerProfileMinute: s.minuteSeconds },
    crowdRatePerProfileMinute: s.crowdRate,
    abandon: s.abandon,
    seed: s.seed,
    origin: { ...originOptions(s), capacityChanges: s.capacityChanges },
    targetP95Ms: s.targetP95Ms,
    maxErrorRate: MAX_ERROR_RATE,
    rates: rows,
    /** The highest swept rate whose origin p95 over the run <= target and error share <= 1%. */
    sustainableRate: sustainable?.rate ?? null,
    /** Among the healthy rates, the one with the least total wait of the crowd. */
    bestFixedRate: best?.rate ?? null,
    bestFixedWaitSeconds: best?.crowdWait.totalSeconds ?? null,
    note: "rates per profile minute; each rate is one run with a fresh worker and room on the same seeded crowd (--crowd-rate); the p95 and error share are the lab origin's own over the whole run. Feed the figures to an autopilot run: --sustainable <sustainableRate> --best-wait <bestFixedWaitSeconds>.",
    wallSeconds: Math.round((Date.now() - lab.started) / 1000),
  };
  await mkdir(s.out, { recursive: true });
  await writeFile(join(s.out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const md = [
    `## Sweep: profile \`${s.profile.name}\`${s.quick ? " (quick)" : ""}, crowd at ${s.crowdRate}/profile minute`,
    "",
    `Time compression: 1 profile minute = ${s.minuteSeconds} real seconds. Origin: ${s.capacity} concurrent requests of ~${s.serviceMs} ms` +
      (s.capacityChanges.length > 0
        ? ` (${s.capacityChanges.map((c) => `${c.capacity} at minute ${c.minute}`).join(", ")})`
        : "") +
      `. Target: origin p95 <= ${s.targetP95Ms} ms and errors <= ${MAX_ERROR_RATE * 100}% over the run. Abandon share ${s.abandon}. Visitors: ${plan.length}.`,
    "",
    "| rate / profile min | origin p95 ms | origin errors | s above target | admitted / arrived | gave up | still waiting | crowd wait, s total (mean) | healthy |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.rate} | ${r.originP95Ms ?? "–"} | ${r.originErrorRate} | ${r.secondsAboveTarget} | ${r.visitors.admitted} / ${r.visitors.arrived} | ${r.visitors.abandoned} | ${r.visitors.stillWaitingAtEnd} | ${r.crowdWait.totalSeconds} (${r.crowdWait.meanSeconds ?? "–"}) | ${r.healthy ? "yes" : "no"} |`,
    ),
    "",
    `Sustainable rate: **${report.sustainableRate ?? "none of the rates"}**; best fixed rate (least total wait among the healthy): **${report.bestFixedRate ?? "–"}** (${report.bestFixedWaitSeconds ?? "–"} s).`,
    report.sustainableRate !== null
      ? `For an autopilot run on the same crowd: \`--crowd-rate ${s.crowdRate} --sustainable ${report.sustainableRate}${report.bestFixedWaitSeconds !== null ? ` --best-wait ${report.bestFixedWaitSeconds}` : ""}\`.`
      : "",
    "",
  ].join("\n");
  await writeFile(join(s.out, "report.md"), md);
  console.log(md);
  console.log(`surge: sweep report in ${relative(process.cwd(), s.out) || "."}/ (report.json, report.md)`);
}

const PANELS = [
  "arrivals per second",
  "visitors waiting",
  "admissions per profile minute (trailing)",
  "origin in-flight (peak per second)",
  "origin p95 latency, ms",
  "origin errors per second",
];

/** The lab origin of a run: its slots and service time, a 503 after 2 s in its backlog, a backlog of 25 per slot. */
function originOptions(s: Settings) {
  return { capacity: s.capacity, serviceMs: s.serviceMs, maxWaitMs: 2000, backlogLimit: s.capacity * 25 };
}

function chartTitle(s: Settings): string {
  const rate = s.autopilot
    ? `autopilot from ${s.ratePerMinute}/profile minute (crowd at ${s.crowdRate}), p95 target ${s.targetP95Ms} ms`
    : `rate ${s.ratePerMinute}/profile minute`;
  const changes = s.capacityChanges.map((c) => `, ${c.capacity} at minute ${c.minute}`).join("");
  return `Surge "${s.profile.name}": ${rate}, origin capacity ${s.capacity}${changes} x ${s.serviceMs} ms, 1 profile minute = ${s.minuteSeconds} s`;
}

function chartPoints(
  w: ReturnType<typeof series>,
  wo: ReturnType<typeof series>,
  s: Settings,
  autopilot: AutopilotFigures | null,
): ChartPoint[] {
  const points: ChartPoint[] = [];
  const add = (rows: ReturnType<typeof series>, name: string) => {
    for (const p of rows) {
      const t = p.profileMinute ?? 0;
      points.push({ t, panel: PANELS[0] as string, series: name, value: p.arrivals });
      if (name === WITH_ROOM) {
        points.push({ t, panel: PANELS[1] as string, series: name, value: p.waiting });
        points.push({ t, panel: PANELS[2] as string, series: name, value: p.admissionsPerMinute });
      }
      points.push({ t, panel: PANELS[3] as string, series: name, value: p.originInFlight });
      points.push({ t, panel: PANELS[4] as string, series: name, value: p.originP95Ms });
      points.push({ t, panel: PANELS[5] as string, series: name, value: p.originErrors });
    }
  };
  add(w, WITH_ROOM);
  add(wo, WITHOUT_ROOM);
  const end = s.durationMinutes;
  // A reference that steps at each capacity change (a hair before the change, so the line is vertical).
  const stepped = (panel: string, valueAt: (capacity: number) => number | null) => {
    let capacity = s.capacity;
    points.push({ t: 0, panel, series: REFERENCE, value: valueAt(capacity) });
    for (const c of s.capacityChanges) {
      points.push({ t: Math.max(0, c.minute - 0.001), panel, series: REFERENCE, value: valueAt(capacity) });
      capacity = c.capacity;
      points.push({ t: c.minute, panel, series: REFERENCE, value: valueAt(capacity) });
    }
    points.push({ t: end, panel, series: REFERENCE, value: valueAt(capacity) });
  };
  stepped(PANELS[3] as string, (capacity) => capacity);
  if (autopilot) {
    for (const p of autopilot.rateSeries)
      points.push({ t: p.t, panel: PANELS[2] as string, series: AUTOPILOT_RATE, value: p.rate });
    // The reference is the rate the origin can take (sustainable, by its slots).
    const perSlot = autopilot.sustainableRate === null ? null : autopilot.sustainableRate / s.capacity;
    if (perSlot !== null) stepped(PANELS[2] as string, (capacity) => round(perSlot * capacity, 1));
    for (const t of [0, end]) points.push({ t, panel: PANELS[4] as string, series: TARGET, value: s.targetP95Ms });
  } else {
    for (const t of [0, end]) points.push({ t, panel: PANELS[2] as string, series: REFERENCE, value: s.ratePerMinute });
  }
  return points;
}

async function machine() {
  const { readFile } = await import("node:fs/promises");
  const { availableParallelism } = await import("node:os");
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  return {
    cpus: availableParallelism(),
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    node: process.version,
  };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`surge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
