// The surge lab: replays a surge against the whole stack on loopback, with the
// room and then with the room stepped aside, and reports what it measured.
//
//   npm run surge -- [--profile tv|drop|steady] [--quick] [--abandon 0.3] [--out DIR]
//                    [--minute S] [--rate N] [--scale X] [--duration M]
//                    [--capacity N] [--service-ms M] [--seed N] [--skip-without] [--verbose]
//                    [--bots X] [--bot-requests N]
//                    [--max-active N] [--session-minutes M] [--release]
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
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Agent } from "undici";
import { startStack } from "../tools/stack.ts";
import { advance, rateOf } from "../worker/model/admission.ts";
import { stateKey } from "../worker/store/keys.ts";
import { type RunData, type RunSummary, type StateSample, series, summarize, type Timing } from "./lib/analyze.ts";
import { type BotCounts, type BotPlan, bot, newBotCounts } from "./lib/bots.ts";
import { type ChartPoint, REFERENCE, renderChart, WITH_ROOM, WITHOUT_ROOM } from "./lib/chart.ts";
import { CookieJar, get, header, jwtPayload, NAVIGATE_HEADERS, POLL_HEADERS, visitorAgent } from "./lib/http.ts";
import { fixedKeys } from "./lib/keys.ts";
import { labRun, startLabStore } from "./lib/lab.ts";
import { arrivalTimes, PROFILES, type Profile } from "./lib/profiles.ts";
import { commandDelta, RedisProbe } from "./lib/redis-stats.ts";
import { prng, round, sleep, spread } from "./lib/stats.ts";
import { startOrigin } from "./lib/threads.ts";
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
}

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
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "npm run surge -- [--profile tv|drop|steady] [--quick] [--abandon 0.3] [--out DIR] [--minute S] [--rate N]\n" +
        "                 [--scale X] [--duration M] [--capacity N] [--service-ms M] [--seed N] [--skip-without] [--verbose]\n" +
        "                 [--bots X] [--bot-requests N] [--cookie-check off|busy|always]\n" +
        "                 [--max-active N (0: off)] [--session-minutes M (real minutes, default 60)] [--release]",
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
  return {
    profile,
    quick,
    abandon: num("abandon", values.abandon, 0, 1),
    minuteSeconds,
    ratePerMinute: num("rate", values.rate ?? (quick ? "15" : "90"), 1, 100_000),
    scale: num("scale", values.scale, 0.01, 100),
    durationMinutes,
    capacity: num("capacity", values.capacity, 1, 10_000),
    serviceMs: num("service-ms", values["service-ms"], 1, 60_000),
    seed: num("seed", values.seed, 0, 2 ** 31),
    skipWithout: values["skip-without"] ?? false,
    verbose: values.verbose ?? false,
    out: resolve(values.out ?? join(ROOT, "bench", "out", `surge-${profile.name}-${stamp}`)),
    bots: num("bots", values.bots, 0, 100),
    botRequests: Math.round(num("bot-requests", values["bot-requests"], 1, 10)),
    cookieCheck: oneOfArg("cookie-check", values["cookie-check"], ["off", "busy", "always"]),
    maxActive: wholeArg("max-active", values["max-active"], 999_999_999),
    sessionMinutes: num("session-minutes", values["session-minutes"], 0.05, 7 * 24 * 60),
    release: values.release ?? false,
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
  readonly admitPerMinute: number;
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
  const before = await sv.probe.commandCounts();
  const samples: StateSample[] = [];
  const waiting: number[] = [];
  const rate = rateOf(sv.admitPerMinute);
  let sampling = false;
  const sampler = setInterval(() => {
    if (mode !== "room" || sampling) return;
    sampling = true;
    void sv.probe
      .state(stateKey(sv.room))
      .then((state) => {
        if (!state) return;
        const now = Date.now();
        const advanced = advance(state, rate, now);
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
    const line =
      `[${label}] ${((Date.now() - epoch) / 1000 / s.minuteSeconds).toFixed(1)}/${s.durationMinutes} min` +
      ` | arrived ${g.arrived} | waiting ${g.waiting} | admitted ${g.admitted} | gave up ${g.abandoned}` +
      (botAgent ? ` | bot requests ${botCounts.requests}` : "") +
      ` | origin in-flight ${o?.inFlight ?? 0}/${s.capacity}, p95 ${o?.recentP95Ms ?? "-"} ms, errors ${o?.errors ?? 0}`;
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
    clearInterval(sampler);
    clearInterval(ticker);
    if (tty) process.stderr.write("\n");
  }
  const after = await sv.probe.commandCounts();
  const origin = await sv.origin.report();
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
  return { run, commands: commandDelta(before, after), keptJars: ctx.keptJars, bots: botCounts };
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

type Check = { goal: string; value: string; met: boolean | null };

function checks(
  withRoom: RunSummary,
  withoutRoom: RunSummary | null,
  redis: ReturnType<typeof redisFigures>,
  s: Settings,
): Check[] {
  const list: Check[] = [];
  const ratio = withRoom.admissionRatio;
  if (s.maxActive > 0)
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
  list.push({
    goal: "origin peak in-flight never above capacity with the room",
    value: `${withRoom.originPeakInFlight} / ${withRoom.originCapacity}`,
    met: withRoom.originPeakInFlight <= withRoom.originCapacity,
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
    value: String(redis.perPoll),
    met: redis.perPoll !== null && redis.perPoll <= 0.05,
  });
  list.push({
    goal: "a journey costs at most 2 commands plus per-instance ticks",
    value: `${redis.surge.perVisitorExcludingTicks} + ${redis.surge.ticks} ticks in all`,
    met: redis.surge.perVisitorExcludingTicks !== null && redis.surge.perVisitorExcludingTicks <= 2,
  });
  return list;
}

function markdown(
  report: Record<string, unknown>,
  w: RunSummary,
  wo: RunSummary | null,
  list: Check[],
  s: Settings,
  bots: { withRoom: BotFigures; withoutRoom: BotFigures | null } | null,
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
    `Time compression: 1 profile minute = ${s.minuteSeconds} real seconds. Rate ${s.ratePerMinute} admissions per profile minute (worker ADMIT_PER_MINUTE=${report.admitPerMinute}). ` +
      `Origin: ${s.capacity} concurrent requests of ~${s.serviceMs} ms, 503 after 2 s in its backlog. Abandon share ${s.abandon}. Visitors: ${w.visitors.arrived}.` +
      (s.bots > 0
        ? ` Flood: cookie-less clients at ${s.bots}x the visitors' arrival rate, ${s.botRequests} requests each (${bots?.withRoom.clients ?? 0} clients).`
        : "") +
      (s.maxActive > 0 ? ` Active-users cap MAX_ACTIVE=${s.maxActive}, SESSION_MINUTES=${s.sessionMinutes}.` : "") +
      (s.release ? " Early release: each admitted visitor's last page view is /checkout/complete." : ""),
    "",
    "| figure | with the room | without the room |",
    "|---|---|---|",
    row(
      "admissions / configured rate, full minutes (min-max)",
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
    "| goal | measured | met |",
    "|---|---|---|",
    ...list.map((c) => `| ${c.goal} | ${c.value} | ${c.met === null ? "n/a" : c.met ? "yes" : "**NO**"} |`),
    "",
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const s = settingsFromArgs(process.argv.slice(2));
  const started = Date.now();
  const runMs = s.durationMinutes * s.minuteSeconds * 1000;
  // Everything stops by itself: two runs, the phases, start-up and a margin.
  const run = labRun("surge", 2 * runMs + 180_000);
  const admitPerMinute = (s.ratePerMinute * 60) / s.minuteSeconds;
  const plan = planVisitors(s, admitPerMinute / 60_000);
  const botPlan = planBots(s, admitPerMinute / 60_000);
  const room = `surge-${Date.now()}`;
  console.error(
    `surge: profile ${s.profile.name}, ${plan.length} visitors over ${s.durationMinutes} profile minutes of ${s.minuteSeconds} s; ` +
      `rate ${s.ratePerMinute}/profile minute (ADMIT_PER_MINUTE=${admitPerMinute}); origin ${s.capacity} x ${s.serviceMs} ms` +
      (botPlan.length > 0
        ? `; flood of ${botPlan.length} cookie-less clients (${s.bots}x) x ${s.botRequests} requests`
        : "") +
      (s.maxActive > 0 ? `; MAX_ACTIVE=${s.maxActive}` : "") +
      `; SESSION_MINUTES=${s.sessionMinutes}` +
      (s.release ? "; early release at /checkout/complete" : ""),
  );
  try {
    const { redis, bridge } = await startLabStore(run);
    const origin = await startOrigin({
      kind: "limited",
      capacity: s.capacity,
      serviceMs: s.serviceMs,
      maxWaitMs: 2000,
      backlogLimit: s.capacity * 25,
    });
    run.defer(() => origin.close());
    const probe = new RedisProbe(redis.url);
    run.defer(() => probe.close());
    console.error("surge: starting the worker (wrangler dev)…");
    const stack = await startStack({
      env: {
        PORT: "0",
        ROOM: room,
        ADMIT_PER_MINUTE: String(admitPerMinute),
        SESSION_MINUTES: String(s.sessionMinutes),
        // The lab's visitors never outstay the absolute session; a long --session-minutes raises it along.
        SESSION_MAX_MINUTES: String(Math.max(60, s.sessionMinutes)),
        ...(s.maxActive > 0 ? { MAX_ACTIVE: String(s.maxActive) } : {}),
        COOKIE_CHECK: s.cookieCheck,
        ORIGIN_URL: origin.url,
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        // Fixed keys: a wrangler rebuild (it watches worker/) must not invalidate every ticket and pass mid-run.
        ...(await fixedKeys()),
      },
      verbose: s.verbose,
    });
    run.defer(() => stack.stop());
    const sv: Services = { probe, origin, roomUrl: stack.url, room, admitPerMinute };
    const timing: Timing = {
      minuteSeconds: s.minuteSeconds,
      ratePerMinute: s.ratePerMinute,
      originCapacity: s.capacity,
      maxActive: s.maxActive,
      sessionMinutes: s.sessionMinutes,
    };

    const withRoom = await runOnce("room", plan, botPlan, s, sv);
    console.error("surge: measuring Redis commands per request kind…");
    const kinds = await measureKinds(sv, withRoom.keptJars, s);
    const withoutRoom = s.skipWithout ? null : await runOnce("direct", plan, botPlan, s, sv);

    const arrivals = plan.map((p) => p.arrivalMs);
    const w = summarize(withRoom.run, timing);
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
    const seriesWith = series(withRoom.run, timing, arrivals);
    const seriesWithout = withoutRoom ? series(withoutRoom.run, timing, arrivals) : [];
    const list = checks(w, wo, redisCommands, s);
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
      admitPerMinute,
      abandon: s.abandon,
      maxActive: s.maxActive > 0 ? s.maxActive : null,
      sessionMinutes: s.sessionMinutes,
      release: s.release,
      scale: s.scale,
      seed: s.seed,
      origin: { capacity: s.capacity, serviceMs: s.serviceMs, maxWaitMs: 2000, backlogLimit: s.capacity * 25 },
      flood:
        s.bots > 0
          ? {
              factor: s.bots,
              requestsPerClient: s.botRequests,
              clients: botPlan.length,
              note: "cookie-less clients at `factor` times the visitors' arrival rate (same profile shape, own seed); each sends fresh JSON requests with no cookies, the next after the previous answer's Retry-After, and never polls",
            }
          : null,
      withRoom: { ...w, redisCommands, bots: bots?.withRoom ?? null },
      withoutRoom: wo ? { ...wo, admissionRatio: null, bots: bots?.withoutRoom ?? null } : null,
      redisCommands,
      workerAddedMs,
      checks: list,
      series: { withRoom: seriesWith, withoutRoom: seriesWithout },
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
    await mkdir(s.out, { recursive: true });
    await writeFile(join(s.out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    const md = markdown(report, w, wo, list, s, bots);
    await writeFile(join(s.out, "report.md"), md);
    const chart = await renderChart(chartPoints(seriesWith, seriesWithout, s), PANELS, chartTitle(s));
    await writeFile(join(s.out, "chart.svg"), chart.svg);
    await writeFile(join(s.out, "chart.png"), chart.png);
    console.log(md);
    console.log(
      `surge: report in ${relative(process.cwd(), s.out) || "."}/ (report.json, report.md, chart.svg, chart.png)`,
    );
  } finally {
    await run.finish();
  }
}

const PANELS = [
  "arrivals per second",
  "visitors waiting",
  "admissions per profile minute (trailing)",
  "origin in-flight (peak per second)",
  "origin p95 latency, ms",
  "origin errors per second",
];

function chartTitle(s: Settings): string {
  return `Surge "${s.profile.name}": rate ${s.ratePerMinute}/profile minute, origin capacity ${s.capacity} x ${s.serviceMs} ms, 1 profile minute = ${s.minuteSeconds} s`;
}

function chartPoints(w: ReturnType<typeof series>, wo: ReturnType<typeof series>, s: Settings): ChartPoint[] {
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
  for (const t of [0, end]) {
    points.push({ t, panel: PANELS[2] as string, series: REFERENCE, value: s.ratePerMinute });
    points.push({ t, panel: PANELS[3] as string, series: REFERENCE, value: s.capacity });
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
