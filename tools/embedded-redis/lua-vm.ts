// Loads the Lua VM (wasmoon: the reference Lua 5.4 C implementation compiled
// to WebAssembly; see lua.ts for why this VM) and exposes the slice of its C
// API the adapter uses, with byte-exact strings in both directions.
//
// wasmoon's own JavaScript bridge converts values its own way (tables to
// objects, strings through UTF-8); Redis semantics need the raw C API, which
// the emscripten module exports as `_lua_*` functions. Pointers and states
// are numbers; lua_Integer parameters are 64-bit, so they take BigInts.
//
// One patch is applied to the WebAssembly binary before it is instantiated:
// Lua 5.4 writes an integral float as "3.0" (`tostring(6/2)`, `'x' .. 6/2`)
// where Lua 5.1, the Lua of Redis, writes "3". The decision is one line of
// lobject.c, `if (buff[strspn(buff, "-0123456789")] == '\0')` append ".0";
// blanking that constant (it occurs once in the binary) makes strspn count
// nothing, so the ".0" is never appended and floats print with "%.14g"
// alone, exactly as in 5.1. A self-check after loading fails loudly if a
// different wasmoon build no longer matches.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LuaWasm } from "wasmoon";

export type State = number;
export type CFunction = (L: State) => number;

/** The C API functions used, as emscripten exports them. */
export interface LuaApi {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  addFunction(fn: CFunction, signature: "ii"): number;
  _luaL_newstate(): State;
  _luaL_openlibs(L: State): void;
  _lua_close(L: State): void;
  _luaL_loadbufferx(L: State, buffer: number, size: number, name: number, mode: number): number;
  _lua_pcallk(L: State, nargs: number, nresults: number, handler: number, ctx: number, k: number): number;
  _lua_error(L: State): number;
  _luaL_where(L: State, level: number): void;
  _lua_checkstack(L: State, n: number): number;
  _lua_gettop(L: State): number;
  _lua_settop(L: State, index: number): void;
  _lua_pushvalue(L: State, index: number): void;
  _lua_rotate(L: State, index: number, n: number): void;
  _lua_callk(L: State, nargs: number, nresults: number, ctx: number, k: number): void;
  _lua_type(L: State, index: number): number;
  _lua_toboolean(L: State, index: number): number;
  _lua_tonumberx(L: State, index: number, isNumber: number): number;
  _lua_tolstring(L: State, index: number, length: number): number;
  _lua_touserdata(L: State, index: number): number;
  _lua_pushnil(L: State): void;
  _lua_pushnumber(L: State, n: number): void;
  _lua_pushboolean(L: State, b: number): void;
  _lua_pushlstring(L: State, s: number, length: number): number;
  _lua_pushcclosure(L: State, fn: number, upvalues: number): void;
  _lua_pushlightuserdata(L: State, p: number): void;
  _lua_createtable(L: State, narr: number, nrec: number): void;
  _lua_rawget(L: State, index: number): number;
  _lua_rawset(L: State, index: number): void;
  _lua_rawgeti(L: State, index: number, n: bigint): number;
  _lua_rawseti(L: State, index: number, n: bigint): void;
  _lua_next(L: State, index: number): number;
  _lua_setmetatable(L: State, index: number): number;
  _lua_setupvalue(L: State, funcIndex: number, n: number): number;
  _luaL_ref(L: State, table: number): number;
  _luaL_unref(L: State, table: number, ref: number): void;
}

export const LUA = {
  OK: 0,
  MULTRET: -1,
  REGISTRYINDEX: -1001000,
  TNIL: 0,
  TBOOLEAN: 1,
  TLIGHTUSERDATA: 2,
  TNUMBER: 3,
  TSTRING: 4,
  TTABLE: 5,
} as const;

/** Pseudo-index of a C closure's upvalue i (1-based). */
export function upvalueIndex(i: number): number {
  return LUA.REGISTRYINDEX - i;
}

/** The wasm binary with the one-constant patch, written once to the temp folder (emscripten loads from a path). */
function patchedWasmPath(): string {
  const original = readFileSync(createRequire(import.meta.url).resolve("wasmoon/dist/glue.wasm"));
  const needle = Buffer.from("-0123456789\0", "latin1");
  const at = original.indexOf(needle);
  if (at < 0 || original.indexOf(needle, at + 1) >= 0) {
    throw new Error("embedded-redis: this wasmoon build lacks the one float-format constant lua-vm.ts patches");
  }
  const patched = Buffer.from(original);
  patched.fill(0, at, at + needle.length - 1);
  const digest = createHash("sha256").update(patched).digest("hex").slice(0, 16);
  const path = join(tmpdir(), `anteroom-embedded-redis-lua-${digest}.wasm`);
  if (!existsSync(path)) {
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, patched);
    renameSync(partial, path);
  }
  return path;
}

const wasm = await LuaWasm.initialize(patchedWasmPath());
/** The C API of the one loaded VM; every engine creates its own lua_State in it. */
export const api = wasm.module as unknown as LuaApi;

const lengthSlot = api._malloc(8);
const flagSlot = api._malloc(4);
let scratch = { pointer: api._malloc(256), size: 256 };
const cStrings = new Map<string, number>();

/** A NUL-terminated copy of an ASCII constant (field names, chunk names), kept for the process's life. */
export function cString(text: string): number {
  let pointer = cStrings.get(text);
  if (pointer === undefined) {
    pointer = api._malloc(text.length + 1);
    Buffer.from(api.HEAPU8.buffer, pointer, text.length + 1).write(`${text}\0`, "latin1");
    cStrings.set(text, pointer);
  }
  return pointer;
}

/** Copies a byte string into wasm memory; the pointer is valid until the next call. */
export function bytesIn(bytes: string): number {
  if (bytes.length > scratch.size) {
    api._free(scratch.pointer);
    const size = Math.max(bytes.length, scratch.size * 2);
    scratch = { pointer: api._malloc(size), size };
  }
  Buffer.from(api.HEAPU8.buffer, scratch.pointer, bytes.length).write(bytes, "latin1");
  return scratch.pointer;
}

export function pushBytes(L: State, bytes: string): void {
  api._lua_pushlstring(L, bytesIn(bytes), bytes.length);
}

/** The string (or number, converted in place as lua_tolstring does) at index, as a byte string. */
export function readBytes(L: State, index: number): string {
  const pointer = api._lua_tolstring(L, index, lengthSlot);
  if (pointer === 0) return "";
  const length = api.HEAPU32[lengthSlot >> 2] ?? 0;
  return Buffer.from(api.HEAPU8.buffer, pointer, length).toString("latin1");
}

export function readNumber(L: State, index: number): number {
  return api._lua_tonumberx(L, index, 0);
}

/** The number at index (or the number a string there reads as), else undefined: lua_isnumber + lua_tonumber. */
export function numberAt(L: State, index: number): number | undefined {
  const value = api._lua_tonumberx(L, index, flagSlot);
  return api.HEAPU32[flagSlot >> 2] ? value : undefined;
}

/** An index that stays valid while values are pushed. */
export function absolute(L: State, index: number): number {
  return index < 0 && index > LUA.REGISTRYINDEX ? api._lua_gettop(L) + index + 1 : index;
}

/** Pops the value on top into t[key] of the table at index (raw, no metamethods). */
export function setField(L: State, index: number, key: string): void {
  const table = absolute(L, index);
  pushBytes(L, key);
  api._lua_pushvalue(L, -2);
  api._lua_rawset(L, table);
  api._lua_settop(L, -2);
}

/** Pushes t[key] of the table at index (raw) and returns its type. */
export function getField(L: State, index: number, key: string): number {
  const table = absolute(L, index);
  pushBytes(L, key);
  return api._lua_rawget(L, table);
}

/** Thrown in a C function's body: a Lua error with this message, after the caller's position as luaL_error writes it. */
export class LuaRaise extends Error {}

/** Thrown in a C function's body: raises whatever `push` leaves on the stack (Redis raises {err=...} tables). */
export class LuaRaiseValue extends Error {
  readonly push: (L: State) => void;
  constructor(push: (L: State) => void) {
    super("Lua error value");
    this.push = push;
  }
}

/**
 * A JavaScript function callable from Lua. Errors thrown by the body become
 * Lua errors (never JavaScript exceptions crossing the VM, which would leave
 * its state half-unwound); a Lua error raised by an API call inside the body
 * unwinds through here untouched (emscripten throws a non-Error for it).
 */
export function cfunction(body: CFunction): number {
  return api.addFunction((L: State) => {
    let raise: (L: State) => void;
    try {
      return body(L);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      raise = error instanceof LuaRaiseValue ? error.push : (state) => pushPositioned(state, describe(error));
    }
    raise(L);
    return api._lua_error(L);
  }, "ii");
}

function describe(error: Error): string {
  return error instanceof LuaRaise ? error.message : `embedded-redis internal error: ${error.stack ?? error.message}`;
}

/** Pushes "<chunk>:<line>: message" for the Lua code that called the running C function. */
function pushPositioned(L: State, message: string): void {
  api._luaL_where(L, 1);
  const where = readBytes(L, -1);
  api._lua_settop(L, -2);
  pushBytes(L, where + message);
}
