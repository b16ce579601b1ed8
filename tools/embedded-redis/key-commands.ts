// Generic and string commands, each as Redis 7.0 parses, checks and answers
// it (see commands.ts for the table and the arity check).

import { globMatch } from "./glob.ts";
import type { Keyspace } from "./keyspace.ts";
import { outOfInt64, parseInteger } from "./numbers.ts";
import { EmbeddedReplyError, ERRORS, type Reply } from "./reply.ts";

export type Args = readonly string[];
const OK = { status: "OK" } as const;

function arg(args: Args, i: number): string {
  return args[i] ?? "";
}

function integerArg(text: string): number {
  const value = parseInteger(text);
  if (value === null) throw new EmbeddedReplyError(ERRORS.notInteger);
  return Number(value);
}

export function time(ks: Keyspace): Reply {
  const ms = ks.now();
  const seconds = Math.floor(ms / 1000);
  return [String(seconds), String(Math.round((ms - seconds * 1000) * 1000))];
}

export function ping(_ks: Keyspace, args: Args): Reply {
  if (args.length > 2) throw new EmbeddedReplyError(ERRORS.arity("ping"));
  return args.length === 2 ? arg(args, 1) : { status: "PONG" };
}

export function get(ks: Keyspace, args: Args): Reply {
  return ks.string(arg(args, 1)) ?? null;
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL], options checked as t_string.c does. */
export function set(ks: Keyspace, args: Args): Reply {
  const key = arg(args, 1);
  const flags = new Set<string>();
  const expiries = ["EX", "PX", "EXAT", "PXAT"];
  let amount = "";
  for (let i = 3; i < args.length; i++) {
    const option = arg(args, i).toUpperCase();
    const otherExpiry = expiries.some((unit) => unit !== option && flags.has(unit));
    if ((option === "NX" && !flags.has("XX")) || (option === "XX" && !flags.has("NX")) || option === "GET") {
      flags.add(option);
    } else if (option === "KEEPTTL" && !expiries.some((unit) => flags.has(unit))) {
      flags.add(option);
    } else if (expiries.includes(option) && !flags.has("KEEPTTL") && !otherExpiry && i + 1 < args.length) {
      flags.add(option);
      amount = arg(args, ++i);
    } else {
      throw new EmbeddedReplyError(ERRORS.syntax);
    }
  }
  const unit = expiries.find((u) => flags.has(u));
  let expiresAt: number | undefined;
  if (unit) {
    const value = integerArg(amount);
    const seconds = unit === "EX" || unit === "EXAT";
    if (value <= 0 || (seconds && value > Number.MAX_SAFE_INTEGER / 1000)) {
      throw new EmbeddedReplyError("ERR invalid expire time in 'set' command");
    }
    expiresAt = (seconds ? value * 1000 : value) + (unit.endsWith("AT") ? 0 : ks.now());
  }
  const returnOld = flags.has("GET");
  const old = returnOld ? (ks.string(key) ?? null) : null;
  const exists = ks.get(key) !== undefined;
  if ((flags.has("NX") && exists) || (flags.has("XX") && !exists)) return old;
  ks.setString(key, arg(args, 2), flags.has("KEEPTTL"));
  if (expiresAt !== undefined) ks.setExpiry(key, expiresAt);
  return returnOld ? old : OK;
}

export function incr(ks: Keyspace, args: Args): Reply {
  const key = arg(args, 1);
  const current = ks.string(key);
  const value = current === undefined ? 0n : parseInteger(current);
  if (value === null) throw new EmbeddedReplyError(ERRORS.notInteger);
  const next = value + 1n;
  if (outOfInt64(next)) throw new EmbeddedReplyError(ERRORS.overflow);
  ks.setString(key, next.toString(), true);
  return Number(next);
}

export function del(ks: Keyspace, args: Args): Reply {
  return args.slice(1).filter((key) => ks.delete(key)).length;
}

export function exists(ks: Keyspace, args: Args): Reply {
  return args.slice(1).filter((key) => ks.get(key) !== undefined).length;
}

/** PEXPIRE key ms [NX|XX|GT|LT] */
export function pexpire(ks: Keyspace, args: Args): Reply {
  const key = arg(args, 1);
  const flags = new Set<string>();
  for (const option of args.slice(3)) {
    const flag = option.toUpperCase();
    if (!["NX", "XX", "GT", "LT"].includes(flag)) throw new EmbeddedReplyError(`ERR Unsupported option ${option}`);
    flags.add(flag);
  }
  if (flags.has("NX") && (flags.has("XX") || flags.has("GT") || flags.has("LT"))) {
    throw new EmbeddedReplyError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (flags.has("GT") && flags.has("LT")) {
    throw new EmbeddedReplyError("ERR GT and LT options at the same time are not compatible");
  }
  const ms = integerArg(arg(args, 2));
  const now = ks.now();
  if (ms > Number.MAX_SAFE_INTEGER - now) throw new EmbeddedReplyError("ERR invalid expire time in 'pexpire' command");
  if (ks.get(key) === undefined) return 0;
  const when = now + ms;
  const current = ks.expiresAt(key);
  if (flags.has("NX") && current !== undefined) return 0;
  if (flags.has("XX") && current === undefined) return 0;
  // No expiry counts as an infinite one.
  if (flags.has("GT") && (current === undefined || when <= current)) return 0;
  if (flags.has("LT") && current !== undefined && when >= current) return 0;
  // An expiry not in the future deletes the key at once.
  if (when <= now) ks.delete(key);
  else ks.setExpiry(key, when);
  return 1;
}

export function pttl(ks: Keyspace, args: Args): Reply {
  const key = arg(args, 1);
  if (ks.get(key) === undefined) return -2;
  const at = ks.expiresAt(key);
  return at === undefined ? -1 : Math.max(0, at - ks.now());
}

export function type(ks: Keyspace, args: Args): Reply {
  return { status: ks.get(arg(args, 1))?.type ?? "none" };
}

export function keys(ks: Keyspace, args: Args): Reply {
  const pattern = arg(args, 1);
  return ks.keys().filter((key) => globMatch(pattern, key));
}

/** FLUSHALL / FLUSHDB [ASYNC|SYNC] */
export function flush(ks: Keyspace, args: Args): Reply {
  if (args.length > 2 || (args.length === 2 && !["ASYNC", "SYNC"].includes(arg(args, 1).toUpperCase()))) {
    throw new EmbeddedReplyError(ERRORS.syntax);
  }
  ks.clear();
  return OK;
}
