// Bit commands as Redis 7.0 parses and answers them (bitops.c): the offset
// first, then the bit, then the key's type, so the same bad call gets the
// same error. A string is a byte string (reply.ts); bit 0 is the most
// significant bit of its first byte, and SETBIT grows it with zero bytes.

import type { Args } from "./key-commands.ts";
import type { Keyspace } from "./keyspace.ts";
import { parseInteger } from "./numbers.ts";
import { EmbeddedReplyError } from "./reply.ts";

const OFFSET_ERROR = "ERR bit offset is not an integer or out of range";
const BIT_ERROR = "ERR bit is not an integer or out of range";
/** proto-max-bulk-len's default (512 MB) in bits: the first offset Redis refuses. */
const MAX_OFFSET = 2 ** 32;

function offsetArg(text: string): number {
  const value = parseInteger(text);
  if (value === null || value < 0n || value >= BigInt(MAX_OFFSET)) throw new EmbeddedReplyError(OFFSET_ERROR);
  return Number(value);
}

function bitOf(bytes: string, offset: number): 0 | 1 {
  const byte = bytes.charCodeAt(offset >> 3);
  return Number.isNaN(byte) ? 0 : ((byte >> (7 - (offset & 7))) & 1) === 1 ? 1 : 0;
}

/** SETBIT key offset 0|1: the bit's previous value; the key keeps its expiry. */
export function setbit(ks: Keyspace, args: Args): number {
  const offset = offsetArg(args[2] ?? "");
  const on = parseInteger(args[3] ?? "");
  if (on === null || (on !== 0n && on !== 1n)) throw new EmbeddedReplyError(BIT_ERROR);
  const key = args[1] ?? "";
  let bytes = ks.string(key) ?? "";
  const index = offset >> 3;
  if (bytes.length <= index) bytes += "\0".repeat(index + 1 - bytes.length);
  const previous = bitOf(bytes, offset);
  const mask = 1 << (7 - (offset & 7));
  const byte = bytes.charCodeAt(index);
  const next = on === 1n ? byte | mask : byte & ~mask;
  ks.setString(key, bytes.slice(0, index) + String.fromCharCode(next) + bytes.slice(index + 1), true);
  return previous;
}

/** GETBIT key offset: 0 past the end of the string or for a missing key. */
export function getbit(ks: Keyspace, args: Args): number {
  const offset = offsetArg(args[2] ?? "");
  return bitOf(ks.string(args[1] ?? "") ?? "", offset);
}
