// cjson.encode / cjson.decode as Redis's bundled lua-cjson 2.1 behaves with
// its default settings: numbers written with "%.14g", "/" escaped as "\/",
// empty tables as "{}", arrays with holes as null (error when too sparse),
// JSON null decoded to cjson.null (lightuserdata NULL), numbers decoded as
// plain Lua numbers (doubles, like every Lua 5.1 number).
//
// Not reproduced (no project script depends on them): the order of keys in an
// encoded object (it follows the Lua table's internal order, which differs
// between Lua 5.1 and 5.4 anyway); decode accepting lua-cjson's extensions
// (hex, inf, nan numbers: rejected here); the wording of decode errors; the
// configuration functions (cjson.encode_sparse_array and friends are absent).

import { api, LUA, LuaRaise, pushBytes, readBytes, readNumber, type State } from "./lua-vm.ts";
import { formatG } from "./numbers.ts";
import { fromBytes, toBytes } from "./reply.ts";

const MAX_DEPTH = 1000;
const TYPE_NAMES = ["nil", "boolean", "userdata", "number", "string", "table", "function", "userdata", "thread"];

const ESCAPES: Record<number, string> = {
  8: "\\b",
  9: "\\t",
  10: "\\n",
  12: "\\f",
  13: "\\r",
  34: '\\"',
  47: "\\/",
  92: "\\\\",
};

function quote(bytes: string): string {
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes.charCodeAt(i);
    const special = ESCAPES[code];
    if (special) out += special;
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += bytes[i];
  }
  return `${out}"`;
}

function fail(L: State, index: number, reason: string): never {
  throw new LuaRaise(`Cannot serialise ${TYPE_NAMES[api._lua_type(L, index)] ?? "value"}: ${reason}`);
}

function number(L: State, index: number): string {
  const value = readNumber(L, index);
  if (!Number.isFinite(value)) fail(L, index, "must not be NaN or Inf");
  return formatG(value, 14);
}

/** lua-cjson's test: keys all integers >= 1 (then the highest), else -1 for an object. */
function arrayLength(L: State, table: number): number {
  let max = 0;
  let items = 0;
  api._lua_pushnil(L);
  while (api._lua_next(L, table) !== 0) {
    const key = api._lua_type(L, -2) === LUA.TNUMBER ? readNumber(L, -2) : 0;
    api._lua_settop(L, -2);
    if (key >= 1 && Math.floor(key) === key) {
      max = Math.max(max, key);
      items++;
    } else {
      api._lua_settop(L, -2);
      return -1;
    }
  }
  if (max > items * 2 && max > 10) fail(L, table, "excessively sparse array");
  return max;
}

/** The JSON text (bytes) of the value at an absolute stack index. */
function encodeAt(L: State, index: number, depth: number): string {
  switch (api._lua_type(L, index)) {
    case LUA.TSTRING:
      return quote(readBytes(L, index));
    case LUA.TNUMBER:
      return number(L, index);
    case LUA.TBOOLEAN:
      return api._lua_toboolean(L, index) ? "true" : "false";
    case LUA.TNIL:
      return "null";
    case LUA.TLIGHTUSERDATA:
      if (api._lua_touserdata(L, index) === 0) return "null";
      return fail(L, index, "type not supported");
    case LUA.TTABLE:
      return encodeTable(L, index, depth + 1);
    default:
      return fail(L, index, "type not supported");
  }
}

function encodeTable(L: State, table: number, depth: number): string {
  if (depth > MAX_DEPTH) throw new LuaRaise(`Cannot serialise, excessive nesting (${depth})`);
  if (!api._lua_checkstack(L, 4)) throw new LuaRaise("Cannot serialise, stack overflow");
  const length = arrayLength(L, table);
  const parts: string[] = [];
  if (length > 0) {
    for (let i = 1; i <= length; i++) {
      api._lua_rawgeti(L, table, BigInt(i));
      parts.push(encodeAt(L, api._lua_gettop(L), depth));
      api._lua_settop(L, -2);
    }
    return `[${parts.join(",")}]`;
  }
  api._lua_pushnil(L);
  while (api._lua_next(L, table) !== 0) {
    const top = api._lua_gettop(L);
    const keyType = api._lua_type(L, top - 1);
    if (keyType === LUA.TNUMBER) parts.push(`"${number(L, top - 1)}":${encodeAt(L, top, depth)}`);
    else if (keyType === LUA.TSTRING) parts.push(`${quote(readBytes(L, top - 1))}:${encodeAt(L, top, depth)}`);
    else fail(L, top - 1, "table key must be a number or string");
    api._lua_settop(L, -2);
  }
  return `{${parts.join(",")}}`;
}

/** cjson.encode(value) */
export function encode(L: State): number {
  if (api._lua_gettop(L) !== 1) throw new LuaRaise("bad argument #1 to 'encode' (expected one argument)");
  pushBytes(L, encodeAt(L, 1, 0));
  return 1;
}

function pushJson(L: State, value: unknown): void {
  if (!api._lua_checkstack(L, 4)) throw new LuaRaise("Found too many nested data structures");
  if (value === null) api._lua_pushlightuserdata(L, 0);
  else if (typeof value === "boolean") api._lua_pushboolean(L, value ? 1 : 0);
  else if (typeof value === "number") api._lua_pushnumber(L, value);
  else if (typeof value === "string") pushBytes(L, toBytes(value));
  else if (Array.isArray(value)) {
    api._lua_createtable(L, value.length, 0);
    value.forEach((item, i) => {
      pushJson(L, item);
      api._lua_rawseti(L, -2, BigInt(i + 1));
    });
  } else {
    const entries = Object.entries(value as Record<string, unknown>);
    api._lua_createtable(L, 0, entries.length);
    for (const [key, item] of entries) {
      pushBytes(L, toBytes(key));
      pushJson(L, item);
      api._lua_rawset(L, -3);
    }
  }
}

/** cjson.decode(text) */
export function decode(L: State): number {
  const type = api._lua_gettop(L) === 1 ? api._lua_type(L, 1) : LUA.TNIL;
  if (type !== LUA.TSTRING && type !== LUA.TNUMBER) {
    throw new LuaRaise("bad argument #1 to 'decode' (string expected)");
  }
  let value: unknown;
  try {
    value = JSON.parse(fromBytes(readBytes(L, 1)));
  } catch (error) {
    throw new LuaRaise(`Expected valid JSON: ${toBytes(error instanceof Error ? error.message : String(error))}`);
  }
  pushJson(L, value);
  return 1;
}
