import { Redis } from "ioredis";

/** Calls per command name, from `INFO commandstats`. */
export type CommandCounts = Record<string, number>;

/** Commands the bench itself sends (INFO, HGETALL and ZRANGE for sampling) or that clients send on connect. */
const OWN_COMMANDS = new Set(["info", "hgetall", "zrange", "ping", "client", "hello", "select", "command"]);
/** The script calls the worker makes; every other counted command runs inside them. */
export const SCRIPT_COMMANDS = ["evalsha", "eval"] as const;

/** A connection of the bench's own to the Redis the worker uses: reads counters and the room's state. */
export class RedisProbe {
  readonly #redis: Redis;

  constructor(url: string) {
    this.#redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true });
    this.#redis.on("error", () => {});
  }

  /** `INFO commandstats` as {command: calls + rejected + failed}. */
  async commandCounts(): Promise<CommandCounts> {
    const text = await this.#redis.info("commandstats");
    const counts: CommandCounts = {};
    for (const line of text.split("\n")) {
      const match = /^cmdstat_([^:]+):(.*)$/.exec(line.trim());
      if (!match?.[1] || !match[2]) continue;
      const fields = Object.fromEntries(match[2].split(",").map((kv) => kv.split("=") as [string, string]));
      // NOSCRIPT before an EVAL fallback is a failed call: the worker still sent it.
      counts[match[1].toLowerCase()] =
        Number(fields.calls ?? 0) + Number(fields.rejected_calls ?? 0) + Number(fields.failed_calls ?? 0);
    }
    return counts;
  }

  /**
   * The room's state hash: frontier, last ticket, last advance (ms) and the
   * show ratio of no-show compensation (1 when absent), or null before the first visitor.
   */
  async state(
    key: string,
  ): Promise<{ frontier: number; lastTicket: number; updatedAt: number; showRatio: number } | null> {
    const hash = await this.#redis.hgetall(key);
    if (!hash.f) return null;
    const show = Number(hash.s);
    return {
      frontier: Number(hash.f),
      lastTicket: Number(hash.t),
      updatedAt: Number(hash.u),
      showRatio: hash.s !== undefined && Number.isFinite(show) && show > 0 ? show : 1,
    };
  }

  /**
   * The autopilot's hash (`autopilotKey`): `r` the rate it set, per minute of
   * the worker's clock, and `l` the capacity it learned; null while it has no
   * rate (autopilot off, or before the first admission script started it).
   */
  async autopilot(key: string): Promise<{ rate: number; learned: number | null } | null> {
    const hash = await this.#redis.hgetall(key);
    const rate = Number(hash.r);
    if (hash.r === undefined || !Number.isFinite(rate)) return null;
    const learned = Number(hash.l);
    // 0: nothing learned yet.
    return { rate, learned: hash.l !== undefined && Number.isFinite(learned) && learned > 0 ? learned : null };
  }

  /** The autopilot's change log (`autopilotLogKey`), oldest first, members as stored. */
  async autopilotLog(key: string): Promise<string[]> {
    return await this.#redis.zrange(key, "0", "-1");
  }

  /** The redis-server's process id (`INFO server`), to stop and resume it (`--outage-at`). */
  async serverPid(): Promise<number> {
    const pid = Number(/process_id:(\d+)/.exec(await this.#redis.info("server"))?.[1]);
    if (!Number.isInteger(pid) || pid <= 1) throw new Error("redis-server reported no process id");
    return pid;
  }

  /** FLUSHALL: the lab's "Redis lost its data" (`--flush-at`). */
  async flushAll(): Promise<void> {
    await this.#redis.flushall();
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/** What the worker sent between two snapshots: script calls, and the commands run inside them. */
export function commandDelta(before: CommandCounts, after: CommandCounts) {
  const delta: CommandCounts = {};
  for (const [name, calls] of Object.entries(after)) {
    if (OWN_COMMANDS.has(name)) continue;
    const d = calls - (before[name] ?? 0);
    if (d > 0) delta[name] = d;
  }
  const scripts = SCRIPT_COMMANDS.reduce((sum, name) => sum + (delta[name] ?? 0), 0);
  const all = Object.values(delta).reduce((sum, n) => sum + n, 0);
  return { scripts, inner: all - scripts, byCommand: delta };
}
