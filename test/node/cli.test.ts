import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Stack, startStack } from "../../tools/stack.ts";

const CLI = fileURLToPath(new URL("../../tools/anteroom.mjs", import.meta.url));
const TOKEN = "cli-test-admin-token-0123456789";
const FIRST = `cli-${Date.now()}`;
const SECOND = `${FIRST}-second`;

/** Runs the real `anteroom` bin as a user would, returning its exit code and output. */
function anteroom(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("the anteroom CLI against a running room", () => {
  let stack: Stack;
  let target: string[];

  beforeAll(async () => {
    stack = await startStack({
      env: {
        PORT: "0",
        ADMIN_TOKEN: TOKEN,
        ADMIT_PER_MINUTE: "60",
        REDIS_URL: inject("redisUrl"),
        // Tests share 2 cores with other suites: a slow Redis answer must not read as an outage.
        REDIS_TIMEOUT_MS: "5000",
        // Two rooms: the first answers the single-room addresses, `--room` picks either.
        ROOMS: JSON.stringify([
          { name: FIRST, paths: ["/*"] },
          { name: SECOND, paths: ["/second/*"], admitPerMinute: 30 },
        ]),
        // Programmatic clients without a cookie jar for redirects: the cookie check is tested elsewhere.
        COOKIE_CHECK: "off",
      },
    });
    target = ["--url", stack.url, "--token", TOKEN];
  }, 90_000);
  afterAll(() => stack?.stop());

  it("shows the room's status as JSON", async () => {
    for (let i = 0; i < 5; i++) await fetch(`${stack.url}/`, { headers: { accept: "application/json" } });
    const { code, stdout } = await anteroom(["status", "--json", ...target]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ mode: "auto", ratePerMinute: 60, lastTicket: 5 });
  });

  it("lists the rooms, and takes --room for any room command", async () => {
    const list = await anteroom(["rooms", ...target]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${FIRST}   any host /*   mode`);
    expect(list.stdout).toMatch(new RegExp(`${SECOND}   any host /second/\\*   mode auto\\s+rate 30/min`));
    const json = JSON.parse((await anteroom(["rooms", "--json", ...target])).stdout) as { room: string }[];
    expect(json.map((r) => r.room)).toEqual([FIRST, SECOND]);

    expect((await anteroom(["set-rate", "45", "--room", SECOND, ...target])).stdout).toContain("45/min");
    const second = JSON.parse((await anteroom(["status", "--json", "--room", SECOND, ...target])).stdout);
    expect(second).toMatchObject({ room: SECOND, ratePerMinute: 45 });
    const first = JSON.parse((await anteroom(["status", "--json", ...target])).stdout);
    expect(first).toMatchObject({ room: FIRST });
    expect(first.ratePerMinute).not.toBe(45);
    expect((await anteroom(["events", "list", "--room", SECOND, ...target])).stdout).toContain("no events scheduled");

    const unknown = await anteroom(["status", "--json", "--room", "nope", ...target]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('No room named "nope"');
    expect((await anteroom(["status", "--room", "../stats", ...target])).code).toBe(2);
  }, 30_000);

  it("shows a readable status once, reading the URL and token from the environment", async () => {
    const { code, stdout } = await anteroom(["status", "--once"], {
      ANTEROOM_URL: stack.url,
      ANTEROOM_ADMIN_TOKEN: TOKEN,
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/mode auto\s+rate 60\/min/);
  });

  it("sets the rate, pauses and resumes, and the room follows", async () => {
    expect((await anteroom(["set-rate", "240", ...target])).code).toBe(0);
    expect((await anteroom(["pause", ...target])).stdout).toContain("mode paused");
    const paused = JSON.parse((await anteroom(["status", "--json", ...target])).stdout);
    expect(paused).toMatchObject({ mode: "paused", ratePerMinute: 240, etaSecondsForNewcomer: null });
    expect((await anteroom(["resume", ...target])).stdout).toContain("mode auto, 240/min");
    expect((await anteroom(["mode", "queue-all", ...target])).code).toBe(0);
    expect((await anteroom(["set-max-active", "25", ...target])).stdout).toContain("at most 25 active");
    expect(JSON.parse((await anteroom(["status", "--json", ...target])).stdout)).toMatchObject({ maxActive: 25 });
    expect((await anteroom(["set-max-active", "off", ...target])).stdout).toContain("no active-users cap");
    expect((await anteroom(["set-max-active", "many", ...target])).code).toBe(2);
  }, 30_000);

  it("turns the autopilot on with its limits in one change, shows it in the status, and off again", async () => {
    const on = await anteroom([
      "autopilot",
      "on",
      "--min",
      "10",
      "--max",
      "500",
      "--target-p95",
      "900",
      "--max-errors",
      "2%",
      "--timeout",
      "4000",
      ...target,
    ]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain(
      "autopilot on, within 10-500/min, target p95 900 ms, errors at most 2%, origin timeout 4000 ms",
    );
    const stats = JSON.parse((await anteroom(["status", "--json", ...target])).stdout);
    expect(stats.autopilot).toMatchObject({
      on: true,
      minRate: 10,
      maxRate: 500,
      targetP95Ms: 900,
      maxErrorRate: 0.02,
      timeoutMs: 4000,
    });
    expect(stats.autopilot.ratePerMinute).toBe(stats.ratePerMinute);
    const shown = (await anteroom(["status", "--once", ...target])).stdout;
    expect(shown).toMatch(/autopilot on\s+rate [\d.]+\/min\s+within 10-500\/min, target p95 900 ms, errors at most 2%/);
    expect(shown).toMatch(/origin, last minute: \d+ requests/);
    expect(shown).toMatch(/learned capacity (not known yet|[\d.]+\/min)/);
    expect(shown).toContain("minute  arrivals  admissions  queue   rate  origin p95");

    const off = await anteroom(["autopilot", "off", ...target]);
    expect(off.code).toBe(0);
    expect(off.stdout).toContain("autopilot off, within 10-500/min");
    expect((await anteroom(["status", "--once", ...target])).stdout).toContain(
      "autopilot off (the rate is the operator's)   when on: within 10-500/min",
    );
  }, 30_000);

  it("refuses a bad autopilot change: the usage (exit 2) or the room's words naming the field (exit 4)", async () => {
    expect((await anteroom(["autopilot", ...target])).code).toBe(2);
    expect((await anteroom(["autopilot", "maybe", ...target])).code).toBe(2);
    const notNumber = await anteroom(["autopilot", "on", "--max", "fast", ...target]);
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain("--max must be a number");
    const inverted = await anteroom(["autopilot", "on", "--min", "600", "--max", "100", ...target]);
    expect(inverted.code).toBe(4);
    expect(inverted.stderr).toContain("autopilotMinRate (600) must not be above autopilotMaxRate (100)");
    const target0 = await anteroom(["autopilot", "on", "--target-p95", "0", ...target]);
    expect(target0.code).toBe(4);
    expect(target0.stderr).toContain("originTargetP95Ms must be a whole number");
    expect(JSON.parse((await anteroom(["status", "--json", ...target])).stdout).autopilot.on).toBe(false);
  }, 30_000);

  it("schedules, lists and removes events", async () => {
    const soon = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
    const added = await anteroom([
      "events",
      "add",
      "--starts",
      soon(60),
      "--ends",
      soon(120),
      "--prequeue-from",
      soon(30),
      "--rate",
      "500",
      ...target,
    ]);
    expect(added.code).toBe(0);
    const id = /scheduled (ev_\w+)/.exec(added.stdout)?.[1] ?? "";
    expect(added.stdout).toContain("rate 500/min");
    expect(added.stdout).toContain("(lottery)");
    expect(added.stdout).not.toContain("autopilot");
    const listed = await anteroom(["events", "list", ...target]);
    expect(listed.stdout).toContain(`${id}  scheduled`);
    const clash = await anteroom(["events", "add", "--starts", soon(90), "--rate", "10", ...target]);
    expect(clash.code).toBe(4);
    expect(clash.stderr).toContain(`overlaps event ${id}`);
    expect((await anteroom(["events", "add", "--rate", "10", ...target])).code).toBe(2);
    const steered = await anteroom(["events", "add", "--starts", soon(200), "--autopilot", "on", ...target]);
    expect(steered.stdout).toContain("autopilot on");
    const steeredId = /scheduled (ev_\w+)/.exec(steered.stdout)?.[1] ?? "";
    expect((await anteroom(["events", "list", ...target])).stdout).toMatch(
      new RegExp(`${steeredId}  scheduled .*autopilot on`),
    );
    expect((await anteroom(["events", "add", "--starts", soon(300), "--autopilot", "yes", ...target])).code).toBe(2);
    expect((await anteroom(["events", "remove", steeredId, ...target])).code).toBe(0);
    expect((await anteroom(["events", "remove", id, ...target])).stdout).toContain(`removed ${id}`);
    expect((await anteroom(["events", "list", ...target])).stdout).toContain("no events scheduled");
    expect((await anteroom(["events", "remove", id, ...target])).code).toBe(4);
  }, 30_000);

  it("writes a history report: Markdown on stdout, JSON, and in a folder with an SVG chart", async () => {
    for (let i = 0; i < 3; i++) await fetch(`${stack.url}/`, { headers: { accept: "application/json" } });
    const markdown = await anteroom(["report", "--since", "10m", ...target]);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^# Anteroom report: room cli-/);
    expect(markdown.stdout).toMatch(/\| arrivals \(places handed out\) \| \d+ \|/);
    expect(markdown.stdout).toContain("| wait p50 / p95 / max (minutes) |");
    expect(markdown.stdout).toContain("## Per minute");
    const json = await anteroom(["report", "--since", "10m", "--json", ...target]);
    const report = JSON.parse(json.stdout) as { minutes: unknown[]; totals: { arrivals: number; peakQueue: number } };
    expect(report.minutes.length).toBeGreaterThanOrEqual(10);
    expect(report.totals.arrivals).toBeGreaterThanOrEqual(3);
    const dir = await mkdtemp(join(tmpdir(), "anteroom-report-"));
    try {
      const written = await anteroom(["report", "--since", "1h", "--out", dir, ...target]);
      expect(written.code, written.stderr).toBe(0);
      const md = await readFile(join(dir, "report.md"), "utf8");
      expect(md).toContain("![arrivals, admissions, queue, waits and the origin per minute](report.svg)");
      const svg = await readFile(join(dir, "report.svg"), "utf8");
      expect(svg).toMatch(/^<svg/);
      expect(svg).toContain("people per minute");
      expect(svg).toContain("arrivals");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("reports an event's window, and refuses a bad --since or an unknown event with a clear error", async () => {
    for (const since of ["3x", "2", "49h", "0h", ""]) {
      const bad = await anteroom(["report", "--since", since, ...target]);
      expect(bad.code, since).toBe(2);
      expect(bad.stderr, since).toContain("--since must be a duration up to 48h");
    }
    expect((await anteroom(["report", "--since", "2h", "--event", "ev_1", ...target])).code).toBe(2);
    const unknown = await anteroom(["report", "--event", "ev_nope", ...target]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('no event "ev_nope"');
    const soon = new Date(Date.now() + 600_000).toISOString();
    const added = await anteroom(["events", "add", "--starts", soon, "--rate", "30", ...target]);
    const id = /ev_[0-9a-f]{8}/.exec(added.stdout)?.[0] ?? "";
    expect(id).not.toBe("");
    const early = await anteroom(["report", "--event", id, ...target]);
    expect(early.code).toBe(4);
    expect(early.stderr).toContain("has not begun");
    await anteroom(["events", "remove", id, ...target]);
  }, 60_000);

  it("exits with codes a script can rely on", async () => {
    expect((await anteroom(["status", "--url", stack.url, "--token", "wrong-token"])).code).toBe(3);
    expect((await anteroom(["status", "--url", "http://127.0.0.1:9", "--token", TOKEN])).code).toBe(1);
    expect((await anteroom(["set-rate", "fast", ...target])).code).toBe(2);
    expect((await anteroom(["mode", "turbo", ...target])).code).toBe(2);
    expect((await anteroom(["frobnicate", ...target])).code).toBe(2);
    const missing = await anteroom(["status"], { ANTEROOM_URL: "", ANTEROOM_ADMIN_TOKEN: "" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("ANTEROOM_URL");
  }, 30_000);

  it("generates, stages and promotes keys for a rotation without a gap", async () => {
    const first = await anteroom(["keys", "generate"]);
    expect(first.code).toBe(0);
    const current = /echo '(\[.*\])' \| npx wrangler secret put PASS_SIGNING_KEYS/.exec(first.stdout)?.[1] ?? "";
    const oldKid = (JSON.parse(current) as { kid: string }[])[0]?.kid;
    const staged = await anteroom(["keys", "generate", current]);
    const stagedKeys = JSON.parse(/echo '(\[.*\])'/.exec(staged.stdout)?.[1] ?? "[]") as { kid: string }[];
    expect(stagedKeys[0]?.kid).toBe(oldKid);
    const newKid = stagedKeys[1]?.kid ?? "";
    const promoted = await anteroom(["keys", "promote", newKid, JSON.stringify(stagedKeys)]);
    const promotedKeys = JSON.parse(/echo '(\[.*\])'/.exec(promoted.stdout)?.[1] ?? "[]") as { kid: string }[];
    expect(promotedKeys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    expect((await anteroom(["keys", "promote", "nope", current])).code).toBe(1);
    // A thumbprint kid begins with "-" about once in 64 keys; it is a kid, not a flag.
    const dashed = JSON.stringify([
      { ...stagedKeys[0], kid: "-dash" },
      { ...stagedKeys[1], kid: "-_W_f" },
    ]);
    const dashedPromoted = await anteroom(["keys", "promote", "-_W_f", dashed]);
    expect(dashedPromoted.code).toBe(0);
    expect(dashedPromoted.stdout).toContain('"kid":"-_W_f"');
    expect(dashedPromoted.stdout.indexOf('"kid":"-_W_f"')).toBeLessThan(dashedPromoted.stdout.indexOf('"kid":"-dash"'));
  }, 30_000);
});
