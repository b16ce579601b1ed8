import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { roomReportPlan, sinceCovering, takeRoomReport } from "../../bench/lib/room-report.ts";
import { type Stack, startStack } from "../../tools/stack.ts";

const TOKEN = "room-report-test-admin-token-0123456789";

describe("the surge lab's --report: which CLI runs it makes", () => {
  it("covers the run's first minute with whole minutes, at least one", () => {
    const start = Date.parse("2026-12-01T01:10:50Z");
    expect(sinceCovering(start, Date.parse("2026-12-01T01:11:10Z"))).toBe("1m");
    expect(sinceCovering(start, Date.parse("2026-12-01T01:12:05Z"))).toBe("2m");
    expect(sinceCovering(start, start)).toBe("1m");
    // The history reads from the minute `now - since` falls in: never after the run's first minute.
    for (const seconds of [1, 59, 60, 61, 119, 600]) {
      const now = start + seconds * 1000;
      const since = Number(sinceCovering(start, now).slice(0, -1)) * 60_000;
      expect(Math.floor((now - since) / 60_000)).toBeLessThanOrEqual(Math.floor(start / 60_000));
    }
  });

  it("runs `anteroom report` twice (Markdown, then --json) with the room's URL and token in the environment only", () => {
    const plan = roomReportPlan({
      url: "http://127.0.0.1:8787",
      token: "secret-token",
      fromMs: 0,
      nowMs: 150_000,
      dir: "/tmp/out/history",
      baseEnv: { PATH: "/bin", ANTEROOM_ROOM: "other", ANTEROOM_URL: "http://elsewhere" },
    });
    expect(plan.since).toBe("3m");
    expect(plan.calls.map((c) => c.args.slice(1))).toEqual([
      ["report", "--since", "3m", "--out", "/tmp/out/history"],
      ["report", "--since", "3m", "--out", "/tmp/out/history", "--json"],
    ]);
    expect(plan.calls[0]?.args[0]).toMatch(/tools\/anteroom\.mjs$/);
    for (const call of plan.calls) {
      expect(call.env).toMatchObject({ PATH: "/bin", ANTEROOM_URL: "http://127.0.0.1:8787" });
      expect(call.env.ANTEROOM_ADMIN_TOKEN).toBe("secret-token");
      expect(call.env.ANTEROOM_ROOM).toBeUndefined();
      expect(call.args.join(" ")).not.toContain("secret-token");
    }
  });
});

describe("the surge lab's --report against a running room", () => {
  let stack: Stack;
  let dir: string;
  const started = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "anteroom-room-report-"));
    stack = await startStack({
      env: {
        PORT: "0",
        ROOM: `room-report-${started}`,
        ADMIN_TOKEN: TOKEN,
        ADMIT_PER_MINUTE: "60",
        REDIS_URL: inject("redisUrl"),
        REDIS_TIMEOUT_MS: "5000",
        COOKIE_CHECK: "off",
      },
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes report.md, report.json and the chart, and hands back the room's totals", async () => {
    for (let i = 0; i < 4; i++) await fetch(`${stack.url}/`, { headers: { accept: "application/json" } });
    // An ANTEROOM_ROOM in the lab's environment must not redirect the report to another room.
    const plan = roomReportPlan({
      url: stack.url,
      token: TOKEN,
      fromMs: started,
      nowMs: Date.now(),
      dir,
      baseEnv: { ...process.env, ANTEROOM_ROOM: "not-this-room" },
    });
    const result = await takeRoomReport(plan);
    expect(result).toMatchObject({ ok: true, totals: { arrivals: 4 } });
    const md = await readFile(join(dir, "report.md"), "utf8");
    expect(md).toMatch(/^# Anteroom report: room room-report-/);
    expect(md).toContain("](report.svg)");
    expect(JSON.parse(await readFile(join(dir, "report.json"), "utf8"))).toMatchObject({ totals: { arrivals: 4 } });
    expect(await readFile(join(dir, "report.svg"), "utf8")).toContain("<svg");
  }, 90_000);

  it("hands back a failure naming the call and the CLI's own words, not a throw", async () => {
    const plan = roomReportPlan({ url: stack.url, token: "wrong", fromMs: started, nowMs: Date.now(), dir });
    const result = await takeRoomReport(plan);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^anteroom report --since \d+m --out .* exited \d+: .+/);
  }, 60_000);
});
