import { describe, expect, it } from "vitest";
import { PASS_HEADER } from "../../origin-adapter/contract.ts";
import { OUTAGE_CONFIRM_MS } from "../../worker/gate/fallback.ts";
import { createApp } from "../../worker/index.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import { bindings, signingKeys, switchableStore, T0, Visitor } from "./helpers.ts";

// Issue 14, "Bad input and faults": Redis slow with a long tail, Redis
// flapping, one instance's clock 30 s off, an instance killed mid-call. Each
// runs a small fleet of worker instances (createApp: each its own runtime,
// frontier cache, outbox and fallback bucket) in workerd on the suite's real
// redis-server, through the REST bridge, or through a slow bridge to the same
// Redis (test/support/global-setup.ts). README "Faults" sums up what each shows.

const TOKEN = bindings.UPSTASH_REDIS_REST_TOKEN ?? "";
const ADMIN_TOKEN = "faults-admin-token-0123456789abcdef";
const keys = signingKeys("faults");

type App = ReturnType<typeof createApp>;

interface Status {
  readonly state: "queued" | "admitted";
  readonly position: number;
  readonly delayed?: boolean;
}

/** The origin: echoes the pass the worker forwarded, so a test can tell whose session a view ran under. */
const echoOrigin = async (request: Request) =>
  Response.json({ pass: request.headers.get(PASS_HEADER), path: new URL(request.url).pathname });

let rooms = 0;

/** The env of a room of its own: the app reads its settings from it on every request. */
async function roomEnv(settings: Record<string, string>): Promise<Record<string, string>> {
  rooms += 1;
  return {
    ...bindings,
    ROOM: `faults-${Date.now()}-${rooms}`,
    COOKIE_CHECK: "off",
    ADMIT_PER_MINUTE: "60",
    PASS_SIGNING_KEYS: await keys,
    TICKET_SECRET: "f".repeat(40),
    ADMIN_TOKEN,
    ...settings,
  };
}

/** A store client for one instance, through `url` (the plain bridge by default). */
function storeAt(options: { url?: string; timeoutMs?: number; now?: () => number } = {}): RedisStore {
  const client = connectRedis({
    url: options.url ?? bindings.UPSTASH_REDIS_REST_URL ?? "",
    token: TOKEN,
    timeoutMs: options.timeoutMs ?? 3000,
  });
  return new RedisStore(client, options.now ? { now: options.now } : {});
}

/** A JSON client (never a browser navigation: answers are JSON) with its place as the worker told it. */
class Client extends Visitor {
  position: number | null = null;
  admittedAt: number | null = null;

  constructor() {
    super("application/json");
  }

  /** Polls the status endpoint (a newcomer's first call joins); the answer's status and body. */
  async status(app: App, env: Record<string, string>): Promise<{ http: number; body: Status | null }> {
    const res = await this.send(app, env, "/__anteroom/status");
    const body = res.status === 200 ? ((await res.json()) as Status) : null;
    if (res.status !== 200) await res.body?.cancel();
    return { http: res.status, body };
  }
}

/** The room's counters as the admin stats give them (through `app`). */
async function counters(app: App, env: Record<string, string>): Promise<{ frontier: number; lastTicket: number }> {
  const res = await app.request(
    "http://room.test/__anteroom/admin/stats",
    { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    env,
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { frontier: number; lastTicket: number };
}

/** Positions held by two clients or more (none may be). */
function shared(clients: readonly Client[]): number[] {
  const seen = new Map<number, number>();
  for (const c of clients) if (c.position !== null) seen.set(c.position, (seen.get(c.position) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([p]) => p);
}

/** Pairs admitted out of position order by more than `resolutionMs` (FIFO inversions). */
function inversions(clients: readonly Client[], resolutionMs: number): number {
  const queued = clients.filter((c) => c.position !== null && c.admittedAt !== null);
  let count = 0;
  for (const a of queued)
    for (const b of queued)
      if ((a.position ?? 0) < (b.position ?? 0) && (a.admittedAt ?? 0) > (b.admittedAt ?? 0) + resolutionMs) count += 1;
  return count;
}

describe("one instance's clock 30 s off", () => {
  for (const skewMs of [30_000, -30_000]) {
    it(`${skewMs > 0 ? "ahead" : "behind"}: no 5xx, places unique, FIFO kept, its passes and tickets good on the other instance`, async () => {
      const env = await roomEnv({ ADMIT_PER_MINUTE: "60" });
      // Redis's clock (the scripts' time, as Redis TIME is in production) and the true time; one instance off by skewMs.
      let now = T0;
      const fleet = [
        createApp({ store: storeAt({ now: () => now }), now: () => now, fetcher: echoOrigin }),
        createApp({ store: storeAt({ now: () => now }), now: () => now + skewMs, fetcher: echoOrigin }),
      ];
      const at = (i: number) => fleet[i % fleet.length] as App;
      const statuses: number[] = [];

      // Twelve newcomers, alternating instances: the first straight in, the others in line in arrival order.
      const clients = Array.from({ length: 12 }, () => new Client());
      for (const [i, c] of clients.entries()) {
        const { http, body } = await c.status(at(i), env);
        statuses.push(http);
        c.position = body?.position ?? null;
        if (body?.state === "admitted") c.admittedAt = now;
        now += 50;
      }
      const positions = clients.map((c) => c.position);
      expect(positions).toEqual([...positions].sort((a, b) => (a ?? 0) - (b ?? 0)));
      expect(shared(clients)).toEqual([]);

      // Each polls the other instance than last time, twice a second, until all are in; each admitted one
      // then views a page on both instances, at once and 15 s later.
      const views: { http: number; same: boolean }[] = [];
      for (let step = 0; step < 60 && clients.some((c) => c.admittedAt === null); step++) {
        now += 500;
        for (const [i, c] of clients.entries()) {
          if (c.admittedAt !== null) continue;
          const { http, body } = await c.status(at(i + step), env);
          statuses.push(http);
          expect(body?.position).toBe(c.position);
          if (body?.state === "admitted") c.admittedAt = now;
        }
      }
      expect(clients.every((c) => c.admittedAt !== null)).toBe(true);
      expect(inversions(clients, 1000)).toBe(0);
      for (const delay of [0, 15_000]) {
        now += delay;
        for (const c of clients) {
          const passBefore = c.cookies.get("anteroom_pass");
          for (const app of fleet) {
            const res = await c.send(app, env, "/api/echo");
            statuses.push(res.status);
            const echoed = res.status === 200 ? ((await res.json()) as { pass: string | null }) : null;
            if (res.status !== 200) await res.body?.cancel();
            // Let through on the pass it had (or its renewal): not sent back into line.
            views.push({ http: res.status, same: echoed?.pass !== null && passBefore !== undefined });
          }
        }
      }
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(views.filter((v) => v.http !== 200 || !v.same)).toEqual([]);
    });
  }
});

describe("an instance killed mid-call", () => {
  it("a JOIN that ran in Redis but whose reply never came back costs nobody their place: an unheld position", async () => {
    const env = await roomEnv({ ADMIT_PER_MINUTE: "60" });
    let now = T0;
    const healthy = createApp({ store: storeAt({ now: () => now }), fetcher: echoOrigin, now: () => now });
    // Through the stall bridge every command runs 200 ms after it is sent; this instance gives up at 100 ms,
    // after the bridge has the JOIN and before Redis runs it: the JOIN runs, its reply is never read (as when
    // an instance is killed mid-call, or a timeout shorter than the store's answer).
    const dying = createApp({
      store: storeAt({ url: bindings.TEST_STALL_REDIS_URL ?? "", timeoutMs: 100, now: () => now }),
      fetcher: echoOrigin,
      now: () => now,
    });
    const statuses: number[] = [];
    const clients = Array.from({ length: 7 }, () => new Client());
    for (const c of clients) {
      const { http, body } = await c.status(healthy, env);
      statuses.push(http);
      c.position = body?.position ?? null;
      if (body?.state === "admitted") c.admittedAt = now;
    }
    expect(clients.map((c) => c.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const victim = new Client();
    const cut = await victim.status(dying, env);
    statuses.push(cut.http);
    // What the visitor sees: the outage fallback (here the instance's first token: straight in, no position),
    // or 503 with Retry-After when the fallback has no token; never a 5xx of the worker's own.
    expect([200, 503]).toContain(cut.http);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const orphan = (await counters(healthy, env)).lastTicket;
    expect(orphan).toBe(8);

    // A visitor the dying instance could not place comes back (Retry-After) to another: a new place, the next one.
    const retry = new Client();
    const again = await retry.status(healthy, env);
    retry.position = again.body?.position ?? null;
    expect(retry.position).toBe(9);
    const later = [new Client(), new Client()];
    for (const c of later) c.position = (await c.status(healthy, env)).body?.position ?? null;
    const everyone = [...clients, retry, ...later];
    expect(shared(everyone)).toEqual([]);
    // More in line behind them, so the queue does not empty (the show ratio starts over when it does).
    for (let i = 0; i < 15; i++) await new Client().status(healthy, env);

    // Everyone is let in, in order; the orphan place 8 is passed over like a no-show's.
    for (let step = 0; step < 40 && everyone.some((c) => c.admittedAt === null); step++) {
      now += 500;
      for (const c of everyone) {
        if (c.admittedAt !== null) continue;
        const { http, body } = await c.status(healthy, env);
        statuses.push(http);
        expect(body?.position).toBe(c.position);
        if (body?.state === "admitted") c.admittedAt = now;
      }
    }
    expect(everyone.every((c) => c.admittedAt !== null)).toBe(true);
    expect(inversions(everyone, 0)).toBe(0);
    expect(statuses.filter((s) => s !== 200 && s !== 429 && s !== 503)).toEqual([]);
    // Compensation counts the unheld place as a no-show once its bucket (positions 1-10) is counted, 6 s
    // after the frontier passed it: the claims the healthy instance sends with its ticks cover all but 8.
    now = Math.max(now, T0 + 18_000);
    await counters(healthy, env);
    now += 500;
    const spec = { room: env.ROOM ?? "", defaultPerMinute: 60, defaultMode: "auto" as const, stateTtlMs: 3_600_000 };
    const read = await storeAt({ now: () => now }).tick(spec);
    expect(read.kind === "state" ? read.state.showRatio : null).toBeCloseTo(0.9, 5);
  });
});

describe("Redis flapping: 5 s up, 5 s down, for 40 s", () => {
  it("waiting visitors keep their places and are let in in order, pass holders browse on, newcomers get a place, the fallback or a retry; no 5xx", async () => {
    const env = await roomEnv({ ADMIT_PER_MINUTE: "60", STORE_FAILURE_RATE_SHARE: "0.25" });
    let now = T0;
    // One switch for the fleet's store: while off, every call fails as a timeout does (RedisStore's value).
    const { store, control } = switchableStore(storeAt({ now: () => now }));
    const fleet = Array.from({ length: 3 }, () => createApp({ store, now: () => now, fetcher: echoOrigin }));
    const at = (i: number) => fleet[i % fleet.length] as App;
    const answers: { http: number; down: boolean; kind: string }[] = [];

    const holder = new Client();
    expect((await holder.status(at(0), env)).body?.state).toBe("admitted");
    const queued = Array.from({ length: 15 }, () => new Client());
    for (const [i, c] of queued.entries()) c.position = (await c.status(at(i), env)).body?.position ?? null;
    expect(queued.map((c) => c.position)).toEqual(Array.from({ length: 15 }, (_, i) => i + 2));
    const newcomers: Client[] = [];
    let lastPlaced = 16;
    /** Newcomers let straight in: how long after their down period began, and how many placed visitors still waited. */
    const straightIn: { sinceDown: number; waiting: number }[] = [];
    const waiting = () => [...queued, ...newcomers].filter((c) => c.position !== null && c.admittedAt === null).length;

    const view = async (c: Client, i: number, down: boolean) => {
      const res = await c.send(at(i), env, "/api/echo");
      const body = res.status === 200 ? ((await res.json()) as { pass: string | null }) : null;
      if (res.status !== 200) await res.body?.cancel();
      answers.push({ http: res.status, down, kind: body?.pass ? "view" : "view refused" });
    };

    for (let step = 0; now < T0 + 100_000; step++) {
      now += 500;
      const elapsed = now - T0;
      const down = elapsed < 40_000 && Math.floor(elapsed / 5000) % 2 === 1;
      control.down = down;
      await view(holder, step, down);
      for (const [i, c] of [...queued, ...newcomers].entries()) {
        if (c.position === null) continue;
        if (c.admittedAt !== null) {
          if (step % 4 === 0) await view(c, i + step, down);
          continue;
        }
        const { http, body } = await c.status(at(i + step), env);
        answers.push({ http, down, kind: "poll" });
        expect(body?.position).toBe(c.position);
        if (body?.state === "admitted") c.admittedAt = now;
      }
      // A newcomer a second for the 40 s, at the next instance in turn.
      if (elapsed < 40_000 && step % 2 === 0) {
        const c = new Client();
        const { http, body } = await c.status(at(step), env);
        answers.push({ http, down, kind: body?.state === "queued" ? "placed" : body ? "straight in" : "refused" });
        if (body?.state === "admitted") straightIn.push({ sinceDown: elapsed % 5000, waiting: waiting() });
        if (body?.state === "queued") {
          // Placed only while Redis answers, behind everyone placed before.
          expect(down).toBe(false);
          expect(body.position).toBeGreaterThan(lastPlaced);
          lastPlaced = body.position;
          c.position = body.position;
          newcomers.push(c);
        }
      }
    }
    const placed = [...queued, ...newcomers];
    const tally = (kind: string, down: boolean) => answers.filter((a) => a.kind === kind && a.down === down).length;
    console.log(
      JSON.stringify({
        placedNewcomers: newcomers.length,
        straightInDuringDown: tally("straight in", true),
        refusedDuringDown: tally("refused", true),
        refusedWhileUp: tally("refused", false),
        pollsDuringDown: tally("poll", true),
        viewsDuringDown: tally("view", true),
      }),
    );
    expect(answers.filter((a) => a.http >= 500 && a.http !== 503)).toEqual([]);
    // 503 (Retry-After) only for newcomers while Redis is down.
    expect(answers.filter((a) => a.http === 503 && (a.kind !== "refused" || !a.down))).toEqual([]);
    expect(answers.filter((a) => a.kind === "view refused")).toEqual([]);
    expect(shared(placed)).toEqual([]);
    expect(placed.every((c) => c.admittedAt !== null)).toBe(true);
    expect(inversions(placed, 1000)).toBe(0);
    expect(tally("refused", false)).toBe(0);
    // The fallback's allowance over the 20 s down (60/min x 0.25), plus a burst per outage.
    expect(tally("straight in", true)).toBeLessThanOrEqual(20 * 0.25 + 4);
    // Nobody straight in while an outage is unconfirmed: each instance counts from its own first failure,
    // at or after the period's start, so none in its first OUTAGE_CONFIRM_MS.
    // (With nobody waiting there is no line to jump, and the fallback works as before.)
    expect(straightIn.filter((s) => s.sinceDown < OUTAGE_CONFIRM_MS && s.waiting > 0)).toEqual([]);
  });
});

describe("Redis slow with a long tail (round trip median 30 ms, p99 200 ms)", () => {
  for (const timeoutMs of [60, 1000]) {
    it(`REDIS_TIMEOUT_MS ${timeoutMs}: no 5xx, places unique and kept, FIFO at 1 s, unheld places only from calls that timed out`, async () => {
      const env = await roomEnv({ ADMIT_PER_MINUTE: "600" });
      // Real time and Redis TIME, as in production: the slow bridge delays every call by a drawn round trip;
      // `timeoutMs` is what the runtime gives connectRedis from REDIS_TIMEOUT_MS.
      const fleet = Array.from({ length: 3 }, () =>
        createApp({ store: storeAt({ url: bindings.TEST_SLOW_REDIS_URL ?? "", timeoutMs }), fetcher: echoOrigin }),
      );
      const at = (i: number) => fleet[i % fleet.length] as App;
      const observer = createApp({ store: storeAt() });
      const seen = {
        placed: 0,
        joinedIn: 0,
        fallbackIn: 0,
        retry: 0,
        delayedPolls: 0,
        polls: 0,
        other: [] as number[],
      };
      const clients = Array.from({ length: 40 }, () => new Client());
      /** When each fallback admission (no place) happened, and when each placed client got their place. */
      const fallbackAt: number[] = [];
      const placedAt = new Map<Client, number>();
      const started = Date.now();
      for (const [i, c] of clients.entries()) {
        const { http, body } = await c.status(at(i), env);
        if (http === 503) seen.retry += 1;
        else if (http !== 200 || !body) seen.other.push(http);
        else if (body.state === "queued") seen.placed += 1;
        else if (body.position > 0) seen.joinedIn += 1;
        else {
          seen.fallbackIn += 1;
          fallbackAt.push(Date.now());
        }
        if (body && body.position > 0) placedAt.set(c, Date.now());
        if (body && body.position > 0) c.position = body.position;
        if (body?.state === "admitted") c.admittedAt = Date.now();
      }
      while (clients.some((c) => c.position !== null && c.admittedAt === null) && Date.now() - started < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        for (const [i, c] of clients.entries()) {
          if (c.position === null || c.admittedAt !== null) continue;
          const { http, body } = await c.status(at(i + 1), env);
          seen.polls += 1;
          if (body?.delayed) seen.delayedPolls += 1;
          if (http !== 200) seen.other.push(http);
          expect(body?.position).toBe(c.position);
          if (body?.state === "admitted") c.admittedAt = Date.now();
        }
      }
      const held = clients.filter((c) => c.position !== null);
      const { lastTicket } = await counters(observer, env);
      const unheld = lastTicket - held.length;
      // Fallback admissions ahead of the line: a visitor placed before one, let in more than 1 s after it.
      const jumps = fallbackAt.flatMap((t) =>
        held.filter((c) => (placedAt.get(c) ?? t) < t && (c.admittedAt ?? 0) > t + 1000).map(() => t),
      ).length;
      console.log(
        JSON.stringify({ timeoutMs, ...seen, jumps, lastTicket, unheld, seconds: (Date.now() - started) / 1000 }),
      );
      expect(seen.other).toEqual([]);
      expect(shared(held)).toEqual([]);
      expect(held.every((c) => c.admittedAt !== null)).toBe(true);
      expect(inversions(held, 1000)).toBe(0);
      // A call slower than the timeout is not an outage: nobody is let in without a place ahead of those
      // waiting, but for an instance whose last reading, a call or two old, showed no line yet (seen once
      // in about ten runs: 1). Before OUTAGE_CONFIRM_MS, 4-10 newcomers a run jumped the line here.
      expect(jumps).toBeLessThanOrEqual(1);
      // A JOIN whose answer came too late still ran: its place is unheld (a no-show), never anyone else's.
      expect(unheld).toBeGreaterThanOrEqual(0);
      expect(unheld).toBeLessThanOrEqual(seen.retry + seen.fallbackIn);
      if (timeoutMs >= 1000) {
        // Far above the tail: every newcomer placed or let in by Redis, no place unheld.
        expect(seen.retry + seen.fallbackIn).toBe(0);
        expect(unheld).toBe(0);
      }
    });
  }
});
