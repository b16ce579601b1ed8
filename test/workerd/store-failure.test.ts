import { describe, expect, it } from "vitest";
import { IDLE_TICK_MS } from "../../worker/gate/room-link.ts";
import { createApp } from "../../worker/index.ts";
import { stateTtlMs } from "../../worker/store/keys.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import type { RoomSpec } from "../../worker/store/store.ts";
import { bindings, signingKeys, switchableStore, T0, Visitor } from "./helpers.ts";

interface StatusBody {
  state: "queued" | "admitted";
  position: number;
  ahead: number;
  delayed?: boolean;
}

const sharedKeys = signingKeys();
let rooms = 0;

/**
 * A room of its own, `instances` worker instances (each with its own runtime: link, fallback bucket),
 * one store the test can switch off for all of them, and a clock the test moves.
 */
async function outageRoom(settings: Record<string, string> = {}, instances = 1) {
  rooms += 1;
  let now = T0;
  const env: Record<string, string> = {
    ...bindings,
    ROOM: `outage-${Date.now()}-${rooms}`,
    COOKIE_CHECK: "off",
    ADMIT_PER_MINUTE: "60",
    PASS_SIGNING_KEYS: await sharedKeys,
    TICKET_SECRET: "t".repeat(40),
    ...settings,
  };
  const redis = new RedisStore(
    connectRedis({
      url: env.UPSTASH_REDIS_REST_URL ?? "",
      token: env.UPSTASH_REDIS_REST_TOKEN ?? "",
      timeoutMs: 3000,
    }),
    { now: () => now },
  );
  const { store, control } = switchableStore(redis);
  const apps = Array.from({ length: instances }, () => createApp({ store, now: () => now }));
  const app = apps[0] as ReturnType<typeof createApp>;
  const spec: RoomSpec = {
    room: env.ROOM ?? "",
    defaultPerMinute: Number(env.ADMIT_PER_MINUTE),
    defaultMode: "auto",
    stateTtlMs: stateTtlMs(86_400),
  };
  return {
    control,
    /** Live settings as an operator would set them, straight in Redis (the instance learns them from its next call). */
    operator: redis,
    spec,
    advance: (ms: number) => {
      now += ms;
    },
    request: (visitor: Visitor, path: string, init: RequestInit = {}) => visitor.send(app, env, path, init),
    /** A request to instance `i`. */
    requestAt: (i: number, visitor: Visitor, path: string, init: RequestInit = {}) =>
      visitor.send(apps[i] as ReturnType<typeof createApp>, env, path, init),
  };
}

/** `count` newcomers at the same instant; the statuses they got. */
async function newcomers(room: Awaited<ReturnType<typeof outageRoom>>, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await room.request(new Visitor("application/json"), "/api/echo");
    await res.body?.cancel();
    statuses.push(res.status);
  }
  return statuses;
}

const tally = (statuses: number[]) => ({
  admitted: statuses.filter((s) => s === 200).length,
  unavailable: statuses.filter((s) => s === 503).length,
  other: statuses.filter((s) => s !== 200 && s !== 503).length,
});

describe("STORE_FAILURE_MODE=soft (the default)", () => {
  for (const n of [1, 4, 8]) {
    it(`shares rate x share among a fleet of ${n}: fleet admissions / allowance within 0.5-1.25 over a 20 s outage`, async () => {
      const token = "f".repeat(32);
      const room = await outageRoom(
        { ADMIT_PER_MINUTE: "480", STORE_FAILURE_RATE_SHARE: "0.25", ADMIN_TOKEN: token },
        n,
      );
      // Every instance ticks twice, a second apart (here through the admin stats, whose tick is the
      // instance's own, awaited): the second time each hears the whole fleet's count.
      const stats = { headers: { authorization: `Bearer ${token}` } };
      for (let round = 0; round < 2; round++) {
        room.advance(1000);
        for (let i = 0; i < n; i++) {
          const res = await room.requestAt(i, new Visitor("application/json"), "/__anteroom/admin/stats", stats);
          expect(((await res.json()) as { fleet: { instances: number } }).fleet.instances).toBe(
            round === 0 ? i + 1 : n,
          );
        }
      }
      room.control.down = true;
      let admitted = 0;
      for (let tenth = 0; tenth < 200; tenth++) {
        room.advance(100);
        for (let i = 0; i < n; i++) {
          const res = await room.requestAt(i, new Visitor("application/json"), "/api/echo");
          await res.body?.cancel();
          if (res.status === 200) admitted += 1;
        }
      }
      const allowance = (480 * 0.25 * 20) / 60;
      expect(admitted / allowance).toBeGreaterThanOrEqual(0.5);
      expect(admitted / allowance).toBeLessThanOrEqual(1.25);
    });
  }

  it("lets newcomers in at the last known live rate x the share on this instance, and 503s the rest", async () => {
    // Default 60/min; an operator set 480/min live: the fallback must use 480 x 0.25 = 2/s (burst 2).
    const room = await outageRoom({ STORE_FAILURE_RATE_SHARE: "0.25" });
    await room.operator.updateSettings(room.spec, { perMinute: 480 });
    expect(tally(await newcomers(room, 1)).admitted).toBe(1);
    room.control.down = true;

    const perSecond: number[] = [];
    for (let second = 0; second < 10; second++) {
      room.advance(1000);
      const statuses = await newcomers(room, 5);
      const { admitted, unavailable, other } = tally(statuses);
      expect(other).toBe(0);
      expect(admitted + unavailable).toBe(5);
      perSecond.push(admitted);
    }
    expect(perSecond).toEqual(Array(10).fill(2));
  });

  it("gives the admitted a pass and no position, the refused a 503 with Retry-After; the room's defaults before any reading", async () => {
    const room = await outageRoom({ ADMIT_PER_MINUTE: "60" });
    room.control.down = true;
    // Never reached the store: the room's defaults apply (60/min x 0.25, burst 1).
    const lucky = new Visitor("application/json");
    const first = await room.request(lucky, "/__anteroom/status");
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ state: "admitted", position: 0 });
    expect(lucky.cookies.has("anteroom_pass")).toBe(true);
    expect(lucky.cookies.has("anteroom_ticket")).toBe(false);

    const refused = await room.request(new Visitor("application/json"), "/api/echo");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({ error: { code: "store_unavailable" } });

    // 0.25/s: the next token comes 4 s later.
    room.advance(3900);
    expect(tally(await newcomers(room, 1)).admitted).toBe(0);
    room.advance(100);
    expect(tally(await newcomers(room, 3)).admitted).toBe(1);
  });

  it("admits nobody on its own in paused and queue-all, and everybody in passthrough", async () => {
    for (const [mode, admitted] of [
      ["paused", 0],
      ["queue-all", 0],
      ["passthrough", 6],
    ] as const) {
      const room = await outageRoom({ ADMIT_PER_MINUTE: "600" });
      await room.operator.updateSettings(room.spec, { mode });
      await newcomers(room, 1);
      room.control.down = true;
      room.advance(1000);
      expect(tally(await newcomers(room, 6)), mode).toMatchObject({ admitted, unavailable: 6 - admitted });
    }
  });
});

describe("STORE_FAILURE_MODE=open and closed", () => {
  it("open lets every newcomer in", async () => {
    const room = await outageRoom({ STORE_FAILURE_MODE: "open", ADMIT_PER_MINUTE: "1" });
    room.control.down = true;
    expect(tally(await newcomers(room, 30))).toEqual({ admitted: 30, unavailable: 0, other: 0 });
  });

  it("closed answers every newcomer 503 with Retry-After", async () => {
    const room = await outageRoom({ STORE_FAILURE_MODE: "closed", ADMIT_PER_MINUTE: "6000" });
    await newcomers(room, 1);
    room.control.down = true;
    for (let second = 0; second < 3; second++) {
      room.advance(1000);
      expect(tally(await newcomers(room, 10))).toEqual({ admitted: 0, unavailable: 10, other: 0 });
    }
  });

  it("a room last seen closed stays closed in every mode", async () => {
    for (const mode of ["soft", "open", "closed"]) {
      const room = await outageRoom({ STORE_FAILURE_MODE: mode });
      await room.operator.updateSettings(room.spec, { mode: "closed" });
      expect(await newcomers(room, 1)).toEqual([403]);
      room.control.down = true;
      room.advance(5000);
      const res = await room.request(new Visitor("application/json"), "/api/echo");
      expect(res.status, mode).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "room_closed" } });
    }
  });
});

describe("while the store is down", () => {
  it("a pass holder is let through; the only store calls are the instance's background ticks, at most one a second", async () => {
    const room = await outageRoom();
    const visitor = new Visitor("application/json");
    expect((await room.request(visitor, "/api/echo")).status).toBe(200);
    room.control.down = true;
    const calls = room.control.calls;
    for (let i = 0; i < 40; i++) {
      room.advance(500);
      const res = await room.request(visitor, "/api/echo");
      expect(res.status).toBe(200);
      expect(((await res.json()) as { pass: string | null }).pass).toBeTruthy();
    }
    // 40 page views over 20 s: a call per view would be 40.
    expect(room.control.calls - calls).toBeLessThanOrEqual(20);
  });

  it("a ticket holder keeps their position, marked delayed, and resumes when the store is back", async () => {
    const room = await outageRoom({ ADMIT_PER_MINUTE: "60" });
    await newcomers(room, 1);
    const waiting = Array.from({ length: 12 }, () => new Visitor("application/json"));
    for (const visitor of waiting) expect((await room.request(visitor, "/api/echo")).status).toBe(429);
    const last = waiting[11] ?? new Visitor();
    const before = (await (await room.request(last, "/__anteroom/status")).json()) as StatusBody;
    expect(before).toMatchObject({ state: "queued", position: 13, delayed: false });

    room.control.down = true;
    // Far from the frontier, a poll is answered from a view up to IDLE_TICK_MS old without asking the
    // store (RoomLink.read): the outage shows once the view is that old.
    room.advance(IDLE_TICK_MS);
    const during = await room.request(last, "/__anteroom/status");
    expect(during.status).toBe(200);
    const duringBody = (await during.json()) as StatusBody;
    expect(duringBody).toMatchObject({ state: "queued", position: 13, delayed: true });
    expect(duringBody.ahead).toBeLessThanOrEqual(before.ahead);
    const page = await room.request(last, "/", { headers: { accept: "text/html" } });
    expect(await page.text()).toContain("We are having a short delay. You keep your place");

    room.control.down = false;
    room.advance(1000);
    const after = (await (await room.request(last, "/__anteroom/status")).json()) as StatusBody;
    expect(after).toMatchObject({ state: "queued", position: 13, delayed: false });
    expect(after.ahead).toBeLessThanOrEqual(duringBody.ahead);
    // The line was not reset: the next newcomer comes after everyone who waited.
    const next = new Visitor("application/json");
    expect((await room.request(next, "/api/echo")).status).toBe(429);
    expect(((await (await room.request(next, "/__anteroom/status")).json()) as StatusBody).position).toBe(14);
  });
});

describe("a real Redis client against a dead address", () => {
  it("falls back the same way: the failure is a value, not an exception", async () => {
    const env: Record<string, string> = {
      ...bindings,
      ROOM: `outage-dead-${Date.now()}`,
      COOKIE_CHECK: "off",
      ADMIT_PER_MINUTE: "60",
      PASS_SIGNING_KEYS: await sharedKeys,
      TICKET_SECRET: "t".repeat(40),
    };
    const store = new RedisStore(connectRedis({ url: "http://127.0.0.1:9", token: "none", timeoutMs: 2000 }));
    const app = createApp({ store, now: () => T0 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await new Visitor("application/json").send(app, env, "/api/echo");
      await res.body?.cancel();
      statuses.push(res.status);
    }
    // 60/min x 0.25 with a burst of 1, all at one instant: one in, the rest asked to come back.
    expect(statuses).toEqual([200, 503, 503, 503]);
  });
});
