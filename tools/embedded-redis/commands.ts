// The command table (name -> Redis 7.0 arity and implementation) and the one
// dispatcher that looks a command up and checks its arity, with Redis's two
// wordings of those errors: one for clients, one for redis.call in scripts.

import * as bit from "./bit-commands.ts";
import * as hash from "./hash-commands.ts";
import * as key from "./key-commands.ts";
import type { Keyspace } from "./keyspace.ts";
import { EmbeddedReplyError, ERRORS, type Reply } from "./reply.ts";
import * as zset from "./zset-commands.ts";

export type Run = (ks: Keyspace, args: readonly string[]) => Reply;

/** Arity as in Redis's command table: n = exactly n words, -n = at least n (the name counts). */
interface Command {
  readonly arity: number;
  readonly run: Run;
}

export const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ["time", { arity: 1, run: key.time }],
  ["ping", { arity: -1, run: key.ping }],
  ["get", { arity: 2, run: key.get }],
  ["set", { arity: -3, run: key.set }],
  ["incr", { arity: 2, run: key.incr }],
  ["setbit", { arity: 4, run: bit.setbit }],
  ["getbit", { arity: 3, run: bit.getbit }],
  ["del", { arity: -2, run: key.del }],
  ["exists", { arity: -2, run: key.exists }],
  ["pexpire", { arity: -3, run: key.pexpire }],
  ["pttl", { arity: 2, run: key.pttl }],
  ["type", { arity: 2, run: key.type }],
  ["keys", { arity: 2, run: key.keys }],
  ["flushall", { arity: -1, run: key.flush }],
  ["flushdb", { arity: -1, run: key.flush }],
  ["hget", { arity: 3, run: hash.hget }],
  ["hmget", { arity: -3, run: hash.hmget }],
  ["hset", { arity: -4, run: hash.hset }],
  ["hsetnx", { arity: 4, run: hash.hsetnx }],
  ["hdel", { arity: -3, run: hash.hdel }],
  ["hincrby", { arity: 4, run: hash.hincrby }],
  ["hexists", { arity: 3, run: hash.hexists }],
  ["hkeys", { arity: 2, run: hash.hkeys }],
  ["hvals", { arity: 2, run: hash.hvals }],
  ["hgetall", { arity: 2, run: hash.hgetall }],
  ["hlen", { arity: 2, run: hash.hlen }],
  ["zadd", { arity: -4, run: zset.zadd }],
  ["zrem", { arity: -3, run: zset.zrem }],
  ["zcard", { arity: 2, run: zset.zcard }],
  ["zcount", { arity: 4, run: zset.zcount }],
  ["zrank", { arity: 3, run: zset.zrank }],
  ["zscore", { arity: 3, run: zset.zscore }],
  ["zrange", { arity: -4, run: zset.zrange }],
  ["zrangebyscore", { arity: -4, run: zset.zrangebyscore }],
  ["zremrangebyscore", { arity: 4, run: zset.zremrangebyscore }],
]);

/** Commands a script may not call: scripts do not nest. */
const NOT_FROM_SCRIPT = new Set(["eval", "evalsha", "script"]);

/** Whether `count` words (name included) satisfy an arity. */
export function arityOk(arity: number, count: number): boolean {
  return arity >= 0 ? count === arity : count >= -arity;
}

/** Redis's reply to an unknown command name. */
export function unknownCommand(args: readonly string[]): EmbeddedReplyError {
  let listed = "";
  for (let i = 1; i < args.length && listed.length < 128; i++) {
    listed += `'${(args[i] ?? "").slice(0, 128 - listed.length)}' `;
  }
  const message = `ERR unknown command '${(args[0] ?? "").slice(0, 128)}', with args beginning with: ${listed}`;
  return new EmbeddedReplyError(message.replace(/[\r\n]/g, " "));
}

/**
 * Runs a data command (not EVAL/SCRIPT, which embedded-redis.ts handles).
 * `fromScript` selects the wording redis.call uses for lookup and arity errors.
 */
export function execute(ks: Keyspace, args: readonly string[], fromScript: boolean): Reply {
  const name = (args[0] ?? "").toLowerCase();
  const command = COMMANDS.get(name);
  if (fromScript && NOT_FROM_SCRIPT.has(name)) {
    throw new EmbeddedReplyError("ERR This Redis command is not allowed from script");
  }
  if (!command) {
    throw fromScript ? new EmbeddedReplyError("ERR Unknown Redis command called from script") : unknownCommand(args);
  }
  if (!arityOk(command.arity, args.length)) {
    throw new EmbeddedReplyError(
      fromScript ? "ERR Wrong number of args calling Redis command from script" : ERRORS.arity(name),
    );
  }
  return command.run(ks, args);
}
