// Structured logs and metrics in workerd, through the real app: every line a
// room writes (store failures, fallback admissions, settings and event
// changes) is one JSON object with a known `event`, and none holds the admin
// token, a ticket, a pass or a visitor's IP address; and a scrape while the
// store is down still answers, saying so.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../worker/index.ts";
import { LOG_LEVELS } from "../../worker/log.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import { T0, testRoom, Visitor } from "./helpers.ts";

const TOKEN = "admin-token-for-log-tests-0123456789";
const IPV4 = "203.0.113.77";
const IPV6 = "2001:db8:85a3:7:8:8a2e:370:7334";

/** Every line written to the console while `run` runs, whatever the level. */
async function consoleLines(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
  }
  await run();
  return lines;
}

/** The same room as `env`, served by an instance whose store never answers (nothing listens on port 9). */
function deadStoreApp() {
  return createApp({
    store: new RedisStore(connectRedis({ url: "http://127.0.0.1:9", token: "x", timeoutMs: 2000 })),
    now: () => T0,
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("structured logs", () => {
  it("write one JSON line per event, with no token, ticket, pass or raw IP address in any", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "1" });
    const headers = { "cf-connecting-ip": IPV4, "x-forwarded-for": IPV6 };
    const admitted = new Visitor("application/json");
    const waiting = new Visitor("application/json");
    const lines = await consoleLines(async () => {
      await (await room.request(admitted, "/api/echo", { headers })).body?.cancel();
      await (await room.request(waiting, "/api/echo", { headers })).body?.cancel();
      const admin = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers };
      const patch = await room.app.request(
        "http://room.test/__anteroom/admin/settings",
        { method: "PATCH", headers: admin, body: JSON.stringify({ ratePerMinute: 2 }) },
        room.env,
      );
      expect(patch.status).toBe(200);
      const created = await room.app.request(
        "http://room.test/__anteroom/admin/events",
        {
          method: "POST",
          headers: admin,
          body: JSON.stringify({ startsAt: new Date(T0 + 3_600_000).toISOString(), ratePerMinute: 30 }),
        },
        room.env,
      );
      expect(created.status).toBe(201);
      const { event } = (await created.json()) as { event: { id: string } };
      const deleted = await room.app.request(
        `http://room.test/__anteroom/admin/events/${event.id}`,
        { method: "DELETE", headers: admin },
        room.env,
      );
      expect(deleted.status).toBe(200);
      // The store goes away: the waiting visitor's poll and newcomers meet the outage.
      const dead = deadStoreApp();
      await (await waiting.send(dead, room.env, "/api/echo", { headers })).body?.cancel();
      await (await admitted.send(dead, room.env, "/api/echo", { headers })).body?.cancel();
      for (let i = 0; i < 3; i++) {
        await (await new Visitor("application/json").send(dead, room.env, "/api/echo", { headers })).body?.cancel();
      }
    });

    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) expect(Object.keys(LOG_LEVELS)).toContain(entry.event);
    const events = new Set(entries.map((entry) => entry.event));
    for (const expected of [
      "settings_changed",
      "event_scheduled",
      "event_deleted",
      "store_failure",
      "fallback_admissions",
    ]) {
      expect(events).toContain(expected);
    }
    expect(entries.find((e) => e.event === "settings_changed")).toMatchObject({
      room: room.env.ROOM,
      changed: { perMinute: 2 },
    });
    expect(entries.find((e) => e.event === "store_failure")).toMatchObject({ kind: "outage", level: "warn" });

    const secrets = [
      TOKEN,
      IPV4,
      IPV6,
      ...[...admitted.cookies.values(), ...waiting.cookies.values()].filter((value) => value.length > 20),
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(5); // the token, two addresses, a pass and a ticket at least
    for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret);
  });
});

describe("config_invalid", () => {
  it("names the bad setting, once per 10 s however many requests fail, and never its secret value", async () => {
    const secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    const env = { ...(await testRoom()).env, ADMIT_PER_MINUTE: "many", TICKET_SECRET: secret };
    const app = createApp({ now: () => T0 });
    const lines = await consoleLines(async () => {
      for (let i = 0; i < 3; i++) expect((await app.request("http://room.test/", {}, env)).status).toBe(500);
    });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? "");
    expect(entry).toMatchObject({ event: "config_invalid", level: "error", code: "config_invalid", heldBack: 0 });
    expect(entry.problems.join(" ")).toContain("ADMIT_PER_MINUTE");
    expect(lines[0]).not.toContain(secret);
  });
});

describe("GET /__anteroom/admin/metrics while the store is down", () => {
  it("still answers 200, with anteroom_store_up 0 and the instance's failures, and no room figures", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const dead = deadStoreApp();
    await consoleLines(async () => {
      await (await new Visitor("application/json").send(dead, room.env, "/api/echo")).body?.cancel();
    });
    const res = await dead.request(
      "http://room.test/__anteroom/admin/metrics",
      { headers: { authorization: `Bearer ${TOKEN}` } },
      room.env,
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(`anteroom_store_up{room="${room.env.ROOM}"} 0\n`);
    expect(text).toMatch(/anteroom_store_failures_total\{kind="outage",isolate="[0-9a-f]{12}"\} [1-9]\d*\n/);
    expect(text).toMatch(/anteroom_fallback_admissions_total\{room="[^"]+",isolate="[0-9a-f]{12}"\} 1\n/);
    expect(text).not.toContain("anteroom_queue_length");
  });

  it("exists with only a METRICS_TOKEN set, while the admin API stays off (404) for it and everyone", async () => {
    const metricsToken = "scraper-token-for-tests-0123456789";
    const room = await testRoom({ METRICS_TOKEN: metricsToken });
    const get = (path: string, token: string | null) =>
      room.app.request(
        `http://room.test${path}`,
        { headers: token ? { authorization: `Bearer ${token}` } : {} },
        room.env,
      );
    const scrape = await get("/__anteroom/admin/metrics", metricsToken);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain(`anteroom_store_up{room="${room.env.ROOM}"} 1\n`);
    expect((await get("/__anteroom/admin/metrics", null)).status).toBe(401);
    expect((await get("/__anteroom/admin/stats", metricsToken)).status).toBe(404);
    expect((await get("/__anteroom/admin/settings", metricsToken)).status).toBe(404);
  });
});
