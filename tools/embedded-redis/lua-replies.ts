// Values between Redis and Lua, converted as Redis 7.0 converts them
// (script_lua.c): a reply handed to a script (redisProtocolToLuaType), a
// script's return value (luaReplyToRedisReply) and a failed script's error
// (luaCallFunction). All strings are byte strings.

import {
  absolute,
  api,
  getField,
  LUA,
  LuaRaise,
  pushBytes,
  readBytes,
  readNumber,
  type State,
  setField,
} from "./lua-vm.ts";
import { EmbeddedReplyError, type Reply } from "./reply.ts";

/** Pushes a Redis reply as Redis hands it to Lua: nil -> false, status -> {ok=}, error -> {err=}. */
export function pushReply(L: State, reply: Reply): void {
  if (!api._lua_checkstack(L, 4)) throw new LuaRaise("reached lua stack limit");
  if (typeof reply === "number") api._lua_pushnumber(L, reply);
  else if (typeof reply === "string") pushBytes(L, reply);
  else if (reply === null) api._lua_pushboolean(L, 0);
  else if (Array.isArray(reply)) {
    api._lua_createtable(L, reply.length, 0);
    reply.forEach((item, i) => {
      pushReply(L, item);
      api._lua_rawseti(L, -2, BigInt(i + 1));
    });
  } else {
    api._lua_createtable(L, 0, 1);
    pushBytes(L, "status" in reply ? reply.status : reply.error);
    setField(L, -2, "status" in reply ? "ok" : "err");
  }
}

/** C's (long long) cast as x86 does it: toward zero; NaN and out of range become INT64_MIN. */
function truncate(n: number): number {
  if (Number.isNaN(n) || n >= 2 ** 63 || n < -(2 ** 63)) return -(2 ** 63);
  return Math.trunc(n) || 0;
}

/** Converts the Lua value at index into a reply, as Redis converts a script's return value. */
export function toReply(L: State, index: number): Reply {
  const at = absolute(L, index);
  switch (api._lua_type(L, at)) {
    case LUA.TSTRING:
      return readBytes(L, at);
    case LUA.TBOOLEAN:
      return api._lua_toboolean(L, at) ? 1 : null;
    case LUA.TNUMBER:
      return truncate(readNumber(L, at));
    case LUA.TTABLE:
      return tableReply(L, at);
    default:
      return null;
  }
}

function tableReply(L: State, at: number): Reply {
  if (!api._lua_checkstack(L, 4)) throw new EmbeddedReplyError("ERR reached lua stack limit");
  const field = (name: string): string | undefined => {
    const type = getField(L, at, name);
    const value = type === LUA.TSTRING ? readBytes(L, -1) : undefined;
    api._lua_settop(L, -2);
    return value;
  };
  const error = field("err");
  if (error !== undefined) return { error };
  const status = field("ok");
  if (status !== undefined) return { status: status.replace(/[\r\n]/g, " ") };
  for (const resp3 of ["double", "big_number", "verbatim_string", "map", "set"]) {
    const type = getField(L, at, resp3);
    api._lua_settop(L, -2);
    if (type !== LUA.TNIL)
      throw new EmbeddedReplyError(`ERR embedded-redis: the RESP3 reply {${resp3}=...} is not emulated`);
  }
  const items: Reply[] = [];
  for (let i = 1; api._lua_rawgeti(L, at, BigInt(i)) !== LUA.TNIL; i++) {
    items.push(toReply(L, -1));
    api._lua_settop(L, -2);
  }
  api._lua_settop(L, -2);
  return items;
}

/** The error reply for a failed script (luaCallFunction): "<err> script: <sha>, on <source>:<line>." */
export function scriptError(L: State, sha: string): EmbeddedReplyError {
  if (api._lua_type(L, -1) !== LUA.TTABLE) {
    const message = api._lua_type(L, -1) === LUA.TSTRING ? readBytes(L, -1) : "execution failure";
    return new EmbeddedReplyError(`ERR Error running script ${sha}, ${message.slice(0, 100)} `);
  }
  const text = (name: string): string | undefined => {
    const type = getField(L, -1, name);
    const value = type === LUA.TSTRING || type === LUA.TNUMBER ? readBytes(L, -1) : undefined;
    api._lua_settop(L, -2);
    return value;
  };
  const message = text("err") ?? "ERR unknown error";
  const source = text("source");
  const line = text("line");
  return new EmbeddedReplyError(
    source !== undefined && line !== undefined ? `${message} script: ${sha}, on ${source}:${line}.` : message,
  );
}
