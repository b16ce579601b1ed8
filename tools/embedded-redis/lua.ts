// Redis's Lua scripting environment, on a Lua VM from npm: the one adapter
// between Lua and the engine (KEYS/ARGV, redis.*, cjson, reply conversions).
//
// WHICH VM, AND WHY. Redis runs Lua 5.1, where every number is a double.
// Two VMs were tried on the same snippets against redis-server 7.0.15:
//
//   snippet                                   redis          fengari 0.1.5     wasmoon 1.16 (Lua 5.4)
//   tostring(tonumber('1700000000') * 1000)   1700000000000  -807049216        1700000000000
//   string.format('%.17g', 0.1)               0.1000...01    0.1               0.1000...01
//   tostring(1e15), tostring(1e-5)            1e+15 1e-05    1000000000000000  1e+15 1e-05
//   tostring(6/2), 'x' .. 6/2                 3, x3          3.0, x3.0         3.0, x3.0
//
// fengari (Lua 5.3 in JavaScript) wraps integers at 32 bits, so millisecond
// timestamps (1.8e12, the admission scripts' `now`) overflow silently, and
// its number formatting is JavaScript's, not C's. wasmoon is the reference C
// implementation of Lua 5.4 in WebAssembly: 64-bit integers, C printf. Its one
// visible difference for these scripts, "3.0" for integral floats, is removed
// by a one-constant patch of the binary (lua-vm.ts). It is chosen. Its async
// loading is done once, at module load (top-level await), so every call after
// that is synchronous, as a Redis script is.
//
// WHAT THIS ADAPTER DOES TO MAKE 5.4 BEHAVE AS 5.1 (lua-setup.ts): numbers
// passed in (ARGV are strings; replies, cjson) are floats, and tonumber,
// math.floor/ceil/fmod return floats, so arithmetic is double arithmetic as in
// 5.1; tonumber also reads "inf"/"nan"/"-0" as strtod does; string.format
// truncates non-integral numbers for %d/%x/%c as 5.1 does; unpack,
// table.getn/maxn, math.pow/mod/log10/atan2/ldexp and string.gfind exist;
// 5.4-only functions (math.type, table.pack/move, string.pack, utf8, ...) do
// not; pcall, the globals protection, read-only libraries, the error handler
// and the error texts are Redis's, type errors reworded to 5.1's form.
//
// DIFFERENCES THAT REMAIN, and why the project's scripts cannot observe them
// (test/node/embedded-redis.test.ts pins each one):
// - Integer literals and lengths (`10`, `#t`) are 64-bit integers in 5.4. They
//   print like doubles below 1e14 (from there 5.1 writes "1.2345678901234e+14",
//   5.4 all the digits), and `%` by an integer zero raises instead of giving
//   nan. The scripts' literals are small constants; they never use `%`.
// - `%` on floats is fmod-based in 5.4, a - floor(a/b)*b in 5.1: equal for
//   integral values, may differ in the last bit otherwise. Not used.
// - Library functions taking integers (string.rep/sub/char, table.insert,
//   select...) raise "number has no integer representation" for a fraction
//   where 5.1 truncates: an error, never a wrong value. The scripts pass them
//   integral values only. string.format("%q", number) writes a Lua literal.
// - Redis's libraries bit, struct, cmsgpack and the functions load,
//   loadstring, getfenv, setfenv, newproxy, math.frexp/cosh/sinh/tanh are
//   absent: using one is a "nonexistent global" or "attempt to call a nil
//   value" error here. math.random is 5.4's generator, not Redis's. Unused.
// - Wording of syntax errors, of arithmetic on a non-numeric string (5.4:
//   "attempt to add a 'string' with a 'number'") and of cjson.decode errors;
//   the key order of cjson.encode'd objects (see cjson.ts). rawset() on a
//   script's global table succeeds for that run, where Redis refuses it.
// - RESP3 (redis.setresp(3)) and the RESP3 reply tables ({map=}, {set=},
//   {double=}, {big_number=}) are refused with an explicit error.

import { type Exec, GLOBAL_INDEX, NATIVE, sha1hex, withCommands } from "./lua-native.ts";
import { scriptError, toReply } from "./lua-replies.ts";
import { SETUP_CHUNK, SETUP_LUA } from "./lua-setup.ts";
import { api, bytesIn, cString, LUA, pushBytes, readBytes, type State, setField } from "./lua-vm.ts";
import { EmbeddedReplyError, type Reply } from "./reply.ts";

export { type Exec, sha1hex } from "./lua-native.ts";

/** Frees the Lua state of an engine dropped without close() (tests make many). */
const unclosed = new FinalizationRegistry<State>((L) => api._lua_close(L));

/** One Lua state with Redis's environment and a script cache, like a Redis server's. */
export class LuaScripts {
  readonly #L: State;
  #closed = false;
  readonly #handler: number;
  readonly #envMeta: number;
  readonly #scripts = new Map<string, number>();

  constructor() {
    const L = api._luaL_newstate();
    this.#L = L;
    unclosed.register(this, L, this);
    api._luaL_openlibs(L);
    const setup = SETUP_LUA;
    if (api._luaL_loadbufferx(L, bytesIn(setup), setup.length, cString(SETUP_CHUNK), cString("t")) !== LUA.OK) {
      throw new Error(`embedded-redis: setup does not compile: ${readBytes(L, -1)}`);
    }
    api._lua_createtable(L, 0, 16);
    for (const [name, pointer] of Object.entries(NATIVE)) {
      api._lua_pushcclosure(L, pointer, 0);
      setField(L, -2, name);
    }
    api._lua_pushlightuserdata(L, 0);
    setField(L, -2, "null");
    if (api._lua_pcallk(L, 1, 2, 0, 0, 0) !== LUA.OK)
      throw new Error(`embedded-redis: setup failed: ${readBytes(L, -1)}`);
    this.#handler = api._luaL_ref(L, LUA.REGISTRYINDEX);
    // Stack: globals. The metatable of every script's global table:
    api._lua_createtable(L, 0, 3);
    api._lua_pushvalue(L, 1);
    api._lua_pushcclosure(L, GLOBAL_INDEX, 1);
    setField(L, -2, "__index");
    api._lua_pushcclosure(L, NATIVE.readonly, 0);
    setField(L, -2, "__newindex");
    api._lua_pushboolean(L, 0);
    setField(L, -2, "__metatable");
    this.#envMeta = api._luaL_ref(L, LUA.REGISTRYINDEX);
    api._lua_settop(L, 0);
    selfCheck(this);
  }

  /** SCRIPT LOAD: compiles (once) and returns the SHA1; a compile error is Redis's error reply. */
  load(body: string): string {
    const sha = sha1hex(body);
    if (this.#scripts.has(sha)) return sha;
    const L = this.#L;
    if (api._luaL_loadbufferx(L, bytesIn(body), body.length, cString("@user_script"), cString("t")) !== LUA.OK) {
      const message = readBytes(L, -1);
      api._lua_settop(L, 0);
      throw new EmbeddedReplyError(`ERR Error compiling script (new function): ${message}`);
    }
    this.#scripts.set(sha, api._luaL_ref(L, LUA.REGISTRYINDEX));
    return sha;
  }

  has(sha: string): boolean {
    return this.#scripts.has(sha.toLowerCase());
  }

  /** SCRIPT FLUSH */
  flush(): void {
    for (const ref of this.#scripts.values()) api._luaL_unref(this.#L, LUA.REGISTRYINDEX, ref);
    this.#scripts.clear();
  }

  /** Frees the Lua state; the object is unusable afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unclosed.unregister(this);
    api._lua_close(this.#L);
  }

  /**
   * Runs a loaded script with KEYS and ARGV (byte strings), its redis.call
   * going to `exec`. Returns its reply; a script error or an error reply
   * throws EmbeddedReplyError with Redis's message.
   */
  run(sha: string, keys: readonly string[], argv: readonly string[], exec: Exec): Reply {
    const ref = this.#scripts.get(sha.toLowerCase());
    if (ref === undefined) throw new EmbeddedReplyError("NOSCRIPT No matching script. Please use EVAL.");
    const L = this.#L;
    api._lua_settop(L, 0);
    api._lua_rawgeti(L, LUA.REGISTRYINDEX, BigInt(this.#handler));
    api._lua_rawgeti(L, LUA.REGISTRYINDEX, BigInt(ref));
    // A fresh global table per run, so nothing a script does to it outlives the run.
    api._lua_createtable(L, 0, 2);
    for (const [name, values] of [
      ["KEYS", keys],
      ["ARGV", argv],
    ] as const) {
      api._lua_createtable(L, values.length, 0);
      values.forEach((value, i) => {
        pushBytes(L, value);
        api._lua_rawseti(L, -2, BigInt(i + 1));
      });
      setField(L, 3, name);
    }
    api._lua_rawgeti(L, LUA.REGISTRYINDEX, BigInt(this.#envMeta));
    api._lua_setmetatable(L, 3);
    api._lua_setupvalue(L, 2, 1);
    const status = withCommands(exec, () => api._lua_pcallk(L, 0, 1, 1, 0, 0));
    try {
      if (status !== LUA.OK) throw scriptError(L, sha);
      const reply = toReply(L, -1);
      if (reply !== null && typeof reply === "object" && "error" in reply) throw new EmbeddedReplyError(reply.error);
      return reply;
    } finally {
      api._lua_settop(L, 0);
    }
  }
}

/** Fails loudly if the float-format patch (lua-vm.ts) did not take, rather than let "3.0" leak into keys. */
function selfCheck(scripts: LuaScripts): void {
  const probe = "return tostring(6/2) .. ' ' .. (2^53) .. ' ' .. 0.1";
  const sha = scripts.load(probe);
  const got = scripts.run(sha, [], [], () => null);
  scripts.flush();
  if (got !== "3 9.007199254741e+15 0.1") {
    throw new Error(`embedded-redis: Lua does not format numbers as Lua 5.1 (got ${JSON.stringify(got)})`);
  }
}
