// Differential tests of tools/embedded-redis: every command, Lua snippet and
// project script here runs on the suite's real redis-server (7.0) and on
// EmbeddedRedis, and the replies (and the keys left behind) must be identical.

import fc from "fast-check";
import { Redis, ReplyError } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EmbeddedRedis, EmbeddedReplyError, type Reply } from "../../tools/embedded-redis/embedded-redis.ts";
import { emptySample, encodeSample, withRequest } from "../../worker/model/origin-signal.ts";
import {
  autopilotKey,
  autopilotLogKey,
  clientsKey,
  eventSeqKey,
  eventsKey,
  frozenKey,
  historyKey,
  originKey,
  prequeueKey,
  roomKeys,
  settingsKey,
  stampsKey,
  stateKey,
} from "../../worker/store/keys.ts";
import { AUTOPILOT_READ_LUA } from "../../worker/store/lua/autopilot-read.ts";
import { CLAIM_LUA } from "../../worker/store/lua/claim.ts";
import { EVENTS_READ_LUA, EVENTS_WRITE_LUA } from "../../worker/store/lua/events.ts";
import { HISTORY_LUA } from "../../worker/store/lua/history.ts";
import { JOIN_LUA } from "../../worker/store/lua/join.ts";
import { SETTINGS_LUA } from "../../worker/store/lua/settings.ts";
import { TICK_LUA } from "../../worker/store/lua/tick.ts";
import { connectRedis } from "../../worker/store/redis.ts";

/** A reply both sides can be compared in: status replies are plain strings (ioredis cannot tell them apart). */
type Plain = number | string | null | { error: string } | Plain[];

let real: Redis;
let counter = 0;

beforeAll(async () => {
  // As the bridge connects: RESP2 replies, the shapes scripts and Upstash see.
  real = new Redis(inject("redisUrl"), { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0 });
  await real.connect();
});
afterAll(() => real.disconnect());

/** A key prefix of its own for each test: the server is shared, so nothing is ever flushed. */
function prefix(): string {
  counter += 1;
  return `er:${process.pid}:${Date.now()}:${counter}:`;
}

function plainReal(value: unknown): Plain {
  if (value instanceof ReplyError) return { error: (value as Error).message };
  if (Array.isArray(value)) return value.map(plainReal);
  return value as Plain;
}

function plainEmbedded(value: Reply): Plain {
  if (Array.isArray(value)) return value.map(plainEmbedded);
  if (value !== null && typeof value === "object") return "status" in value ? value.status : value;
  return value;
}

async function onReal(args: readonly string[]): Promise<Plain> {
  try {
    return plainReal(await real.call(args[0] ?? "", ...args.slice(1)));
  } catch (error) {
    if (error instanceof ReplyError) return { error: (error as Error).message };
    throw error;
  }
}

function onEmbedded(engine: EmbeddedRedis, args: readonly string[]): Plain {
  try {
    return plainEmbedded(engine.call(args));
  } catch (error) {
    if (error instanceof EmbeddedReplyError) return { error: error.message };
    throw error;
  }
}

/** PTTL counts down in real time on both sides: compare its kind (-2, -1 or "has one"), not the ms. */
function settle(args: readonly string[], reply: Plain): Plain {
  return args[0]?.toUpperCase() === "PTTL" && typeof reply === "number" && reply > 0 ? "ttl" : reply;
}

/** Runs one command on both and expects the same reply. */
async function both(engine: EmbeddedRedis, args: readonly string[]): Promise<Plain> {
  const expected = settle(args, await onReal(args));
  expect(settle(args, onEmbedded(engine, args)), JSON.stringify(args)).toEqual(expected);
  return expected;
}

/** Every key under the prefix with its type, value and whether it expires. */
async function dump(run: (args: readonly string[]) => Promise<Plain> | Plain, keyPrefix: string) {
  const keys = ((await run(["KEYS", `${keyPrefix}*`])) as string[]).sort();
  const out: unknown[] = [];
  for (const key of keys) {
    const type = await run(["TYPE", key]);
    const read = { string: ["GET", key], hash: ["HGETALL", key], zset: ["ZRANGE", key, "0", "-1", "WITHSCORES"] };
    const value = await run(read[type as keyof typeof read] ?? ["TYPE", key]);
    const pairs = type === "hash" ? pairUp(value as string[]).sort() : value;
    out.push([key, type, pairs, settle(["PTTL"], await run(["PTTL", key]))]);
  }
  return out;
}

function pairUp(flat: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(`${flat[i]}=${flat[i + 1]}`);
  return out;
}

describe("EmbeddedRedis against redis-server: commands", () => {
  it("answers fixed command cases, including errors, as Redis does", async () => {
    const p = prefix();
    const engine = new EmbeddedRedis();
    const cases: string[][] = [
      ["PING"],
      ["PING", "hi"],
      ["SET", `${p}s`, "1"],
      ["GET", `${p}s`],
      ["INCR", `${p}s`],
      ["SET", `${p}s`, "2", "NX"],
      ["SET", `${p}s`, "3", "XX", "GET"],
      ["SET", `${p}s`, "3", "NX", "XX"],
      ["SET", `${p}s`, "3", "EX", "0"],
      ["SET", `${p}s`, "3", "PX", "x"],
      ["SET", `${p}big`, "9223372036854775807"],
      ["INCR", `${p}big`],
      ["SET", `${p}bad`, "007"],
      ["INCR", `${p}bad`],
      ["HSET", `${p}h`, "a", "1", "b", "2"],
      ["HSET", `${p}h`, "a"],
      ["HSET", `${p}h`, "a", "1", "c"],
      ["HINCRBY", `${p}h`, "a", "5"],
      ["HINCRBY", `${p}h`, "a", "-9223372036854775808"],
      ["HINCRBY", `${p}h`, "a", "1.5"],
      ["HSET", `${p}h`, "x", "abc"],
      ["HINCRBY", `${p}h`, "x", "1"],
      ["HINCRBY", `${p}h`, "new", "-3"],
      ["HGETALL", `${p}h`],
      ["GET", `${p}h`],
      ["SETBIT", `${p}b`, "7", "1"],
      ["SETBIT", `${p}b`, "7", "1"],
      ["SETBIT", `${p}b`, "0", "1"],
      ["SETBIT", `${p}b`, "100", "1"],
      ["GETBIT", `${p}b`, "7"],
      ["GETBIT", `${p}b`, "6"],
      ["GETBIT", `${p}b`, "100000"],
      ["GETBIT", `${p}none`, "3"],
      ["SETBIT", `${p}b`, "100", "0"],
      ["GET", `${p}b`],
      ["SETBIT", `${p}b`, "-1", "1"],
      ["SETBIT", `${p}b`, "4294967296", "1"],
      ["SETBIT", `${p}b`, "x", "1"],
      ["SETBIT", `${p}b`, "1", "2"],
      ["SETBIT", `${p}b`, "1", "-1"],
      ["SETBIT", `${p}b`, "1", "x"],
      ["SETBIT", `${p}h`, "1", "1"],
      ["SETBIT", `${p}h`, "x", "1"],
      ["GETBIT", `${p}h`, "1"],
      ["GETBIT", `${p}b`, "007"],
      ["SETBIT", `${p}b`],
      ["SET", `${p}bs`, "123"],
      ["PEXPIRE", `${p}bs`, "100000"],
      ["SETBIT", `${p}bs`, "2", "0"],
      ["GET", `${p}bs`],
      ["PTTL", `${p}bs`],
      ["ZADD", `${p}h`, "1", "m"],
      ["ZADD", `${p}z`, "1", "b", "1", "a", "1", "B", "1", "", "0.5", "c", "-inf", "d", "+inf", "e"],
      ["ZADD", `${p}z`, "x", "y"],
      ["ZADD", `${p}z`, "1", "a", "2"],
      ["ZADD", `${p}z`, "NX", "XX", "1", "a"],
      ["ZADD", `${p}z`, "GT", "LT", "1", "a"],
      ["ZADD", `${p}z`, "INCR", "1", "a", "2", "b"],
      ["ZADD", `${p}z`, "INCR", "2.5", "a"],
      ["ZADD", `${p}z`, "CH", "GT", "0", "a", "5", "b", "7", "new"],
      ["ZADD", `${p}z`, "nan", "a"],
      ["ZADD", `${p}z`, "1e400", "a"],
      ["ZRANGE", `${p}z`, "0", "-1", "WITHSCORES"],
      ["ZRANGE", `${p}z`, "-3", "100"],
      ["ZRANGE", `${p}z`, "x", "1"],
      ["ZRANGEBYSCORE", `${p}z`, "(0.5", "(5", "WITHSCORES"],
      ["ZRANGEBYSCORE", `${p}z`, "-inf", "+inf", "LIMIT", "1", "2"],
      ["ZRANGEBYSCORE", `${p}z`, "-inf", "+inf", "LIMIT", "-1", "2"],
      ["ZRANGEBYSCORE", `${p}z`, "-inf", "+inf", "LIMIT", "0", "-1", "WITHSCORES"],
      ["ZRANGEBYSCORE", `${p}z`, "a", "1"],
      ["ZRANGEBYSCORE", `${p}z`, "0", "1", "LIMIT", "0"],
      ["ZCOUNT", `${p}z`, "(1", "+inf"],
      ["ZCOUNT", `${p}z`, " 1", "(3.5"],
      ["ZRANK", `${p}z`, "b"],
      ["ZRANK", `${p}z`, "nobody"],
      ["ZSCORE", `${p}z`, "c"],
      ["ZSCORE", `${p}z`, "e"],
      ["ZREMRANGEBYSCORE", `${p}z`, "(1", "3.5"],
      ["ZREM", `${p}z`, "a", "nobody", "c"],
      ["ZCARD", `${p}z`],
      ["TYPE", `${p}z`],
      ["TYPE", `${p}none`],
      ["EXISTS", `${p}s`, `${p}s`, `${p}none`],
      ["DEL", `${p}s`, `${p}none`],
      ["PEXPIRE", `${p}h`, "100000", "XX"],
      ["PEXPIRE", `${p}h`, "100000", "NX"],
      ["PEXPIRE", `${p}h`, "200000", "GT"],
      ["PEXPIRE", `${p}h`, "1", "NX", "GT"],
      ["PEXPIRE", `${p}h`, "x"],
      ["PTTL", `${p}h`],
      ["PTTL", `${p}z`],
      ["PTTL", `${p}none`],
      ["PEXPIRE", `${p}z`, "0"],
      ["EXISTS", `${p}z`],
      ["HGET"],
      ["NOSUCH", "a", "b"],
      ["EVALSHA", "0000000000000000000000000000000000000000", "0"],
      ["EVAL", "return 1", "2", "a"],
      ["EVAL", "return 1", "-1"],
      ["SCRIPT", "LOAD", "return 1"],
      ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0000000000000000000000000000000000000000"],
      ["SCRIPT", "NOSUCH"],
    ];
    for (const args of cases) await both(engine, args);
    expect(await dump((a) => onEmbedded(engine, a), p)).toEqual(await dump(onReal, p));
  });

  it("agrees with Redis on random command sequences (strings, bits, hashes, sorted sets, bad arguments)", async () => {
    const values = ["0", "1", "-1", "10", "007", "1.5", "abc", "", "9223372036854775807", "é", " 1", "+1", "1e3"];
    const scores = [
      "0",
      "1",
      "-1",
      "1.5",
      "(1",
      "(1.5",
      "-inf",
      "+inf",
      "inf",
      "1e400",
      "abc",
      "",
      " 1",
      "-0",
      "2.5e-3",
    ];
    const members = ["a", "b", "B", "aa", "", "é", "z\u00ff"];
    const fields = ["f", "g", "h"];
    const ranks = ["0", "1", "-1", "-2", "2", "10", "-10", "x"];
    const offsets = ["0", "1", "7", "8", "15", "100", "-1", "x", "4294967296"];
    const pick = <T>(items: readonly T[]) => fc.constantFrom(...items);
    const command = (p: string) => {
      const key = pick(["s", "h", "z", "x"].map((k) => p + k));
      return fc.oneof(
        fc.tuple(fc.constant("SET"), key, pick(values)),
        fc.tuple(pick(["GET", "INCR", "TYPE", "HKEYS", "HVALS", "HGETALL", "HLEN", "ZCARD", "PTTL"]), key),
        fc.tuple(pick(["DEL", "EXISTS"]), key, key),
        fc.tuple(fc.constant("HSET"), key, pick(fields), pick(values), pick(fields), pick(values)),
        fc.tuple(pick(["HGET", "HEXISTS"]), key, pick(fields)),
        fc.tuple(pick(["HMGET", "HDEL"]), key, pick(fields), pick(fields)),
        fc.tuple(fc.constant("HSETNX"), key, pick(fields), pick(values)),
        fc.tuple(fc.constant("HINCRBY"), key, pick(fields), pick(values)),
        fc.tuple(fc.constant("ZADD"), key, pick(scores), pick(members), pick(scores), pick(members)),
        fc.tuple(fc.constant("ZADD"), key, pick(["NX", "XX", "CH", "GT", "LT", "INCR"]), pick(scores), pick(members)),
        fc.tuple(pick(["ZREM", "ZRANK", "ZSCORE"]), key, pick(members)),
        fc.tuple(pick(["ZCOUNT", "ZREMRANGEBYSCORE"]), key, pick(scores), pick(scores)),
        fc.tuple(fc.constant("ZRANGE"), key, pick(ranks), pick(ranks), pick(["WITHSCORES", "withscores"])),
        fc.tuple(
          fc.constant("ZRANGEBYSCORE"),
          key,
          pick(scores),
          pick(scores),
          fc.constant("LIMIT"),
          pick(ranks),
          pick(ranks),
        ),
        fc.tuple(fc.constant("PEXPIRE"), key, pick(["100000", "0", "-5", "x"]), pick(["NX", "XX", "GT", "LT"])),
        fc.tuple(fc.constant("SETBIT"), key, pick(offsets), pick(["0", "1", "1", "2", "x"])),
        fc.tuple(fc.constant("GETBIT"), key, pick(offsets)),
      );
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 1 }), async ([seed]) => {
        const p = prefix();
        const engine = new EmbeddedRedis();
        const script = fc.sample(fc.array(command(p), { minLength: 20, maxLength: 40 }), {
          seed: seed ?? 0,
          numRuns: 1,
        })[0];
        for (const args of script ?? []) await both(engine, args as string[]);
        expect(await dump((a) => onEmbedded(engine, a), p)).toEqual(await dump(onReal, p));
        engine.close();
      }),
      { numRuns: 25 },
    );
  });

  it("matches KEYS patterns as Redis does", async () => {
    const p = prefix();
    const engine = new EmbeddedRedis();
    for (const name of ["a", "ab", "abc", "b", "[x]", "a*b", "é", "a\\b", "hello", "hallo", "hxllo"]) {
      await both(engine, ["SET", p + name, "1"]);
    }
    const patterns = [
      "*",
      "a*",
      "a?",
      "?",
      "[ab]*",
      "[^a]*",
      "[a-b]",
      "[b-a]",
      "\\[x\\]",
      "a\\*b",
      "h[ae]llo",
      "h[^e]llo",
      "*l*o",
      "[",
      "a[",
      "*\\*",
    ];
    for (const pattern of patterns) {
      const expected = ((await onReal(["KEYS", p + pattern])) as string[]).sort();
      expect((onEmbedded(engine, ["KEYS", p + pattern]) as string[]).sort(), pattern).toEqual(expected);
    }
  });

  it("expires keys as Redis does (PEXPIRE, PTTL, lazy removal)", async () => {
    const p = prefix();
    const engine = new EmbeddedRedis();
    for (const args of [
      ["SET", `${p}a`, "1"],
      ["HSET", `${p}b`, "f", "1"],
      ["ZADD", `${p}c`, "1", "m"],
      ["PEXPIRE", `${p}a`, "60"],
      ["PEXPIRE", `${p}b`, "60"],
      ["PEXPIRE", `${p}c`, "100000"],
      ["PEXPIRE", `${p}missing`, "60"],
      ["PTTL", `${p}a`],
      ["SET", `${p}d`, "1", "PX", "60"],
    ]) {
      await both(engine, args);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (const args of [
      ["EXISTS", `${p}a`, `${p}b`, `${p}c`, `${p}d`],
      ["PTTL", `${p}a`],
      ["HGET", `${p}b`, "f"],
      ["PTTL", `${p}c`],
    ]) {
      await both(engine, args);
    }
    // An injected clock drives expiry without waiting.
    let now = 1_000;
    const clocked = new EmbeddedRedis({ now: () => now });
    clocked.call(["SET", "k", "v"]);
    clocked.call(["PEXPIRE", "k", "100"]);
    now = 1_100;
    expect(clocked.call(["PTTL", "k"])).toBe(0);
    now = 1_101;
    expect(clocked.call(["GET", "k"])).toBeNull();
    expect(clocked.call(["KEYS", "*"])).toEqual([]);
  });
});

describe("EmbeddedRedis against redis-server: Lua", () => {
  const snippets: [string, ...string[]][] = [
    ["return {tostring(3.0), tostring(6/2), 'x' .. 6/2, 7/2 .. '', tostring(-0.0), tostring(1/3), tostring(2^53)}"],
    [
      "return {tostring(1e14), tostring(1e15), tostring(123456789012345.0), tostring(1e-5), tostring(1/0), tostring(-1/0)}",
    ],
    ["return {tostring(0/0), tostring(tonumber('nan')), tostring(tonumber('-inf')), tostring(tonumber('infinity'))}"],
    [
      "return {string.format('%.17g', 0.1), string.format('%.17g', 1/3), string.format('%.14g', 2^53), string.format('%.17g', 1800000000000 / 7)}",
    ],
    [
      "return string.format('%5.2f|%e|%g|%s|%d|%x|%5d|%c|%i', math.pi, 1e300, 1e-300, 1.5, 3.7, 255.5, -2.5, 65.9, -7.9)",
    ],
    ["return {10/4, tostring(10/4), -7/2, tostring(-7/2), 1e15 + 0.5, 2^53, -2^53, 3.99, -0.5}"],
    [
      "local now = tonumber(ARGV[1]) return {now, now + 1, tostring(now * 1000), now .. '', math.floor(now / 60000), tostring(now / 7), now - 600000 - math.min(60000, 120000 / 4) .. ''}",
      "1800000000123",
    ],
    [
      "local t = {'1800000000', '123456'} local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) return {tostring(now), now}",
    ],
    [
      "return {tostring(tonumber('0x10')), tostring(tonumber('  12  ')), tostring(tonumber('1e3')), tostring(tonumber('12abc')), tostring(tonumber('')), tostring(tonumber('10', 2)), tostring(tonumber('z', 36)), tostring(tonumber(' -0 '))}",
    ],
    [
      "return {cjson.encode({1, 2.5, 'a/b\"c\\\\', {x = 1}}), cjson.encode({}), cjson.encode({[1] = 1, [2] = 2, [4] = 4}), cjson.encode(0.1), cjson.encode(1e20), cjson.encode(3), cjson.encode(1/3)}",
    ],
    [
      "local v = cjson.decode(ARGV[1]) return {cjson.encode(v), tostring(v[1]), tostring(v[2]), tostring(v[3]), tostring(v[4]), type(v[5]), v[5] == cjson.null, v[6].k[1], v[6].k[2] == cjson.null}",
      '[1.5, 1e20, -0, 123456789012345678, null, {"k":["é\\n", null]}]',
    ],
    [
      "local a, b = pcall(cjson.encode, {1/0}) local c, d = pcall(cjson.decode, '[1,') return {tostring(a), b, tostring(c), type(d)}",
    ],
    ["return {unpack({1, 2, 3}, 2)}"],
    ["return select('#', unpack({1, nil, 3}, 1, 3))"],
    ["return {1, false, 2}"],
    ["return false"],
    ["return true"],
    ["return nil"],
    ["return {}"],
    ["return {1, 2, nil, 4}"],
    ["local t = {} t[1] = 1 t[3] = 3 return t"],
    ["return {1, {ok = 'x'}, {err = 'E nested'}, {'a', {'b'}}, 'é'}"],
    ["return {ok = 'OK'}"],
    ["return redis.status_reply('FINE')"],
    ["return redis.error_reply('MINE went wrong')"],
    ["return {redis.error_reply('xx'), redis.status_reply(1)}"],
    [
      "redis.call('SET', KEYS[1], 'v') return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]), type(redis.call('GET', KEYS[2])), redis.call('INCR', KEYS[3]), type(redis.call('SET', KEYS[1], 'w')), redis.call('SET', KEYS[1], 'w').ok, redis.call('TYPE', KEYS[1]).ok}",
      "@k1",
      "@k2",
      "@k3",
    ],
    [
      "for i, v in ipairs({0.1, 1800000000000, 1/3, -0.0, 1e20, 2^53 + 2, 7, 1e-7, 123.456}) do redis.call('HSET', KEYS[1], i, v) end return redis.call('HGETALL', KEYS[1])",
      "@h",
    ],
    [
      "redis.call('ZADD', KEYS[1], 1, 'b', 1, 'a', 1, 'A', 1, 'aa', 0.5, 'c', 2 + 1e-9, 'd') return {redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES'), redis.call('ZRANK', KEYS[1], 'aa'), redis.call('ZRANGEBYSCORE', KEYS[1], '(0.5', '(2', 'LIMIT', 1, 2), redis.call('ZCOUNT', KEYS[1], 1, '(' .. 2)}",
      "@z",
    ],
    [
      "return {redis.call('HINCRBY', KEYS[1], 'n', 5), redis.call('HINCRBY', KEYS[1], 'n', -7), redis.pcall('HINCRBY', KEYS[1], 'n', 1.5), redis.pcall('HINCRBY', KEYS[1], 'n', '9223372036854775807')}",
      "@h",
    ],
    [
      "return {redis.pcall('HSET', KEYS[1]), redis.pcall('NOSUCH'), redis.pcall(), redis.pcall('GET', {}), redis.pcall('GET', true)}",
      "@k",
    ],
    ["local ok, e = pcall(redis.call, 'NOSUCH') return {tostring(ok), type(e), e}"],
    ["local ok, e = pcall(error, {err = 'kept'}) return {tostring(ok), type(e), e}"],
    ["local ok, e = pcall(error, 'text') return {tostring(ok), e}"],
    [
      "local ok, e = xpcall(function() return redis.call('NOSUCH') end, function(e) return type(e) end) return {tostring(ok), e}",
    ],
    [
      "return {redis.sha1hex('abc'), redis.sha1hex(''), type(redis.REDIS_VERSION), redis.LOG_WARNING, redis.REPL_ALL, _VERSION}",
    ],
    [
      "redis.log(redis.LOG_NOTICE, 'hello', 1) redis.setresp(2) redis.set_repl(redis.REPL_ALL) return {redis.replicate_commands(), redis.breakpoint()}",
    ],
    [
      "return {table.getn({1, 2}), math.pow(2, 10), math.mod(7, 3), math.fmod(-7, 3), math.log10(1000), math.floor(-2.5), math.ceil(2.1), string.rep('ab', 3), ('x'):upper(), #'é'}",
    ],
    [
      "local t = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do t[#t + 1] = k .. v end for w in string.gfind('x y', '%a') do t[#t + 1] = w end return t",
    ],
    [
      "local parts = {} for bucket, count in string.gmatch(ARGV[1], '(%-?%d+):(%d+)') do parts[#parts + 1] = 'c' .. tonumber(bucket) .. '=' .. tonumber(count) * 2 end return parts",
      "-1:3,12:1,7:0",
    ],
    ["return {type(math.type), type(table.pack), type(utf8), type(bit), type(loadstring), type(setfenv)}"],
    ["return x"],
    ["x = 1"],
    ["string.upper = nil"],
    ["redis.call = nil"],
    ["_G.y = 2"],
    ["return redis.call('HSET', 'k')"],
    ["return redis.call('NOSUCH')"],
    ["return redis.call()"],
    ["return error('boom')"],
    ["return error({err = 'TABLE boom'})"],
    ["local a = nil return a + 1"],
    ["return string.format('%d', nil)"],
    ["return tonumber()"],
    ["return math.floor('x')"],
    ["return cjson.decode('[1,')"],
    ["return cjson.encode(function() end)"],
    ["return redis.log()"],
    ["return redis.setresp(4)"],
    ["return redis.sha1hex()"],
    ["\n\nlocal t = {}\nreturn t.a.b"],
    ["local f return f()"],
    ["return #nil"],
    ["return {} .. 'x'"],
  ];

  it.each(snippets)("%s", async (script, ...args) => {
    const p = prefix();
    const engine = new EmbeddedRedis();
    // "@name" arguments are keys under the test's prefix.
    const keys = args.filter((a) => a.startsWith("@")).map((a) => p + a.slice(1));
    const argv = args.filter((a) => !a.startsWith("@"));
    const command = ["EVAL", script, String(keys.length), ...keys, ...argv];
    const expected = await onReal(command);
    const got = onEmbedded(engine, command);
    if (
      typeof expected === "object" &&
      expected !== null &&
      "error" in expected &&
      /Error compiling|cjson|Expected/.test(expected.error)
    ) {
      // Compile and cjson.decode error texts are the VM's and the JSON parser's: only the kind must match.
      expect(got).toMatchObject({ error: expect.stringMatching(/^ERR /) });
    } else {
      expect(got).toEqual(expected);
    }
    expect(await dump((a) => onEmbedded(engine, a), p)).toEqual(await dump(onReal, p));
    engine.close();
  });

  it("keeps scripts across calls like Redis (EVALSHA, SCRIPT LOAD/EXISTS/FLUSH, NOSCRIPT)", () => {
    const engine = new EmbeddedRedis();
    const sha = engine.call(["SCRIPT", "LOAD", "return ARGV[1] .. KEYS[1]"]) as string;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(engine.call(["EVALSHA", sha.toUpperCase(), "1", "k", "a"])).toBe("ak");
    expect(engine.call(["SCRIPT", "EXISTS", sha, "nope"])).toEqual([1, 0]);
    expect(engine.call(["SCRIPT", "FLUSH"])).toEqual({ status: "OK" });
    expect(() => engine.call(["EVALSHA", sha, "0"])).toThrow("NOSCRIPT No matching script. Please use EVAL.");
    expect(() => engine.call(["EVAL", "return redis.call('EVAL', 'return 1', 0)", "0"])).toThrow(
      "This Redis command is not allowed from script",
    );
  });
});

// ---------------------------------------------------------------------------
// The project's scripts, with KEYS and ARGV built as worker/store/redis.ts builds them.

interface Room {
  readonly name: string;
  readonly rate: number;
  readonly mode: string;
  readonly ttlMs: number;
  readonly maxActive: number;
  readonly sessionMs: number;
  readonly perClient: number;
  /** The deployed autopilot settings (ARGV[11]); '' = none. */
  readonly autopilot: string;
}

interface ReportInput {
  /** Places used: a position (some not valid ones) and a device hint ("" = none; some not hex, some too long). */
  readonly consumed: readonly (readonly [position: number, device: string])[];
  readonly seen: readonly number[];
  readonly released: readonly [number, number][];
  /** The origin's answers (ARGV[10]): a sample, or garbage the scripts ignore ("" = none). */
  readonly origin: string;
  /** The calling instance's id (ARGV[12], "" = not counted) and what it knows (ARGV[13]: restores a lost state). */
  readonly instance?: string;
  readonly known?: string;
}

interface EventInput {
  readonly seq: number;
  readonly startsIn: number;
  readonly lead: number | null;
  readonly lasts: number | null;
  readonly perMinute: number | null;
  readonly mode: string | null;
  readonly shuffleAtStart: boolean;
}

type Op =
  | { readonly kind: "advance"; readonly ms: number }
  | {
      readonly kind: "join";
      readonly visitor: number;
      readonly draw: number;
      readonly client: string;
      readonly report: ReportInput;
      /** Stamps spent on the place: which of a few ids, and when each may be forgotten (ms from now). */
      readonly stamps: readonly (readonly [id: number, forgetIn: number])[];
    }
  | { readonly kind: "tick"; readonly report: ReportInput; readonly since: number }
  /** `known`: claim the visitor-th pre-queue entry handed out so far, if any (random pairs rarely match one). */
  | { readonly kind: "claim"; readonly seq: number; readonly visitor: number; readonly known: boolean }
  /** rate, mode, session, max, ap, ap_min, ap_max, ap_p95, ap_err, ap_timeout */
  | { readonly kind: "settings"; readonly values: readonly string[] }
  | { readonly kind: "schedule"; readonly events: readonly EventInput[] }
  | { readonly kind: "read" }
  | { readonly kind: "history" }
  /** The room's data lost (as FLUSHALL would lose it; the server is shared, so only this room's keys go). */
  | { readonly kind: "flush" };

const MINUTE = 60_000;
const NONE: readonly string[] = ["", "", "", "", "", "", "", "", "", ""];
/** Origin reports (encodeSample): fast, slow, failing. */
const ORIGIN_REPORTS = [
  encodeSample(withRequests(20, 40, 0)),
  encodeSample(withRequests(30, 2_000, 0)),
  encodeSample(withRequests(15, 40, 15)),
];

function withRequests(n: number, latencyMs: number, errors: number) {
  let sample = emptySample();
  for (let i = 0; i < n; i++) sample = withRequest(sample, latencyMs, i < errors);
  return sample;
}
const subject = (n: number) => `v${n}`;

/** ARGV 1-9 of the admission scripts (RedisStore's #args). */
function admissionArgs(room: Room, now: number, report: ReportInput): string[] {
  return [
    String(room.rate),
    room.mode,
    String(now),
    String(room.ttlMs),
    report.consumed.map(([position, device]) => (device === "" ? `${position}` : `${position}.${device}`)).join(","),
    report.seen.map(subject).join(","),
    report.released.map(([who, ago]) => `${subject(who)}@${Math.floor(now - ago)}`).join(","),
    String(room.maxActive),
    String(room.sessionMs),
    report.origin,
    room.autopilot,
    report.instance ?? "",
    report.known ?? "",
  ];
}

/** Events as RedisStore's encodeEvents writes them: null fields left out, "__SEQ__" for the one being added. */
function encodeEvents(events: readonly EventInput[], now: number): string {
  const list = events
    .map((e, i) => {
      const startsAt = now + e.startsIn * MINUTE;
      return {
        id: `e${i}`,
        seq: e.seq === 0 ? "__SEQ__" : e.seq,
        startsAt,
        endsAt: e.lasts === null ? null : startsAt + e.lasts * MINUTE,
        prequeueFrom: e.lead === null ? null : startsAt - e.lead * MINUTE,
        perMinute: e.perMinute,
        mode: e.mode,
        shuffleAtStart: e.shuffleAtStart,
      };
    })
    .sort((a, b) => a.startsAt - b.startsAt);
  return JSON.stringify(list.map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null))));
}

/** The EVAL commands of one operation (a schedule reads the version first, as an operator's edit does). */
function* commands(room: Room, op: Op, now: number, version: () => string): Generator<string[]> {
  const keys = roomKeys(room.name);
  const evalOf = (script: string, k: readonly string[], a: readonly string[]) => [
    "EVAL",
    script,
    String(k.length),
    ...k,
    ...a,
  ];
  switch (op.kind) {
    case "join":
      yield evalOf(
        JOIN_LUA,
        [...keys, clientsKey(room.name, Math.floor(now / MINUTE)), stampsKey(room.name)],
        [
          ...admissionArgs(room, now, op.report),
          "fifo",
          subject(op.visitor),
          String(op.draw),
          String(room.perClient),
          op.client,
          op.stamps.map(([id, forgetIn]) => `stamp-${id}@${Math.floor(now + forgetIn)}`).join(","),
        ],
      );
      return;
    case "tick":
      yield evalOf(TICK_LUA, keys, [
        ...admissionArgs(room, now, op.report),
        String(op.since === 0 ? 0 : now - op.since),
        String(op.since === 0 ? 0 : now - op.since),
      ]);
      return;
    case "claim":
      yield evalOf(CLAIM_LUA, keys, [
        ...admissionArgs(room, now, { consumed: [], seen: [], released: [], origin: "" }),
        String(op.seq),
        subject(op.visitor),
      ]);
      return;
    case "settings":
      yield evalOf(
        SETTINGS_LUA,
        [settingsKey(room.name), autopilotKey(room.name), autopilotLogKey(room.name)],
        // Values left out (the fixed replays give the first four) leave their fields as they are.
        [...op.values.slice(0, 4), String(room.ttlMs), ...[...op.values, ...NONE].slice(4, 10), String(now)],
      );
      return;
    case "schedule": {
      const events = [eventsKey(room.name), prequeueKey(room.name), frozenKey(room.name)];
      yield evalOf(EVENTS_READ_LUA, events, []);
      const adding = op.events.some((e) => e.seq === 0) ? "1" : "";
      yield evalOf(
        EVENTS_WRITE_LUA,
        [eventsKey(room.name), eventSeqKey(room.name)],
        [version(), encodeEvents(op.events, now), adding],
      );
      return;
    }
    case "read":
      yield evalOf(EVENTS_READ_LUA, [eventsKey(room.name), prequeueKey(room.name), frozenKey(room.name)], []);
      return;
    case "flush":
      yield [
        "DEL",
        ...keys,
        stampsKey(room.name),
        eventSeqKey(room.name),
        clientsKey(room.name, Math.floor(now / MINUTE)),
      ];
      return;
    case "history":
      // The default range (the last 30 minutes), then the whole 48 hours kept.
      yield evalOf(HISTORY_LUA, [historyKey(room.name), stateKey(room.name)], [String(now), "", ""]);
      yield evalOf(
        HISTORY_LUA,
        [historyKey(room.name), stateKey(room.name)],
        [String(now), "0", String(Math.floor(now / 60_000))],
      );
      yield evalOf(
        AUTOPILOT_READ_LUA,
        [originKey(room.name), autopilotKey(room.name), autopilotLogKey(room.name)],
        [String(now)],
      );
      return;
    default:
      return;
  }
}

const report: fc.Arbitrary<ReportInput> = fc.record({
  consumed: fc.array(
    fc.tuple(fc.integer({ min: -1, max: 40 }), fc.constantFrom("", "", "ab12cd34", "0f", "zz", "0123456789abcdef0")),
    { maxLength: 6 },
  ),
  seen: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 4 }),
  released: fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 5 * MINUTE })), {
    maxLength: 2,
  }),
  origin: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ORIGIN_REPORTS) },
    fc.constantFrom("", "NaN", "-1,0", `${ORIGIN_REPORTS[0]},0`, ORIGIN_REPORTS[0]?.replace(/^20,0/, "20,21") ?? ""),
  ),
  instance: fc.constantFrom("", "a1b2c3d4e5f6", "0123456789ab", "ffffffffffff"),
  // Nothing, a little, more than the store has (a lagged replica), another epoch, garbage.
  known: fc.constantFrom("", "0,2.5,4", "0,40.25,60", "1800000000000,9,12", "x,y,z", "-1,1e400,7"),
});
const quiet: ReportInput = { consumed: [], seen: [], released: [], origin: "" };
const MODES = ["auto", "queue-all", "paused", "closed", "passthrough"];

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 15 * MINUTE })),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("join" as const),
      visitor: fc.integer({ min: 0, max: 5 }),
      draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      client: fc.constantFrom("", "c1", "c2"),
      report: fc.oneof(fc.constant(quiet), report),
      // Often the same few ids, so a stamp is spent again; some forgotten before the next call.
      stamps: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -MINUTE, max: 15 * MINUTE })), {
        maxLength: 2,
      }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("tick" as const),
      report,
      since: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 * MINUTE })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      seq: fc.integer({ min: 1, max: 2 }),
      visitor: fc.integer({ min: 0, max: 5 }),
      known: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("settings" as const),
      values: fc.tuple(
        fc.constantFrom("", "-", "60", "600", "0.5", "7.25", "1e3"),
        fc.constantFrom("", "-", ...MODES),
        fc.constantFrom("", "-", "1", "10", "0.5"),
        fc.constantFrom("", "-", "0", "3"),
        fc.constantFrom("", "", "-", "on", "off"),
        fc.constantFrom("", "", "-", "30", "100", "x"),
        fc.constantFrom("", "", "-", "900", "2000"),
        fc.constantFrom("", "", "-", "100", "800"),
        fc.constantFrom("", "", "-", "0.01", "0.2"),
        fc.constantFrom("", "", "-", "5000"),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("schedule" as const),
      events: fc.array(
        fc.record({
          seq: fc.constantFrom(0, 0, 1, 2),
          startsIn: fc.integer({ min: -5, max: 15 }),
          lead: fc.option(fc.integer({ min: 1, max: 10 })),
          lasts: fc.option(fc.integer({ min: 1, max: 30 })),
          perMinute: fc.option(fc.constantFrom(6, 60, 600, 0.5)),
          mode: fc.option(fc.constantFrom(...MODES)),
          shuffleAtStart: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("read" as const, "history" as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
);

const roomArbitrary = fc.record({
  rate: fc.constantFrom(60, 600, 7.5),
  mode: fc.constantFrom("auto", "auto", "auto", "queue-all", "passthrough", "closed"),
  maxActive: fc.constantFrom(0, 3),
  sessionMs: fc.constantFrom(600_000, 120_000),
  perClient: fc.constantFrom(0, 2),
  autopilot: fc.constantFrom("", "on,60,1200,800,0.01,10000", "off,30,900,100,0.05,5000", "on,0,600,100,0.5,1000"),
});

/** What replays reached (outcome codes of JOIN and CLAIM) and how many script calls they made. */
const reached = { outcomes: new Set<string>(), calls: 0 };

/** Replays operations on both engines, requiring equal replies, then equal keys. */
async function replay(shape: Omit<Room, "name" | "ttlMs">, start: number, ops: readonly Op[]): Promise<void> {
  counter += 1;
  const room: Room = { ...shape, name: `er-${process.pid}-${counter}-${Date.now()}`, ttlMs: 3_600_000 };
  const engine = new EmbeddedRedis();
  let now = start;
  let version = "0";
  const entries: { seq: number; visitor: number; startsAt: number }[] = [];
  for (const planned of ops) {
    if (planned.kind === "advance") {
      now += planned.ms;
      continue;
    }
    let step: Op = planned;
    const known = planned.kind === "claim" && planned.known && entries[planned.visitor % entries.length];
    if (planned.kind === "claim" && known) {
      // Half of those claims come once the event has started, as a pre-queued visitor's would.
      if (planned.seq === 1) now = Math.max(now, known.startsAt);
      step = { ...planned, seq: known.seq, visitor: known.visitor };
    }
    for (const command of commands(room, step, now, () => version)) {
      const expected = await onReal(command);
      expect(onEmbedded(engine, command), `${step.kind} ${JSON.stringify(command.slice(2))}`).toEqual(expected);
      if (command[1] === EVENTS_READ_LUA && Array.isArray(expected)) version = String(expected[0]);
      if ((command[1] === JOIN_LUA || command[1] === CLAIM_LUA) && Array.isArray(expected)) {
        reached.outcomes.add(`${step.kind}:${String(expected[0])}`);
        if (step.kind === "join" && expected[0] === 4) {
          entries.push({ seq: Number(expected[12]), visitor: step.visitor, startsAt: Number(expected[13]) });
        }
      }
      reached.calls += 1;
    }
  }
  const keyPrefix = `anteroom:{${room.name}}:`;
  expect(await dump((a) => onEmbedded(engine, a), keyPrefix)).toEqual(await dump(onReal, keyPrefix));
  engine.close();
}

const plainRoom = { rate: 600, mode: "auto", maxActive: 0, sessionMs: 600_000, perClient: 0, autopilot: "" };
const visit = (visitor: number, client = "", stamps: readonly (readonly [number, number])[] = []): Op => ({
  kind: "join",
  visitor,
  draw: visitor / 10,
  client,
  report: quiet,
  stamps,
});

describe("EmbeddedRedis against redis-server: the project's scripts", () => {
  it("agree on a pre-queued event: entries, claims before and after the start, unknown entries", async () => {
    const event: EventInput = {
      seq: 0,
      startsIn: 3,
      lead: 5,
      lasts: 10,
      perMinute: 60,
      mode: null,
      shuffleAtStart: true,
    };
    await replay(plainRoom, 1_800_000_000_000, [
      { kind: "schedule", events: [event] },
      visit(1),
      visit(2),
      { kind: "claim", seq: 1, visitor: 1, known: false },
      { kind: "advance", ms: 4 * MINUTE },
      { kind: "claim", seq: 1, visitor: 2, known: false },
      { kind: "claim", seq: 1, visitor: 1, known: false },
      { kind: "claim", seq: 1, visitor: 5, known: false },
      {
        kind: "tick",
        report: {
          consumed: [
            [1, ""],
            [2, "ab12cd34"],
            [2, "ab12cd34"],
          ],
          seen: [1, 2],
          released: [[1, 500]],
          origin: "",
        },
        since: 0,
      },
      { kind: "read" },
      { kind: "history" },
    ]);
  });

  it("agree on limits, caps and every mode", async () => {
    await replay({ ...plainRoom, maxActive: 3, sessionMs: 120_000, perClient: 2 }, 1_800_000_012_345, [
      visit(1, "c1"),
      visit(2, "c1"),
      visit(3, "c1"),
      ...["closed", "passthrough", "queue-all", "paused", "auto"].flatMap((mode): Op[] => [
        { kind: "settings", values: ["", mode, "", ""] },
        visit(4),
        { kind: "advance", ms: 7_000 },
      ]),
      {
        kind: "tick",
        report: {
          consumed: [
            [1, ""],
            [2, ""],
            [3, ""],
          ],
          seen: [1, 2, 3, 4],
          released: [],
          origin: ORIGIN_REPORTS[1] ?? "",
        },
        since: 0,
      },
    ]);
  });

  it("agree on stamps: spent with a place, refused when spent, kept when nothing is given, forgotten in time", async () => {
    await replay({ ...plainRoom, perClient: 2 }, 1_800_000_000_000, [
      visit(1, "", [[0, 10 * MINUTE]]),
      visit(2, "", [[0, 10 * MINUTE]]),
      visit(3, "", [
        [1, 10 * MINUTE],
        [0, 10 * MINUTE],
      ]),
      visit(4, "c1"),
      visit(5, "c1"),
      visit(6, "c1", [[2, MINUTE]]),
      { kind: "settings", values: ["", "closed", "", ""] },
      visit(7, "", [[3, MINUTE]]),
      { kind: "settings", values: ["", "auto", "", ""] },
      visit(8, "", [[3, MINUTE]]),
      visit(9, "", [[2, MINUTE]]),
      { kind: "advance", ms: 11 * MINUTE },
      visit(10, "", [[0, 10 * MINUTE]]),
    ]);
  });

  it("give identical replies and leave identical keys over random admission traffic", async () => {
    await fc.assert(
      fc.asyncProperty(
        roomArbitrary,
        fc.integer({ min: 0, max: 59_999 }),
        fc.array(op, { minLength: 5, maxLength: 30 }),
        (shape, offset, ops) => replay(shape, 1_800_000_000_000 + offset, ops),
      ),
      { numRuns: 100 },
    );
  });

  it("reached every outcome of JOIN and CLAIM in the replays above (so a weak generator cannot pass unnoticed)", () => {
    expect(reached.calls).toBeGreaterThan(500);
    // Joins: queued, admitted, closed, passthrough, pre-queued, limited, stamp used; claims: placed, not started, unknown.
    const wanted = [
      ...["join:0", "join:1", "join:2", "join:3", "join:4", "join:5", "join:6"],
      ...["claim:1", "claim:2", "claim:3"],
    ];
    expect([...reached.outcomes].sort()).toEqual(expect.arrayContaining(wanted));
  });
});

describe("EmbeddedRedis: its own clock", () => {
  it('serves TIME and the scripts\' TIME fallback (now_arg "") from the injected clock', () => {
    const engine = new EmbeddedRedis({ now: () => 1_800_000_000_123 });
    expect(engine.call(["TIME"])).toEqual(["1800000000", "123000"]);
    engine.call(["EVAL", SETTINGS_LUA, "3", "s", "a", "l", "600", "", "", "", "60000", "", "", "", "", "", "", ""]);
    expect(engine.call(["HGET", "s", "rate_at"])).toBe("1800000000123");
    expect(engine.call(["FLUSHALL"])).toEqual({ status: "OK" });
    expect(engine.call(["KEYS", "*"])).toEqual([]);
  });
});

describe("EmbeddedRedis.scriptClient", () => {
  it("resolves with what @upstash/redis resolves with through the REST bridge", async () => {
    const upstash = connectRedis({ url: inject("bridgeUrl"), token: inject("bridgeToken"), timeoutMs: 5_000 });
    const engine = new EmbeddedRedis();
    const local = engine.scriptClient();
    const p = prefix();
    const scripts = [
      "return {1, '600', '0.10000000000000001', 'auto', '[]', 'true', 'null', '{\"a\":1}', '-0', '1e3', '007', ' 5', 'é'}",
      "return {{ok = 'OK'}, {'x', '2', {'nested', 3}}, false, 2.9}",
      "return 'OK'",
      "return redis.status_reply('PONG')",
      "return 42",
      "return nil",
      "return '12'",
      "return ARGV[1]",
      "redis.call('HSET', KEYS[1], 'list', ARGV[1], 'v', 1) return redis.call('HMGET', KEYS[1], 'v', 'list', 'none')",
    ];
    for (const script of scripts) {
      const expected = await upstash.createScript<unknown>(script).exec([`${p}k`], ['[{"id":"e","seq":1}]']);
      expect(await local.createScript<unknown>(script).exec([`${p}k`], ['[{"id":"e","seq":1}]']), script).toEqual(
        expected,
      );
    }
    // The project's scripts, replayed on both through their ScriptClients.
    const room: Room = {
      name: `er-upstash-${process.pid}-${Date.now()}`,
      rate: 600,
      mode: "auto",
      ttlMs: 3_600_000,
      maxActive: 3,
      sessionMs: 600_000,
      perClient: 0,
      autopilot: "on,60,1200,800,0.01,10000",
    };
    let now = 1_800_000_000_000;
    const steps: Op[] = [
      { kind: "settings", values: ["60", "", "", ""] },
      {
        kind: "schedule",
        events: [{ seq: 0, startsIn: 2, lead: 5, lasts: null, perMinute: 6, mode: null, shuffleAtStart: true }],
      },
      { kind: "join", visitor: 1, draw: 0.25, client: "", report: quiet, stamps: [[0, MINUTE]] },
      { kind: "read" },
      { kind: "advance", ms: 3 * MINUTE },
      {
        kind: "join",
        visitor: 2,
        draw: 0.5,
        client: "",
        report: { consumed: [[1, "ab12cd34"]], seen: [1], released: [], origin: ORIGIN_REPORTS[0] ?? "" },
        stamps: [[0, MINUTE]],
      },
      { kind: "claim", seq: 1, visitor: 1, known: false },
      {
        kind: "tick",
        report: { consumed: [], seen: [], released: [[2, 1000]], origin: ORIGIN_REPORTS[2] ?? "" },
        since: 0,
      },
      { kind: "history" },
    ];
    const versions = { real: "0", local: "0" };
    for (const step of steps) {
      if (step.kind === "advance") {
        now += step.ms;
        continue;
      }
      const remote = [...commands(room, step, now, () => versions.real)];
      const here = [...commands(room, step, now, () => versions.local)];
      for (let i = 0; i < remote.length; i++) {
        const [, script = "", count = "0", ...rest] = remote[i] ?? [];
        const split = Number(count);
        const expected = await upstash.createScript<unknown[]>(script).exec(rest.slice(0, split), rest.slice(split));
        const [, , , ...mine] = here[i] ?? [];
        const got = await local.createScript<unknown[]>(script).exec(mine.slice(0, split), mine.slice(split));
        expect(got, step.kind).toEqual(expected);
        if (script === EVENTS_READ_LUA) {
          versions.real = String(expected[0]);
          versions.local = String(got[0]);
        }
      }
    }
    await expect(local.createScript("return redis.call('NOSUCH')").exec([], [])).rejects.toThrow(
      "ERR Unknown Redis command called from script",
    );
    await expect(upstash.createScript("return redis.call('NOSUCH')").exec([], [])).rejects.toThrow(
      "ERR Unknown Redis command called from script",
    );
  });
});

describe("EmbeddedRedis: the Lua 5.4 differences lua.ts documents", () => {
  it("are still exactly these (a change here means the documentation must change)", () => {
    const engine = new EmbeddedRedis();
    const run = (script: string) => {
      try {
        return engine.call(["EVAL", script, "0"]);
      } catch (error) {
        return (error as Error).message;
      }
    };
    // Integer literals of 15+ digits print in full (Redis: "1.2345678901234e+14").
    expect(run("return tostring(123456789012345)")).toBe("123456789012345");
    // Integer-only arguments refuse a fraction (Redis truncates to "ab").
    expect(run("return string.rep('ab', 1.5)")).toMatch(/number has no integer representation/);
    // % on two integers by zero is an error (Redis: nan).
    expect(run("return tostring(1 % 0)")).toMatch(/attempt to perform 'n%0'/);
    // Arithmetic on a non-numeric string is worded by 5.4's string metamethods
    // (Redis: "attempt to perform arithmetic on local 's' (a string value)").
    expect(run("local s = 'abc' return s + 1")).toMatch(/attempt to add a 'string' with a 'number'/);
    // Compile errors and cjson.decode errors are worded by Lua 5.4 and JSON.parse.
    expect(run("syntax error here")).toBe(
      "ERR Error compiling script (new function): user_script:1: syntax error near 'error'",
    );
    expect(run("return cjson.decode('[1,')")).toMatch(/^ERR user_script:1: Expected valid JSON: /);
    // Redis's extra libraries are absent: an error, never a silent nil.
    expect(run("return bit.band(1, 3)")).toMatch(/Script attempted to access nonexistent global variable 'bit'/);
    expect(run("redis.setresp(3)")).toMatch(/RESP3 .* is not emulated/);
  });
});
