// The metrics endpoint against the real tools: the worker in workerd
// (`wrangler dev` through tools/stack.ts) -> the Upstash REST bridge -> this
// run's redis-server; its scrape linted by `promtool check metrics`, and
// scraped by a real Prometheus server with the bearer token, read back through
// Prometheus's HTTP API. Debian's `prometheus` package brings both binaries
// (.ci/run installs it); without them these tests skip, saying so.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort, type Stack, startStack } from "../../tools/stack.ts";

const ADMIN_TOKEN = "metrics-test-admin-token-0123456789";
const METRICS_TOKEN = "metrics-test-scraper-token-9876543210";
const ROOM = `metrics-${Date.now()}`;
const NEWCOMERS = 5;

function onPath(binary: string): boolean {
  try {
    execFileSync("which", [binary], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const tools = { promtool: onPath("promtool"), prometheus: onPath("prometheus") };
if (!tools.promtool || !tools.prometheus) {
  console.warn(
    `SKIPPED: metrics against the real Prometheus tools: ${Object.entries(tools)
      .filter(([, found]) => !found)
      .map(([name]) => name)
      .join(" and ")} not on PATH (apt-get install prometheus)`,
  );
}

/** `promtool check metrics` on `text`: its exit code and what it said. */
function promtoolCheck(text: string): { code: number; output: string } {
  try {
    const output = execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", stdio: "pipe" });
    return { code: 0, output };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    return { code: failed.status ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

function scrape(stack: Stack, token: string | null): Promise<Response> {
  return fetch(`${stack.url}/__anteroom/admin/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

describe.skipIf(!tools.promtool || !tools.prometheus)("metrics scraped from the worker in workerd", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        PORT: "0",
        ADMIN_TOKEN,
        METRICS_TOKEN,
        // One a minute: the first newcomer goes straight in, the others wait.
        ADMIT_PER_MINUTE: "1",
        REDIS_URL: inject("redisUrl"),
        REDIS_TIMEOUT_MS: "5000",
        ROOM,
        COOKIE_CHECK: "off",
      },
    });
    for (let i = 0; i < NEWCOMERS; i++) {
      const res = await fetch(`${stack.url}/`, { headers: { accept: "application/json" } });
      await res.body?.cancel();
    }
  }, 90_000);
  afterAll(() => stack?.stop());

  it("answers in the 0.0.4 text format that promtool passes, with the room's figures", async () => {
    const res = await scrape(stack, METRICS_TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const lint = promtoolCheck(text);
    expect(lint.output).toBe("");
    expect(lint.code).toBe(0);
    expect(text).toContain(`anteroom_last_ticket{room="${ROOM}"} ${NEWCOMERS}\n`);
    expect(text).toContain(`anteroom_arrivals_total{room="${ROOM}"} ${NEWCOMERS}\n`);
    expect(text).toContain(`anteroom_queue_length{room="${ROOM}"} ${NEWCOMERS - 1}\n`);
    expect(text).toContain(`anteroom_mode{room="${ROOM}",mode="auto"} 1\n`);
    expect(text).toContain(`anteroom_rate_per_minute{room="${ROOM}",source="setting"} 1\n`);
    expect(text).toContain(`anteroom_store_up{room="${ROOM}"} 1\n`);
    expect(text).toMatch(/anteroom_origin_latency_last_minute_seconds_bucket\{room="[^"]+",le="\+Inf"\} \d+\n/);
    expect(text).toMatch(/anteroom_store_failures_total\{kind="outage",isolate="[0-9a-f]{12}"\} 0\n/);
  });

  it("takes the admin token too", async () => {
    expect((await scrape(stack, ADMIN_TOKEN)).status).toBe(200);
  });

  it("refuses a scrape without a token or with a wrong one: 401, nothing revealed", async () => {
    for (const token of [null, "not-the-token-at-all-0000"]) {
      const res = await scrape(stack, token);
      expect(res.status).toBe(401);
      const body = await res.text();
      expect(body).not.toContain("anteroom_");
      expect(body).not.toContain(ROOM);
    }
  });

  it("opens nothing else with the metrics token", async () => {
    const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
    const stats = await fetch(`${stack.url}/__anteroom/admin/stats`, { headers: auth });
    expect(stats.status).toBe(401);
    expect(await stats.text()).not.toContain(ROOM);
    const patch = await fetch(`${stack.url}/__anteroom/admin/settings`, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ mode: "paused" }),
    });
    expect(patch.status).toBe(401);
    const settings = await fetch(`${stack.url}/__anteroom/admin/settings`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(await settings.json()).toMatchObject({ mode: "auto" });
  });

  it("is scraped by a real Prometheus with the bearer token, and PromQL reads the room's last ticket back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "anteroom-prometheus-"));
    const port = await freePort();
    const target = new URL(stack.url);
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: anteroom",
        "    metrics_path: /__anteroom/admin/metrics",
        "    authorization:",
        `      credentials: ${METRICS_TOKEN}`,
        "    static_configs:",
        `      - targets: ["${target.host}"]`,
        "",
      ].join("\n"),
    );
    const server: ChildProcess = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let log = "";
    server.stderr?.on("data", (chunk: Buffer) => {
      log = `${log}${chunk.toString()}`.slice(-4000);
    });
    try {
      const query = async (promql: string) => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
        const body = (await res.json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        return body.data.result;
      };
      let lastTicket: string | undefined;
      const deadline = Date.now() + 45_000;
      while (Date.now() < deadline && lastTicket === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        try {
          lastTicket = (await query(`anteroom_last_ticket{room="${ROOM}"}`))[0]?.value[1];
        } catch {
          // Not listening yet.
        }
      }
      expect(lastTicket, `Prometheus never scraped the room; its log:\n${log}`).toBe(String(NEWCOMERS));
      const up = await query(`up{job="anteroom"}`);
      expect(up[0]?.value[1]).toBe("1");
      const mode = await query(`anteroom_mode{room="${ROOM}"} == 1`);
      expect(mode.map((sample) => sample.metric.mode)).toEqual(["auto"]);
    } finally {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
