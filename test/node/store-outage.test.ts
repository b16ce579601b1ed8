import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, get, header, NAVIGATE_HEADERS, POLL_HEADERS, visitorAgent } from "../../bench/lib/http.ts";
import { type Stack, startStack } from "../../tools/stack.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";

// A surge at twice the admission rate, with redis-server killed (SIGKILL) in
// the middle of it and restarted on the same append-only file. The figures
// are printed at the end (SECURITY.md quotes them).
const ADMIT_PER_MINUTE = 120;
const RATE_SHARE = 0.25;
const VISITORS = 80;
const ARRIVALS_MS = 20_000;
const KILL_AT_MS = 12_000;
const OUTAGE_MS = 5_000;
const RUN_MS = 27_000;
/** Faster than the holding page's own polling, for a finer record; polls cost Redis almost nothing. */
const POLL_MS = 1_000;
const VIEW_MS = 2_000;
/** After the bridge answers again, the worker may still be finishing calls that failed. */
const OUTAGE_TAIL_MS = 1_000;
const ADMIN_TOKEN = "outage-test-admin-token-0123456789";

interface StatusSample {
  readonly at: number;
  readonly httpStatus: number;
  readonly state: string | null;
  readonly position: number | null;
  readonly ahead: number | null;
  readonly delayed: boolean | null;
}

interface Watched {
  readonly id: number;
  readonly arrivalMs: number;
  readonly jar: CookieJar;
  /** A newcomer let straight in (response time), with no ticket. */
  straightInAt: number | null;
  /** Response time of the page that gave the ticket. */
  ticketAt: number | null;
  /** Response times of 503s while a newcomer. */
  readonly refusedAt: number[];
  readonly statuses: StatusSample[];
  admittedByTicketAt: number | null;
  /** Page views while holding a pass: time and whether the origin answered. */
  readonly views: { at: number; ok: boolean; status: number }[];
  readonly errors: string[];
}

interface Stats {
  frontier: number;
  lastTicket: number;
}

describe("Redis killed mid-surge and restarted with its data", () => {
  let redis: RedisServer;
  let stack: Stack;

  beforeAll(async () => {
    redis = await startRedisServer({ persistent: true });
    stack = await startStack({
      env: {
        PORT: "0",
        ROOM: `outage-${Date.now()}`,
        // Programmatic clients without a cookie jar for redirects: the cookie check is tested elsewhere.
        COOKIE_CHECK: "off",
        ADMIT_PER_MINUTE: String(ADMIT_PER_MINUTE),
        STORE_FAILURE_MODE: "soft",
        STORE_FAILURE_RATE_SHARE: String(RATE_SHARE),
        REDIS_URL: redis.url,
        // Tests share 2 cores with other suites: a slow Redis answer must not read as an outage.
        REDIS_TIMEOUT_MS: "4000",
        ADMIN_TOKEN,
        // Fixed keys: a `wrangler dev` rebuild must not void the tickets and passes handed out.
        TICKET_SECRET: randomBytes(32).toString("base64url"),
      },
    });
    expect(stack.store, "the stack must use the real Redis").toEqual({ kind: "redis", redisUrl: redis.url });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  }, 30_000);

  it("keeps every pass and every place, resumes where it was, and meters newcomers meanwhile", async () => {
    const agent = visitorAgent(VISITORS + 8, 15_000);
    const stop = new AbortController();
    const epoch = Date.now() + 300;
    const now = () => Date.now() - epoch;
    const visitors: Watched[] = Array.from({ length: VISITORS }, (_, id) => ({
      id,
      arrivalMs: Math.round((id * ARRIVALS_MS) / VISITORS),
      jar: new CookieJar(),
      straightInAt: null,
      ticketAt: null,
      refusedAt: [],
      statuses: [],
      admittedByTicketAt: null,
      views: [],
      errors: [],
    }));

    const run = Promise.all(visitors.map((v) => visit(v, stack.url, agent, epoch, stop.signal)));

    await sleep(epoch + KILL_AT_MS - 300 - Date.now());
    const before = await stats(stack.url);
    const killAt = now();
    await redis.kill();
    await sleep(epoch + KILL_AT_MS + OUTAGE_MS - Date.now());
    await redis.restart();
    const restartedAt = now();
    await bridgeAnswers(stack);
    const backAt = now();
    const after = await stats(stack.url);
    await sleep(epoch + RUN_MS - Date.now());
    stop.abort();
    await run;

    // Everyone holding a pass still reaches the origin.
    const holders = visitors.filter((v) => v.jar.get("anteroom_pass"));
    const finalViews = await Promise.all(
      holders.map(async (v) => {
        const res = await get(agent, `${stack.url}/`, NAVIGATE_HEADERS, v.jar);
        return res.status === 200 && res.body.includes("Admitted by Anteroom");
      }),
    );
    await agent.close();

    const outageEnd = backAt + OUTAGE_TAIL_MS;
    const during = (at: number | null) => at !== null && at >= killAt && at <= outageEnd;

    // 1. No visitor admitted before the outage lost access.
    const admittedBefore = visitors.filter((v) => firstAdmission(v) !== null && (firstAdmission(v) ?? 0) < killAt);
    const viewsOfEarly = admittedBefore.flatMap((v) => v.views.filter((view) => view.at >= killAt));
    const viewsDuringOutage = viewsOfEarly.filter((view) => view.at <= outageEnd);
    expect(admittedBefore.length).toBeGreaterThan(5);
    expect(viewsDuringOutage.length).toBeGreaterThan(admittedBefore.length);
    expect(viewsOfEarly.filter((view) => !view.ok)).toEqual([]);
    expect(finalViews.every(Boolean)).toBe(true);

    // 2. No waiting visitor lost their place: same position before, during and after; never further back.
    const waitingAtKill = visitors.filter(
      (v) => v.ticketAt !== null && v.ticketAt < killAt && (v.admittedByTicketAt ?? Infinity) > killAt,
    );
    expect(waitingAtKill.length).toBeGreaterThan(5);
    let delayedSeen = 0;
    let checkedAfter = 0;
    for (const v of waitingAtKill) {
      const queued = v.statuses.filter((s) => s.state === "queued");
      const positions = new Set(queued.map((s) => s.position));
      expect(positions.size, `visitor ${v.id} positions ${[...positions]}`).toBe(1);
      const lastBefore = [...queued].reverse().find((s) => s.at < killAt);
      const firstAfter = v.statuses.find((s) => s.at > backAt);
      if (lastBefore && firstAfter?.state === "queued") {
        checkedAfter += 1;
        expect(firstAfter.ahead ?? Infinity, `visitor ${v.id} moved back`).toBeLessThanOrEqual(lastBefore.ahead ?? 0);
      }
      delayedSeen += queued.filter((s) => s.delayed && during(s.at)).length;
      // A ticket holder's poll never fails, store or no store.
      expect(v.statuses.filter((s) => s.httpStatus !== 200)).toEqual([]);
    }
    expect(delayedSeen).toBeGreaterThan(0);

    // 3. The line continues where it was: the counters survived the restart.
    expect(after.lastTicket).toBeGreaterThanOrEqual(before.lastTicket);
    expect(after.frontier).toBeGreaterThanOrEqual(before.frontier);
    const positionsBefore = visitors.flatMap((v) =>
      v.statuses.filter((s) => s.at < killAt).map((s) => s.position ?? 0),
    );
    const ticketsAfter = visitors.filter((v) => v.ticketAt !== null && v.ticketAt > backAt && v.statuses.length > 0);
    const firstPositionsAfter = ticketsAfter.map((v) => v.statuses[0]?.position ?? 0);
    expect(ticketsAfter.length).toBeGreaterThan(0);
    expect(Math.min(...firstPositionsAfter)).toBeGreaterThan(Math.max(...positionsBefore));
    const allPositions = visitors.map((v) => v.statuses[0]?.position).filter((p) => p !== undefined && p !== null);
    expect(new Set(allPositions).size).toBe(allPositions.length);

    // 4. Newcomers let in during the outage stayed within this instance's fallback allowance.
    const fallbackAdmitted = visitors.filter((v) => during(v.straightInAt)).length;
    const refusedDuring = visitors.flatMap((v) => v.refusedAt.filter(during)).length;
    const outageSeconds = (outageEnd - killAt) / 1000;
    const fallbackPerSecond = (ADMIT_PER_MINUTE * RATE_SHARE) / 60;
    const allowance = fallbackPerSecond * outageSeconds + Math.max(1, fallbackPerSecond);
    expect(fallbackAdmitted).toBeGreaterThan(0);
    expect(refusedDuring).toBeGreaterThan(fallbackAdmitted);
    expect(fallbackAdmitted).toBeLessThanOrEqual(Math.floor(allowance) + 1);
    expect(visitors.flatMap((v) => v.errors)).toEqual([]);

    console.log(
      `store-outage figures: ${JSON.stringify({
        admitPerMinute: ADMIT_PER_MINUTE,
        rateShare: RATE_SHARE,
        killAtMs: killAt,
        restartedAtMs: restartedAt,
        bridgeBackAtMs: backAt,
        outageSecondsCounted: outageSeconds,
        fallbackAdmitted,
        fallbackAllowance: Number(allowance.toFixed(2)),
        newcomersRefused503: refusedDuring,
        admittedBeforeOutage: admittedBefore.length,
        theirViewsDuringOutage: viewsDuringOutage.length,
        theirViewsFailed: viewsOfEarly.filter((view) => !view.ok).length,
        passHoldersAtEnd: holders.length,
        waitingAtKill: waitingAtKill.length,
        waitingCheckedAfterRestart: checkedAfter,
        delayedPollsDuringOutage: delayedSeen,
        ticketsAfterRestart: ticketsAfter.length,
        lastPositionBefore: Math.max(...positionsBefore),
        firstPositionAfter: Math.min(...firstPositionsAfter),
        before,
        after,
      })}`,
    );
  }, 120_000);
});

function firstAdmission(v: Watched): number | null {
  return v.straightInAt ?? v.admittedByTicketAt;
}

/** A browser-like visitor: the page, then the holding page's polling, then page views with the pass. */
async function visit(
  v: Watched,
  base: string,
  agent: ReturnType<typeof visitorAgent>,
  epoch: number,
  signal: AbortSignal,
): Promise<void> {
  const now = () => Date.now() - epoch;
  await sleep(epoch + v.arrivalMs - Date.now(), signal);
  while (!signal.aborted && !v.jar.get("anteroom_pass") && !v.jar.get("anteroom_ticket")) {
    const res = await get(agent, `${base}/`, NAVIGATE_HEADERS, v.jar, signal);
    if (signal.aborted) return;
    if (v.jar.get("anteroom_pass")) {
      if (res.status !== 200 || !res.body.includes("Admitted by Anteroom")) v.errors.push(`straight in: ${res.status}`);
      v.straightInAt = now();
    } else if (v.jar.get("anteroom_ticket")) {
      v.ticketAt = now();
    } else if (res.status === 503) {
      // What the 503 page does: come back after Retry-After.
      v.refusedAt.push(now());
      await sleep(Number(header(res, "retry-after") ?? "5") * 1000, signal);
    } else {
      v.errors.push(`newcomer: ${res.status} ${res.error ?? ""}`);
      await sleep(1000, signal);
    }
  }
  while (!signal.aborted && !v.jar.get("anteroom_pass")) {
    const res = await get(agent, `${base}/__anteroom/status`, POLL_HEADERS, v.jar, signal);
    if (signal.aborted) return;
    const body = parse(res.body);
    v.statuses.push({
      at: now(),
      httpStatus: res.status,
      state: typeof body.state === "string" ? body.state : null,
      position: typeof body.position === "number" ? body.position : null,
      ahead: typeof body.ahead === "number" ? body.ahead : null,
      delayed: typeof body.delayed === "boolean" ? body.delayed : null,
    });
    if (body.state === "admitted") v.admittedByTicketAt = now();
    else await sleep(POLL_MS, signal);
  }
  while (!signal.aborted) {
    const res = await get(agent, `${base}/`, NAVIGATE_HEADERS, v.jar, signal);
    if (signal.aborted) return;
    v.views.push({
      at: now(),
      ok: res.status === 200 && res.body.includes("Admitted by Anteroom"),
      status: res.status,
    });
    await sleep(VIEW_MS, signal);
  }
}

function parse(body: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function stats(base: string): Promise<Stats> {
  const res = await fetch(`${base}/__anteroom/admin/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const body = (await res.json()) as Stats;
  return { frontier: body.frontier, lastTicket: body.lastTicket };
}

/** Waits until the Upstash REST bridge reaches the restarted Redis (it reconnects by itself). */
async function bridgeAnswers(stack: Stack): Promise<void> {
  const bridge = stack.bridge;
  if (!bridge) throw new Error("no bridge");
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await fetch(bridge.url, {
      method: "POST",
      headers: { authorization: `Bearer ${bridge.token}` },
      body: JSON.stringify(["PING"]),
    })
      .then((res) => res.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(50);
  }
  throw new Error("the bridge did not reach the restarted Redis within 15 s");
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
