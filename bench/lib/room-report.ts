// The room's own history report after a lab run (`npm run surge -- --report`).
// The lab runs the real `anteroom report` CLI, as an operator would (a child
// process given the room's URL and admin token in its environment), before
// the lab's stack stops: nothing of the report is rebuilt here, so the lab
// exercises the command a user runs after an event.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HistoryTotals } from "../../worker/admin/history.ts";

const LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "tools", "anteroom.mjs");

/** One run of the CLI: its arguments (after the Node binary) and its environment. */
export interface CliCall {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What the lab asks of the room's report, and the files it then expects. */
export interface RoomReport {
  /** `--since`: whole real minutes covering the run (the history is one row per real minute). */
  readonly since: string;
  /** The two runs: Markdown (report.md + report.svg), then JSON (report.json). */
  readonly calls: readonly CliCall[];
  /** The folder written. */
  readonly dir: string;
  /** The files written, relative to the folder. */
  readonly files: readonly string[];
}

/**
 * `--since` covering a run that began at `fromMs`: whole minutes, rounded up,
 * at least one. The history endpoint reads every row from the minute `from`
 * falls in, so the run's first minute is in the report.
 *
 * @example
 * ```ts
 * sinceCovering(Date.parse("2026-12-01T01:10:50Z"), Date.parse("2026-12-01T01:12:05Z")); // "2m"
 * ```
 */
export function sinceCovering(fromMs: number, nowMs: number): string {
  return `${Math.max(1, Math.ceil((nowMs - fromMs) / 60_000))}m`;
}

/**
 * The CLI runs that write the room's report into `dir`: `anteroom report
 * --since S --out DIR`, then the same with `--json`, with the room's URL and
 * admin token in `ANTEROOM_URL` / `ANTEROOM_ADMIN_TOKEN` (not in the
 * arguments, where `ps` shows them) and `ANTEROOM_ROOM` cleared (the lab's
 * worker serves one room at the single-room address).
 *
 * @example
 * ```ts
 * const plan = roomReportPlan({ url, token, fromMs: run.epoch, nowMs: Date.now(), dir: "bench/out/x/history" });
 * ```
 */
export function roomReportPlan(input: {
  readonly url: string;
  readonly token: string;
  readonly fromMs: number;
  readonly nowMs: number;
  readonly dir: string;
  /** The environment the CLI inherits (default: this process's). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}): RoomReport {
  const since = sinceCovering(input.fromMs, input.nowMs);
  const env = {
    ...(input.baseEnv ?? process.env),
    ANTEROOM_URL: input.url,
    ANTEROOM_ADMIN_TOKEN: input.token,
    ANTEROOM_ROOM: undefined,
  };
  const base = [LAUNCHER, "report", "--since", since, "--out", input.dir];
  return {
    since,
    calls: [
      { args: base, env },
      { args: [...base, "--json"], env },
    ],
    dir: input.dir,
    files: ["report.md", "report.json", "report.svg"],
  };
}

/** The outcome of the CLI runs: the report's totals (as its report.json gives them), or why they failed. */
export type RoomReportResult =
  | { readonly ok: true; readonly since: string; readonly totals: HistoryTotals }
  | { readonly ok: false; readonly since: string; readonly error: string };

/**
 * Runs the plan's CLI calls one after the other (each within `timeoutMs`);
 * a failure is a value naming the call, its exit and what it printed.
 */
export async function takeRoomReport(plan: RoomReport, timeoutMs = 60_000): Promise<RoomReportResult> {
  for (const call of plan.calls) {
    const env = Object.fromEntries(
      Object.entries(call.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const run = await new Promise<{ code: number | string | null; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, [...call.args], { env, timeout: timeoutMs }, (error, stdout, stderr) =>
        done({
          code: error ? (error.killed ? `killed after ${timeoutMs} ms` : (error.code ?? "?")) : 0,
          stdout,
          stderr,
        }),
      ),
    );
    if (run.code !== 0) {
      const shown = call.args.slice(1).join(" ");
      return {
        ok: false,
        since: plan.since,
        error: `anteroom ${shown} exited ${run.code}: ${(run.stderr || run.stdout).trim().slice(0, 500)}`,
      };
    }
  }
  try {
    const written = JSON.parse(await readFile(join(plan.dir, "report.json"), "utf8")) as { totals: HistoryTotals };
    return { ok: true, since: plan.since, totals: written.totals };
  } catch (error) {
    return { ok: false, since: plan.since, error: `report.json unreadable: ${String(error)}` };
  }
}
