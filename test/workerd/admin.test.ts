import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/index.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import type { AdmissionStore } from "../../worker/store/store.ts";
import { testRoom, Visitor } from "./helpers.ts";

const TOKEN = "admin-token-for-tests-0123456789";

type Room = Awaited<ReturnType<typeof testRoom>>;

/** The autopilot's deployed settings for the tests that read them back. */
const AUTOPILOT_ENV = {
  AUTOPILOT_MIN_RATE: "20",
  AUTOPILOT_MAX_RATE: "900",
  ORIGIN_TARGET_P95_MS: "700",
  ORIGIN_MAX_ERROR_RATE: "0.02",
  ORIGIN_TIMEOUT_MS: "5000",
};

interface StatsWithAutopilot {
  ratePerMinute: number;
  autopilot: Record<string, unknown> & { changes: { reason: string }[] };
  history: Record<string, unknown>[];
}

function admin(room: Room, path: string, init: RequestInit = {}, token: string | null = TOKEN) {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  return room.app.request(`http://room.test/__anteroom/admin${path}`, { ...init, headers }, room.env);
}

function patch(room: Room, body: unknown) {
  return admin(room, "/settings", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function status(room: Room, visitor: Visitor) {
  return (await (await room.request(visitor, "/__anteroom/status")).json()) as Record<string, unknown>;
}

describe("admin API access", () => {
  it("does not exist when no ADMIN_TOKEN is configured", async () => {
    const room = await testRoom();
    const res = await admin(room, "/stats");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("answers 401 and reveals nothing to a wrong or missing token", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    for (const token of [null, "wrong", `${TOKEN}x`, TOKEN.slice(0, -1), ""]) {
      const res = await admin(room, "/stats", {}, token);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      const body = await res.text();
      expect(body).not.toContain("queueLength");
      expect(body).not.toContain(TOKEN);
    }
  });
});

describe("GET /__anteroom/admin/stats", () => {
  it("shows mode, rate, queue, frontier, admissions, the newcomer's wait and a 30-minute history", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "60" });
    for (let i = 0; i < 10; i++) await room.request(new Visitor("application/json"), "/");
    room.advance(3_000);
    const res = await admin(room, "/stats");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const stats = (await res.json()) as Record<string, unknown> & { history: Record<string, number>[] };
    expect(stats).toMatchObject({
      mode: "auto",
      ratePerMinute: 60,
      sessionMinutes: 10,
      lastTicket: 10,
      admittedTotal: 4,
      queueLength: 6,
      frontier: 4,
      etaSecondsForNewcomer: 7,
    });
    expect(stats.admittedLastMinute).toBe(4);
    expect(stats.history).toHaveLength(31);
    expect(stats.history.at(-1)).toMatchObject({ arrivals: 10, admissions: 4, ratePerMinute: 60 });
  });

  it("shows the autopilot: off by default, its limits, the origin's last minute, and each minute's rate", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "60", ...AUTOPILOT_ENV });
    for (let i = 0; i < 3; i++) await room.request(new Visitor("application/json"), "/");
    const stats = (await (await admin(room, "/stats")).json()) as StatsWithAutopilot;
    expect(stats.autopilot).toMatchObject({
      on: false,
      ratePerMinute: 60,
      minRate: 20,
      maxRate: 900,
      targetP95Ms: 700,
      maxErrorRate: 0.02,
      timeoutMs: 5000,
      origin: { requests: expect.any(Number), errorRate: expect.any(Number) },
      status: null,
      learnedCapacity: null,
    });
    expect(Array.isArray(stats.autopilot.changes)).toBe(true);
    for (const row of stats.history) {
      expect(row).toHaveProperty("origin");
      expect(row).toHaveProperty("rateChanges");
    }
  });

  it("says on, with the rate in force, once turned on; and the change is listed in words", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "60", ...AUTOPILOT_ENV });
    expect((await patch(room, { autopilot: "on", autopilotMaxRate: 500 })).status).toBe(200);
    room.advance(1_000);
    const stats = (await (await admin(room, "/stats")).json()) as StatsWithAutopilot;
    expect(stats.autopilot).toMatchObject({ on: true, ratePerMinute: stats.ratePerMinute, maxRate: 500 });
    expect(stats.ratePerMinute).toBeGreaterThanOrEqual(20);
    expect(stats.ratePerMinute).toBeLessThanOrEqual(500);
    for (const change of stats.autopilot.changes) {
      expect(typeof change.reason).toBe("string");
      expect(change.reason).toContain("/min");
    }
    expect((await patch(room, { autopilot: "off" })).status).toBe(200);
    const off = (await (await admin(room, "/stats")).json()) as StatsWithAutopilot;
    expect(off.autopilot).toMatchObject({ on: false, status: null });
  });

  it("still answers when the autopilot's reading fails: origin figures null, the failure counted", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "60" });
    const redis = new RedisStore(
      connectRedis({
        url: room.env.UPSTASH_REDIS_REST_URL ?? "",
        token: room.env.UPSTASH_REDIS_REST_TOKEN ?? "",
        timeoutMs: 3000,
      }),
      { now: room.now },
    );
    const store: AdmissionStore = {
      join: (...a) => redis.join(...a),
      joinMany: (...a) => redis.joinMany(...a),
      claim: (...a) => redis.claim(...a),
      events: (...a) => redis.events(...a),
      writeEvents: (...a) => redis.writeEvents(...a),
      tick: (...a) => redis.tick(...a),
      updateSettings: (...a) => redis.updateSettings(...a),
      history: (...a) => redis.history(...a),
      autopilot: async () => ({ kind: "unavailable", failure: "outage", reason: "refused by the test" }),
    };
    const app = createApp({ store, now: room.now });
    const res = await app.request(
      "http://room.test/__anteroom/admin/stats",
      { headers: { authorization: `Bearer ${TOKEN}` } },
      room.env,
    );
    expect(res.status).toBe(200);
    const stats = (await res.json()) as StatsWithAutopilot & { storeFailures: { outage: number } };
    expect(stats.autopilot).toMatchObject({
      on: false,
      ratePerMinute: 60,
      origin: { requests: null, errorRate: null, p50Ms: null, p95Ms: null },
      changes: [],
    });
    expect(stats.storeFailures.outage).toBe(1);
  });
});

describe("GET /__anteroom/admin/history", () => {
  it("reports each minute and the range: arrivals, admitted, used, gave up, waits, peaks", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "60", OFFER_SECONDS: "60" });
    const start = room.now();
    const crowd = Array.from({ length: 10 }, () => new Visitor("application/json"));
    // Minute 0: ten arrive (one straight in, nine wait); all but the last two come back for their turn.
    for (const visitor of crowd) await room.request(visitor, "/");
    room.advance(30_000);
    for (const visitor of crowd.slice(0, 8)) await room.request(visitor, "/");
    room.advance(2_000);
    await room.request(crowd[0] as Visitor, "/"); // carries the instance's report of places used
    // Minute 3: three more arrive.
    room.advance(150_000);
    for (let i = 0; i < 3; i++) await room.request(new Visitor("application/json"), "/");
    const res = await admin(room, `/history?from=${start}&to=${new Date(room.now()).toISOString()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as {
      minutes: Record<string, unknown>[];
      totals: Record<string, unknown>;
      from: string;
    };
    expect(body.from).toBe(new Date(start).toISOString());
    expect(body.minutes).toHaveLength(4);
    expect(body.minutes[0]).toMatchObject({
      arrivals: 10,
      admitted: 10,
      used: 8,
      gaveUp: 0,
      queueAtStart: 0,
      peakQueue: 9,
      peakActive: expect.any(Number),
      waitMinutes: { p50: 0, p95: 0, max: 0 },
      ratePerMinute: 60,
    });
    // The two who never came back: their offers (OFFER_SECONDS 60) lapsed unused one minute on.
    expect(body.minutes[1]).toMatchObject({ arrivals: 0, admitted: 0, gaveUp: 2 });
    expect(body.minutes[3]).toMatchObject({ arrivals: 3 });
    expect(body.totals).toMatchObject({ arrivals: 13, used: 9, gaveUp: 2, peakQueue: 9 });
  });

  it("answers 400 naming the parameter for a bad range, and 401 without the token", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const now = room.now();
    const cases: [string, string, RegExp][] = [
      [`?from=yesterday`, "from", /ISO 8601/],
      [`?to=12:00`, "to", /ISO 8601/],
      [`?from=${now}&to=${now - 60_000}`, "from", /after to/],
      [`?from=${now - 49 * 3_600_000}&to=${now}`, "from", /48 hours/],
      [`?from=2026-02-30T00:00:00Z`, "from", /ISO 8601/],
    ];
    for (const [query, parameter, message] of cases) {
      const res = await admin(room, `/history${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { code: string; parameter: string; message: string } };
      expect(body.error, query).toMatchObject({ code: "invalid_range", parameter });
      expect(body.error.message, query).toMatch(message);
    }
    expect((await admin(room, "/history", {}, null)).status).toBe(401);
    // The default: the last two hours, one row a minute.
    const plain = (await (await admin(room, "/history")).json()) as { minutes: unknown[] };
    expect(plain.minutes).toHaveLength(121);
  });
});

describe("PATCH /__anteroom/admin/settings", () => {
  it("changes the rate live: the room admits at the new rate without a redeploy", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "6" });
    const visitors = Array.from({ length: 30 }, () => new Visitor("application/json"));
    for (const visitor of visitors) await room.request(visitor, "/");
    const res = await patch(room, { ratePerMinute: 600 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ratePerMinute: 600, mode: "auto" });
    room.advance(2_000);
    // 600/min for 2 s = 20 more positions: visitor 21 is in, 22 is not.
    expect(await status(room, visitors[20] as Visitor)).toMatchObject({ state: "admitted", position: 21 });
    expect(await status(room, visitors[21] as Visitor)).toMatchObject({ state: "queued", position: 22 });
  });

  it("reaches every worker instance within the cache interval", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const other = room.instance();
    const waiting = new Visitor("application/json");
    await room.request(new Visitor(), "/");
    await room.request(waiting, "/");
    // The other instance (its own runtime and cache, same Redis and room) has seen the room.
    const otherStatus = async () =>
      (await (await waiting.send(other, room.env, "/__anteroom/status")).json()) as Record<string, unknown>;
    expect(await otherStatus()).toMatchObject({ state: "queued", paused: false });
    expect((await patch(room, { mode: "paused" })).status).toBe(200);
    room.advance(1_000);
    expect(await otherStatus()).toMatchObject({ state: "queued", paused: true });
  });

  it("rejects bad changes with a 400 naming each problem, leaving the running settings untouched", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const before = await (await admin(room, "/settings")).json();
    const cases: [unknown, string][] = [
      [{ ratePerMinute: -1 }, "ratePerMinute"],
      [{ ratePerMinute: "600" }, "ratePerMinute"],
      [{ mode: "turbo" }, "mode"],
      [{ sessionMinutes: 0 }, "sessionMinutes"],
      [{ maxActive: -1 }, "maxActive"],
      [{ maxActive: 2.5 }, "maxActive"],
      [{ maxActive: "100" }, "maxActive"],
      [{ ratePerMinute: 100, colour: "red" }, "colour"],
      [{}, "nothing to change"],
      [[1, 2], "JSON object"],
    ];
    for (const [body, named] of cases) {
      const res = await patch(room, body);
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("invalid_settings");
      expect(error.message).toContain(named);
    }
    const malformed = await patch(room, "{not json");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "invalid_json" } });
    expect(await (await admin(room, "/settings")).json()).toEqual(before);
  });

  it("applies concurrent changes whole: last write wins, nothing half-applied", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const a = { ratePerMinute: 100, mode: "paused", sessionMinutes: 5, maxActive: 50, originTargetP95Ms: 500 };
    const b = { ratePerMinute: 200, mode: "queue-all", sessionMinutes: 20, maxActive: 0, originTargetP95Ms: 900 };
    await Promise.all(Array.from({ length: 10 }, (_, i) => patch(room, i % 2 ? a : b)));
    const { version, ...read } = (await (await admin(room, "/settings")).json()) as Record<string, unknown>;
    const final = Object.fromEntries(Object.keys(a).map((key) => [key, read[key]]));
    expect([a, b]).toContainEqual(final);
    expect(version).toBe(10);
  });

  it("resets a setting to the wrangler.toml default with null", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "42" });
    await patch(room, { ratePerMinute: 100 });
    expect(await (await patch(room, { ratePerMinute: null })).json()).toMatchObject({ ratePerMinute: 42 });
  });

  it("sets the active-users cap live: a number caps, 0 turns it off, null goes back to MAX_ACTIVE", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, MAX_ACTIVE: "500" });
    expect(await (await admin(room, "/settings")).json()).toMatchObject({ maxActive: 500 });
    expect(await (await patch(room, { maxActive: 2 })).json()).toMatchObject({ maxActive: 2 });
    expect(await (await admin(room, "/stats")).json()).toMatchObject({ maxActive: 2 });
    expect(await (await patch(room, { maxActive: 0 })).json()).toMatchObject({ maxActive: 0 });
    expect(await (await admin(room, "/stats")).json()).toMatchObject({ maxActive: null });
    expect(await (await patch(room, { maxActive: null })).json()).toMatchObject({ maxActive: 500 });
  });
});

describe("the autopilot's live settings", () => {
  it("GET /settings shows them as in force (the deployed defaults), and a client can write back what it read", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ...AUTOPILOT_ENV });
    const read = (await (await admin(room, "/settings")).json()) as Record<string, unknown>;
    expect(read).toMatchObject({
      autopilot: "off",
      autopilotMinRate: 20,
      autopilotMaxRate: 900,
      originTargetP95Ms: 700,
      originMaxErrorRate: 0.02,
      originTimeoutMs: 5000,
    });
    const { version, ...fields } = read;
    const written = await patch(room, fields);
    expect(written.status).toBe(200);
    const { version: after, ...same } = (await written.json()) as Record<string, unknown>;
    expect(same).toEqual(fields);
    expect(after).toBe((version as number) + 1);
  });

  it("turns it on with its limits in one change, and null puts a limit back to its default", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ...AUTOPILOT_ENV });
    const res = await patch(room, {
      autopilot: "on",
      autopilotMinRate: 0,
      autopilotMaxRate: 400,
      originTargetP95Ms: 1200,
      originMaxErrorRate: 0.05,
      originTimeoutMs: 3000,
    });
    expect(res.status).toBe(200);
    const on = {
      autopilot: "on",
      autopilotMinRate: 0,
      autopilotMaxRate: 400,
      originTargetP95Ms: 1200,
      originMaxErrorRate: 0.05,
      originTimeoutMs: 3000,
    };
    expect(await res.json()).toMatchObject(on);
    expect(await (await admin(room, "/settings")).json()).toMatchObject(on);
    const reset = await patch(room, { autopilotMaxRate: null, originTargetP95Ms: null, autopilot: null });
    expect(await reset.json()).toMatchObject({
      autopilot: "off",
      autopilotMinRate: 0,
      autopilotMaxRate: 900,
      originTargetP95Ms: 700,
    });
  });

  it("refuses bad values and inverted bounds with a 400 naming the fields; nothing is applied", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ...AUTOPILOT_ENV });
    expect((await patch(room, { autopilotMinRate: 50, autopilotMaxRate: 300 })).status).toBe(200);
    const before = await (await admin(room, "/settings")).json();
    const cases: [unknown, string][] = [
      [{ autopilot: true }, "autopilot must be"],
      [{ autopilot: "on", originTargetP95Ms: 0 }, "originTargetP95Ms must be a whole number from 1 to 600000"],
      [{ autopilot: "on", originTargetP95Ms: -5 }, "originTargetP95Ms"],
      [{ originMaxErrorRate: 0 }, "originMaxErrorRate must be a number above 0 and below 1"],
      [{ originMaxErrorRate: 1.5 }, "originMaxErrorRate"],
      [{ originTimeoutMs: 10 }, "originTimeoutMs must be a whole number from 100 to 600000"],
      [{ autopilotMinRate: -1 }, "autopilotMinRate must be a number from 0 to 1000000"],
      [{ autopilotMaxRate: 0 }, "autopilotMaxRate must be a number from 0.1 to 1000000"],
      [{ autopilot: "on", autopilotTarget: 5 }, 'unknown field "autopilotTarget"'],
      // Inverted: both given; one given against the other in force; one against the other's default.
      [
        { autopilot: "on", autopilotMinRate: 600, autopilotMaxRate: 100 },
        "autopilotMinRate (600) must not be above autopilotMaxRate (100)",
      ],
      [
        { autopilot: "on", autopilotMinRate: 301 },
        "autopilotMinRate (301) must not be above autopilotMaxRate (300 in force)",
      ],
      [{ autopilotMaxRate: 49 }, "autopilotMinRate (50 in force) must not be above autopilotMaxRate (49)"],
      [
        { autopilotMinRate: null, autopilotMaxRate: 10 },
        "autopilotMinRate (20 by default) must not be above autopilotMaxRate (10)",
      ],
    ];
    for (const [body, named] of cases) {
      const res = await patch(room, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("invalid_settings");
      expect(error.message, JSON.stringify(body)).toContain(named);
    }
    expect(await (await admin(room, "/settings")).json()).toEqual(before);
    // The edge: the bounds may meet.
    expect(await (await patch(room, { autopilotMinRate: 300 })).json()).toMatchObject({ autopilotMinRate: 300 });
  });
});

describe("modes, as visitors see them", () => {
  it("paused: places are kept, nobody new gets in, the page says so, and admission resumes without a burst", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "60" });
    await room.request(new Visitor(), "/");
    const browser = new Visitor();
    await room.request(browser, "/");
    await patch(room, { mode: "paused" });
    room.advance(30_000);
    const page = await (await room.request(browser, "/")).text();
    expect(page).toContain("paused");
    expect(await status(room, browser)).toMatchObject({ state: "queued", position: 2, paused: true });
    await patch(room, { mode: "auto" });
    room.advance(1_000);
    expect(await status(room, browser)).toMatchObject({ state: "admitted", position: 2 });
  });

  it("closed: newcomers get a closed page (403 JSON for APIs); pass holders still get in", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const admitted = new Visitor();
    await room.request(admitted, "/");
    await patch(room, { mode: "closed" });
    const page = await room.request(new Visitor(), "/");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("closed");
    const api = await room.request(new Visitor("application/json"), "/api/echo");
    expect(api.status).toBe(403);
    expect(await api.json()).toMatchObject({ state: "closed", error: { code: "room_closed" } });
    expect((await room.request(admitted, "/register")).status).toBe(200);
  });

  it("queue-all: even the first newcomer of an idle room sees the holding page first", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    await patch(room, { mode: "queue-all" });
    room.advance(1_100); // let every instance's cache see it
    const visitor = new Visitor();
    const page = await room.request(visitor, "/");
    expect(await page.text()).toContain("You are in line");
    room.advance(1_000);
    expect(await status(room, visitor)).toMatchObject({ state: "admitted" });
  });

  it("passthrough: the room steps aside; newcomers and waiting visitors get passes at once", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "1" });
    await room.request(new Visitor(), "/");
    const waiting = new Visitor("application/json");
    expect((await room.request(waiting, "/api/echo")).status).toBe(429);
    await patch(room, { mode: "passthrough" });
    room.advance(1_100);
    const newcomer = new Visitor("application/json");
    const res = await room.request(newcomer, "/api/echo");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { pass: string | null }).pass).toBe(newcomer.cookies.get("anteroom_pass"));
    expect((await room.request(waiting, "/api/echo")).status).toBe(200);
  });

  it("a live session length applies to passes issued after the change", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, SESSION_MINUTES: "10" });
    await patch(room, { sessionMinutes: 30 });
    room.advance(1_100);
    const visitor = new Visitor();
    const res = await room.request(visitor, "/");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("anteroom_pass="));
    expect(cookie).toContain("Max-Age=1800");
  });
});

describe("admin input bounds", () => {
  it("refuses absurd and tiny values, naming the field and its range; nothing is applied", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const before = await (await admin(room, "/settings")).json();
    const cases: [unknown, string][] = [
      [{ sessionMinutes: 1e-9 }, "sessionMinutes must be a number from 1 to 10080"],
      [{ sessionMinutes: 0.5 }, "sessionMinutes"],
      [{ sessionMinutes: 1e9 }, "sessionMinutes"],
      [{ ratePerMinute: 1e-9 }, "ratePerMinute must be a number from 0.1 to 1000000"],
      [{ ratePerMinute: 5e-324 }, "ratePerMinute"],
      [{ maxActive: 1e12 }, "maxActive must be a whole number from 0 to 999999999"],
    ];
    for (const [body, named] of cases) {
      const res = await patch(room, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(named);
    }
    expect(await (await admin(room, "/settings")).json()).toEqual(before);
    expect(await (await patch(room, { sessionMinutes: 1, ratePerMinute: 0.1 })).json()).toMatchObject({
      sessionMinutes: 1,
      ratePerMinute: 0.1,
    });
  });

  it("answers 20,000 unknown fields with a bounded error (< 8 KB), and a body over 16 KiB with 413", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const before = await (await admin(room, "/settings")).json();
    const fields = (n: number, width = 0) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${String(i).padStart(width, "0")}`, 1]));

    // Within the body limit: 1,500 unknown fields, one problem naming a few of them and counting the rest.
    const many = JSON.stringify({ ...fields(1_500), mode: "closed" });
    expect(many.length).toBeLessThan(16 * 1024);
    const refused = await patch(room, many);
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(text.length).toBeLessThan(8 * 1024);
    const error = (JSON.parse(text) as { error: { code: string; message: string; problems: string[] } }).error;
    expect(error.code).toBe("invalid_settings");
    expect(error.message).toContain('unknown fields "f0", "f1", "f2", "f3", "f4" and 1495 more');

    // 20,000 unknown fields, and long names: bounded, whichever way it is refused.
    for (const body of [JSON.stringify(fields(20_000)), JSON.stringify({ ["x".repeat(15_000)]: 1, mode: "closed" })]) {
      const res = await patch(room, body);
      const answer = await res.text();
      expect([400, 413]).toContain(res.status);
      expect(answer.length).toBeLessThan(8 * 1024);
    }

    // Over the limit, with or without a Content-Length: 413 with a short JSON error, nothing read or stored.
    const large = JSON.stringify({ mode: "closed", padding: "x".repeat(20_000) });
    const tooLarge = await patch(room, large);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { code: "body_too_large" } });
    const streamed = await admin(room, "/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Blob([large]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await (await admin(room, "/settings")).json()).toEqual(before);
    expect(((await (await admin(room, "/events")).json()) as { events: unknown[] }).events).toEqual([]);
  });
});

describe("failed admin authentications", () => {
  const from = (ip: string): RequestInit => ({ headers: { "cf-connecting-ip": ip } });

  it("are throttled per client: the 11th wrong token in a minute gets 429 with Retry-After; other clients are not", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const attacker = "203.0.113.7";
    for (let i = 0; i < 10; i++) {
      room.advance(1_000);
      expect((await admin(room, "/stats", from(attacker), `wrong-${i}`)).status).toBe(401);
    }
    const eleventh = await admin(room, "/stats", from(attacker), "wrong-10");
    expect(eleventh.status).toBe(429);
    expect(eleventh.headers.get("retry-after")).toBe("51");
    expect(await eleventh.json()).toMatchObject({ error: { code: "too_many_attempts" } });
    // While throttled, even the right token is refused before it is compared: a right guess teaches nothing.
    expect((await admin(room, "/stats", from(attacker))).status).toBe(429);
    // Another client, and another /64 of IPv6, are not affected.
    expect((await admin(room, "/stats", from("198.51.100.2"))).status).toBe(200);
    expect((await admin(room, "/stats", from("2001:db8:1:2::1"))).status).toBe(200);
    // A minute after its oldest failure, the client may try again.
    room.advance(51_000);
    expect((await admin(room, "/stats", from(attacker))).status).toBe(200);
  });

  it("count a whole IPv6 /64 as one client", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    for (let i = 0; i < 10; i++) {
      expect((await admin(room, "/stats", from(`2001:db8:aa:bb::${i + 1}`), "wrong")).status).toBe(401);
    }
    expect((await admin(room, "/stats", from("2001:db8:aa:bb:ffff::1"), "wrong")).status).toBe(429);
    expect((await admin(room, "/stats", from("2001:db8:aa:bc::1"))).status).toBe(200);
  });
});
