// The functions scripts call that are written in JavaScript: redis.call and
// redis.pcall (into the engine's commands), redis.sha1hex/log/setresp/
// set_repl, cjson, and the guards of the globals (lua-setup.ts receives them
// as `native`). Errors are raised as Redis raises them: {err = "..."} tables
// from redis.*, positioned messages otherwise.

import { createHash } from "node:crypto";
import { decode, encode } from "./cjson.ts";
import { pushReply } from "./lua-replies.ts";
import {
  api,
  cfunction,
  LUA,
  LuaRaise,
  LuaRaiseValue,
  numberAt,
  pushBytes,
  readBytes,
  readNumber,
  type State,
  setField,
  upvalueIndex,
} from "./lua-vm.ts";
import { formatG } from "./numbers.ts";
import { EmbeddedReplyError, type Reply } from "./reply.ts";

/** Runs one Redis command for a script (byte strings in and out); throws EmbeddedReplyError on an error reply. */
export type Exec = (args: string[]) => Reply;

/** The command runner of the script now running; JavaScript is single-threaded and scripts do not nest. */
let running: Exec | undefined;

/** Runs `body` (a script) with redis.call going to `exec`. */
export function withCommands<T>(exec: Exec, body: () => T): T {
  const previous = running;
  running = exec;
  try {
    return body();
  } finally {
    running = previous;
  }
}

export function sha1hex(bytes: string): string {
  return createHash("sha1").update(Buffer.from(bytes, "latin1")).digest("hex");
}

/** Redis's luaPushError result: a table {err = message}, raised by redis.call, returned by redis.pcall. */
function errorTable(message: string, fromCommand: boolean): (L: State) => void {
  return (L) => {
    api._lua_createtable(L, 0, 2);
    pushBytes(L, message.replace(/^[\r\n]+|[\r\n]+$/g, ""));
    setField(L, -2, "err");
    if (fromCommand) {
      api._lua_pushboolean(L, 1);
      setField(L, -2, "ignore_error_stats_update");
    }
  };
}

function redisCommand(raise: boolean) {
  return (L: State): number => {
    const fail = (message: string, fromCommand = false): number => {
      const push = errorTable(message, fromCommand);
      if (raise) throw new LuaRaiseValue(push);
      api._lua_settop(L, 0);
      push(L);
      return 1;
    };
    const exec = running;
    if (!exec) return fail("ERR redis.call/pcall can only be called inside a script invocation");
    const count = api._lua_gettop(L);
    if (count === 0) return fail("ERR Please specify at least one argument for this redis lib call");
    const args: string[] = [];
    for (let i = 1; i <= count; i++) {
      const type = api._lua_type(L, i);
      // Redis 7.0 writes a number argument with "%.17g": integral values without a point, others exactly.
      if (type === LUA.TNUMBER) args.push(formatG(readNumber(L, i), 17));
      else if (type === LUA.TSTRING) args.push(readBytes(L, i));
      else return fail("ERR Lua redis lib command arguments must be strings or integers");
    }
    api._lua_settop(L, 0);
    let reply: Reply;
    try {
      reply = exec(args);
    } catch (error) {
      if (error instanceof EmbeddedReplyError) return fail(error.message, true);
      throw error;
    }
    pushReply(L, reply);
    return 1;
  };
}

function raiseRedisError(message: string): never {
  throw new LuaRaiseValue(errorTable(message, false));
}

/**
 * A C function calling the Lua function in its upvalue. The adapter's Lua
 * wrappers are exposed through one each, so they behave like the C functions
 * they stand in for: a script's `return tonumber(x)` is then not a Lua tail
 * call, which would erase the script's frame and the line Redis reports.
 */
const TRAMPOLINE = cfunction((L) => {
  const count = api._lua_gettop(L);
  api._lua_pushvalue(L, upvalueIndex(1));
  api._lua_rotate(L, 1, 1);
  api._lua_callk(L, count, LUA.MULTRET, 0, 0);
  return api._lua_gettop(L);
});

export const NATIVE = {
  call: cfunction(redisCommand(true)),
  pcall: cfunction(redisCommand(false)),
  sha1hex: cfunction((L) => {
    if (api._lua_gettop(L) !== 1) raiseRedisError("ERR wrong number of arguments");
    const type = api._lua_type(L, 1);
    pushBytes(L, sha1hex(type === LUA.TSTRING || type === LUA.TNUMBER ? readBytes(L, 1) : ""));
    return 1;
  }),
  log: cfunction((L) => {
    if (api._lua_gettop(L) < 2) raiseRedisError("ERR redis.log() requires two arguments or more.");
    const level = numberAt(L, 1);
    if (level === undefined) raiseRedisError("ERR First argument must be a number (log level).");
    if (!(Math.trunc(level) >= 0 && Math.trunc(level) <= 3)) raiseRedisError("ERR Invalid debug level.");
    return 0; // Nothing is logged: the dev server has no Redis log.
  }),
  setresp: cfunction((L) => {
    if (api._lua_gettop(L) !== 1) raiseRedisError("ERR redis.setresp() requires one argument.");
    const resp = Math.trunc(readNumber(L, 1));
    if (resp !== 2 && resp !== 3) raiseRedisError("ERR RESP version must be 2 or 3.");
    if (resp === 3) raiseRedisError("ERR embedded-redis: RESP3 (redis.setresp(3)) is not emulated");
    return 0;
  }),
  set_repl: cfunction((L) => {
    if (api._lua_gettop(L) !== 1) raiseRedisError("ERR redis.set_repl() requires two arguments.");
    if ((Math.trunc(readNumber(L, 1)) & ~3) !== 0) {
      raiseRedisError("ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    }
    return 0;
  }),
  encode: cfunction(encode),
  decode: cfunction(decode),
  nan: cfunction((L) => {
    api._lua_pushnumber(L, Number.NaN);
    return 1;
  }),
  readonly: cfunction(() => {
    throw new LuaRaise("Attempt to modify a readonly table");
  }),
  lift: cfunction((L) => {
    api._lua_settop(L, 1);
    api._lua_pushcclosure(L, TRAMPOLINE, 1);
    return 1;
  }),
};

/** __index of a script's globals: the allowed globals (upvalue 1), `_G` is the view itself, anything else an error. */
export const GLOBAL_INDEX = cfunction((L) => {
  const keyType = api._lua_type(L, 2);
  if (keyType === LUA.TSTRING && readBytes(L, 2) === "_G") {
    api._lua_pushvalue(L, 1);
    return 1;
  }
  api._lua_pushvalue(L, 2);
  if (api._lua_rawget(L, upvalueIndex(1)) !== LUA.TNIL) return 1;
  if (keyType !== LUA.TSTRING && keyType !== LUA.TNUMBER) {
    throw new LuaRaise("Second argument to luaProtectedTableError must be a string or number");
  }
  throw new LuaRaise(`Script attempted to access nonexistent global variable '${readBytes(L, 2)}'`);
});
