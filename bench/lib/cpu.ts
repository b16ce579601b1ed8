// CPU time of the bench's own processes, read from /proc: what a request
// costs in CPU, whatever else the machine runs at the same time (wall-clock
// throughput on a shared machine depends on the other jobs; CPU time spent per
// request much less).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** CPU time used so far, ms (user + system, every thread). */
export interface CpuSnapshot {
  /** The workerd process running the workers; null when unreadable. */
  readonly workerd: number | null;
  /** This Node process: load generator, origin and REST bridge threads. */
  readonly node: number;
  /** The redis-server behind the bridge; null when unreadable. */
  readonly redis: number | null;
}

/** Reads the CPU clocks of workerd, this process and redis-server (children of this process). */
export class CpuMeter {
  readonly #workerd: number | null;
  readonly #redis: number | null;
  readonly #ticksPerSecond: number;

  constructor() {
    this.#workerd = childPid("workerd");
    this.#redis = childPid("redis-server");
    this.#ticksPerSecond = clockTicks();
  }

  snapshot(): CpuSnapshot {
    const node = process.cpuUsage();
    return {
      workerd: this.#workerd === null ? null : processCpuMs(this.#workerd, this.#ticksPerSecond),
      node: (node.user + node.system) / 1000,
      redis: this.#redis === null ? null : processCpuMs(this.#redis, this.#ticksPerSecond),
    };
  }
}

/** The first child of this process whose command name is `comm`. */
function childPid(comm: string): number | null {
  try {
    const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
    for (const line of out.split("\n")) {
      const [pid, name] = line.trim().split(/\s+/);
      if (name === comm && pid) return Number(pid);
    }
  } catch {}
  return null;
}

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process (all its threads), from /proc/PID/stat. */
function processCpuMs(pid: number, ticksPerSecond: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: fields count from after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}
