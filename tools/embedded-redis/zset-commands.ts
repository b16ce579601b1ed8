// Sorted-set commands as Redis 7.0 parses and answers them (t_zset.c):
// options first, then ranges, then the key's type, so the same bad call
// gets the same error. Scores in replies are "%.17g" strings, as RESP2 sends them.

import type { Args } from "./key-commands.ts";
import type { Keyspace } from "./keyspace.ts";
import { formatG, parseInteger, parseScoreBound, parseStrictDouble } from "./numbers.ts";
import { EmbeddedReplyError, ERRORS, type Reply } from "./reply.ts";
import type { ScoreRange } from "./sorted-set.ts";

function arg(args: Args, i: number): string {
  return args[i] ?? "";
}

function longArg(text: string): number {
  const value = parseInteger(text);
  if (value === null) throw new EmbeddedReplyError(ERRORS.notInteger);
  return Number(value);
}

function score(value: number): string {
  return formatG(value, 17);
}

function rangeArgs(min: string, max: string): ScoreRange {
  const low = parseScoreBound(min);
  const high = parseScoreBound(max);
  if (!low || !high) throw new EmbeddedReplyError(ERRORS.rangeNotFloat);
  return { min: low.value, minExclusive: low.exclusive, max: high.value, maxExclusive: high.exclusive };
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
export function zadd(ks: Keyspace, args: Args): Reply {
  const flags = new Set<string>();
  let i = 2;
  for (; i < args.length; i++) {
    const flag = arg(args, i).toUpperCase();
    if (!["NX", "XX", "GT", "LT", "CH", "INCR"].includes(flag)) break;
    flags.add(flag);
  }
  const elements = args.length - i;
  if (elements === 0 || elements % 2 !== 0) throw new EmbeddedReplyError(ERRORS.syntax);
  if (flags.has("NX") && flags.has("XX")) {
    throw new EmbeddedReplyError("ERR XX and NX options at the same time are not compatible");
  }
  if (
    (flags.has("GT") && flags.has("NX")) ||
    (flags.has("LT") && flags.has("NX")) ||
    (flags.has("GT") && flags.has("LT"))
  ) {
    throw new EmbeddedReplyError("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (flags.has("INCR") && elements > 2) {
    throw new EmbeddedReplyError("ERR INCR option supports a single increment-element pair");
  }
  const pairs: [number, string][] = [];
  for (let j = i; j < args.length; j += 2) {
    const value = parseStrictDouble(arg(args, j));
    if (value === null) throw new EmbeddedReplyError(ERRORS.notFloat);
    pairs.push([value, arg(args, j + 1)]);
  }
  const key = arg(args, 1);
  if (!ks.zset(key) && flags.has("XX")) return flags.has("INCR") ? null : 0;
  const set = ks.zsetForWrite(key);
  let added = 0;
  let updated = 0;
  let result: number | null = null;
  for (const [value, member] of pairs) {
    const current = set.score(member);
    if (current === undefined) {
      if (flags.has("XX")) continue;
      set.set(member, value);
      added++;
      result = value;
      continue;
    }
    if (flags.has("NX")) continue;
    const next = flags.has("INCR") ? current + value : value;
    if (Number.isNaN(next)) throw new EmbeddedReplyError("ERR resulting score is not a number (NaN)");
    if ((flags.has("GT") && next <= current) || (flags.has("LT") && next >= current)) continue;
    result = next;
    if (next !== current) {
      set.set(member, next);
      updated++;
    }
  }
  if (flags.has("INCR")) return result === null ? null : score(result);
  return flags.has("CH") ? added + updated : added;
}

export function zrem(ks: Keyspace, args: Args): Reply {
  const key = arg(args, 1);
  const set = ks.zset(key);
  if (!set) return 0;
  const removed = args.slice(2).filter((member) => set.delete(member)).length;
  ks.dropIfEmpty(key);
  return removed;
}

export function zcard(ks: Keyspace, args: Args): Reply {
  return ks.zset(arg(args, 1))?.size ?? 0;
}

export function zcount(ks: Keyspace, args: Args): Reply {
  const range = rangeArgs(arg(args, 2), arg(args, 3));
  return ks.zset(arg(args, 1))?.inRange(range).length ?? 0;
}

export function zrank(ks: Keyspace, args: Args): Reply {
  return ks.zset(arg(args, 1))?.rank(arg(args, 2)) ?? null;
}

export function zscore(ks: Keyspace, args: Args): Reply {
  const value = ks.zset(arg(args, 1))?.score(arg(args, 2));
  return value === undefined ? null : score(value);
}

function flatten(entries: readonly { member: string; score: number }[], withScores: boolean): Reply {
  return withScores ? entries.flatMap((e) => [e.member, score(e.score)]) : entries.map((e) => e.member);
}

/** ZRANGE key start stop [WITHSCORES]: by rank only (BYSCORE, BYLEX, REV and LIMIT are refused, not ignored). */
export function zrange(ks: Keyspace, args: Args): Reply {
  let withScores = false;
  for (const option of args.slice(4)) {
    const upper = option.toUpperCase();
    if (upper === "WITHSCORES") withScores = true;
    else if (["BYSCORE", "BYLEX", "REV", "LIMIT"].includes(upper)) {
      throw new EmbeddedReplyError(`ERR embedded-redis: ZRANGE ${upper} is not emulated; use ZRANGEBYSCORE`);
    } else throw new EmbeddedReplyError(ERRORS.syntax);
  }
  let start = longArg(arg(args, 2));
  let stop = longArg(arg(args, 3));
  const set = ks.zset(arg(args, 1));
  if (!set) return [];
  const length = set.size;
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return [];
  if (stop >= length) stop = length - 1;
  return flatten(set.slice(start, stop), withScores);
}

/** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
export function zrangebyscore(ks: Keyspace, args: Args): Reply {
  let withScores = false;
  let offset = 0;
  let count = -1;
  for (let i = 4; i < args.length; i++) {
    const upper = arg(args, i).toUpperCase();
    if (upper === "WITHSCORES") withScores = true;
    else if (upper === "LIMIT" && args.length - i - 1 >= 2) {
      offset = longArg(arg(args, i + 1));
      count = longArg(arg(args, i + 2));
      i += 2;
    } else throw new EmbeddedReplyError(ERRORS.syntax);
  }
  const range = rangeArgs(arg(args, 2), arg(args, 3));
  const set = ks.zset(arg(args, 1));
  // A negative offset walks off the set (empty); a negative count means no limit.
  if (!set || offset < 0) return [];
  const found = set.inRange(range).slice(offset);
  return flatten(count < 0 ? found : found.slice(0, count), withScores);
}

export function zremrangebyscore(ks: Keyspace, args: Args): Reply {
  const range = rangeArgs(arg(args, 2), arg(args, 3));
  const key = arg(args, 1);
  const set = ks.zset(key);
  if (!set) return 0;
  const doomed = set.inRange(range);
  for (const entry of doomed) set.delete(entry.member);
  ks.dropIfEmpty(key);
  return doomed.length;
}
