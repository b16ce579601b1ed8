// Hash commands as Redis 7.0 answers them. A hash keeps its fields in
// insertion order, which is the order Redis gives for the small hashes it
// stores as listpacks (up to 128 fields of up to 64 bytes: all of this
// project's hashes), so HGETALL and HKEYS list fields in the same order.

import type { Args } from "./key-commands.ts";
import type { Keyspace } from "./keyspace.ts";
import { outOfInt64, parseInteger } from "./numbers.ts";
import { EmbeddedReplyError, ERRORS, type Reply } from "./reply.ts";

function arg(args: Args, i: number): string {
  return args[i] ?? "";
}

export function hget(ks: Keyspace, args: Args): Reply {
  return ks.hash(arg(args, 1))?.get(arg(args, 2)) ?? null;
}

export function hmget(ks: Keyspace, args: Args): Reply {
  const hash = ks.hash(arg(args, 1));
  return args.slice(2).map((field) => hash?.get(field) ?? null);
}

/** HSET key field value [field value ...]: the number of fields added. */
export function hset(ks: Keyspace, args: Args): Reply {
  if (args.length % 2 !== 0) throw new EmbeddedReplyError(ERRORS.arity("hset"));
  const hash = ks.hashForWrite(arg(args, 1));
  let added = 0;
  for (let i = 2; i < args.length; i += 2) {
    if (!hash.has(arg(args, i))) added++;
    hash.set(arg(args, i), arg(args, i + 1));
  }
  return added;
}

export function hsetnx(ks: Keyspace, args: Args): Reply {
  const key = arg(args, 1);
  if (ks.hash(key)?.has(arg(args, 2))) return 0;
  ks.hashForWrite(key).set(arg(args, 2), arg(args, 3));
  return 1;
}

export function hdel(ks: Keyspace, args: Args): Reply {
  const key = arg(args, 1);
  const hash = ks.hash(key);
  if (!hash) return 0;
  const removed = args.slice(2).filter((field) => hash.delete(field)).length;
  ks.dropIfEmpty(key);
  return removed;
}

export function hincrby(ks: Keyspace, args: Args): Reply {
  const increment = parseInteger(arg(args, 3));
  if (increment === null) throw new EmbeddedReplyError(ERRORS.notInteger);
  const key = arg(args, 1);
  const field = arg(args, 2);
  const stored = ks.hash(key)?.get(field);
  const current = stored === undefined ? 0n : parseInteger(stored);
  if (current === null) throw new EmbeddedReplyError(ERRORS.hashNotInteger);
  const next = current + increment;
  if (outOfInt64(next)) throw new EmbeddedReplyError(ERRORS.overflow);
  ks.hashForWrite(key).set(field, next.toString());
  return Number(next);
}

export function hexists(ks: Keyspace, args: Args): Reply {
  return ks.hash(arg(args, 1))?.has(arg(args, 2)) ? 1 : 0;
}

export function hkeys(ks: Keyspace, args: Args): Reply {
  return [...(ks.hash(arg(args, 1))?.keys() ?? [])];
}

export function hvals(ks: Keyspace, args: Args): Reply {
  return [...(ks.hash(arg(args, 1))?.values() ?? [])];
}

export function hgetall(ks: Keyspace, args: Args): Reply {
  return [...(ks.hash(arg(args, 1))?.entries() ?? [])].flat();
}

export function hlen(ks: Keyspace, args: Args): Reply {
  return ks.hash(arg(args, 1))?.size ?? 0;
}
