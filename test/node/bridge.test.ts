import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Bridge, labelledUrl, latencyOf, startBridge } from "../../tools/bridge.ts";
import { EmbeddedRedis } from "../../tools/embedded-redis/embedded-redis.ts";
import { freePort } from "../../tools/wrangler.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";

// This file owns its redis-server and bridge (not the global ones): the fault
// tests kill Redis, which must not disturb other test files.
const TOKEN = "bridge-test-token";
let server: RedisServer;
let bridge: Bridge;

beforeAll(async () => {
  server = await startRedisServer();
  bridge = await startBridge({ redisUrl: server.url, token: TOKEN });
});

afterAll(async () => {
  await bridge?.close();
  await server?.stop();
});

beforeEach(async () => {
  await rest("/", { command: ["FLUSHALL"] });
});

interface RestOptions {
  command?: unknown;
  rawBody?: string | Uint8Array<ArrayBuffer>;
  method?: string;
  /** null: send no Authorization header. */
  token?: string | null;
  base64?: boolean;
}

interface RestResponse {
  status: number;
  text: string;
  json: unknown;
}

/** A raw HTTP call, to check the wire format itself rather than what the client makes of it. */
async function rest(path: string, options: RestOptions = {}, to: Bridge = bridge): Promise<RestResponse> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.base64) headers["upstash-encoding"] = "base64";
  const body = options.command === undefined ? options.rawBody : JSON.stringify(options.command);
  const method = options.method ?? (body === undefined ? "GET" : "POST");
  const response = await fetch(to.url + path, { method, headers, body: body ?? null });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

function upstash(to: Bridge = bridge): Redis {
  return new Redis({ url: to.url, token: TOKEN, enableTelemetry: false });
}

/** Rejects if `promise` has not settled within `ms`, so a hang fails the test instead of stalling it. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Retries `attempt` until it resolves, for the bridge's background reconnect to catch up. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe("raw REST protocol", () => {
  describe("authentication", () => {
    it("rejects a missing or wrong token with 401", async () => {
      for (const token of [null, "wrong-token", `${TOKEN}x`]) {
        const response = await rest("/", { command: ["PING"], token });
        expect(response.status).toBe(401);
        expect(response.json).toEqual({ error: "Unauthorized" });
      }
    });

    it("accepts the token as the _token query parameter, which is not passed on as an argument", async () => {
      const response = await rest(`/set/q/v?_token=${TOKEN}`, { token: null });
      expect(response).toMatchObject({ status: 200, json: { result: "OK" } });
      expect((await rest("/get/q")).json).toEqual({ result: "v" });
    });
  });

  describe("single commands", () => {
    it("returns { result } for strings, integers and nil", async () => {
      expect((await rest("/", { command: ["SET", "k", "v"] })).json).toEqual({ result: "OK" });
      expect((await rest("/", { command: ["GET", "k"] })).json).toEqual({ result: "v" });
      expect((await rest("/", { command: ["INCRBY", "n", 41] })).json).toEqual({ result: 41 });
      expect((await rest("/", { command: ["GET", "missing"] })).json).toEqual({ result: null });
      expect((await rest("/", { command: ["MGET", "k", "missing"] })).json).toEqual({ result: ["v", null] });
    });

    it("keeps integers beyond 2^53 exact in the JSON text", async () => {
      const response = await rest("/", { command: ["INCRBY", "big", "9007199254740993"] });
      expect(response.text).toBe('{"result":9007199254740993}');
    });

    it("returns HGETALL and ZRANGE WITHSCORES as flat RESP2 arrays, like Upstash", async () => {
      await rest("/", { command: ["HSET", "h", "f1", "v1", "f2", "v2"] });
      await rest("/", { command: ["ZADD", "z", 1.5, "m"] });
      expect((await rest("/", { command: ["hgetall", "h"] })).json).toEqual({ result: ["f1", "v1", "f2", "v2"] });
      expect((await rest("/", { command: ["zrange", "z", 0, -1, "WITHSCORES"] })).json).toEqual({
        result: ["m", "1.5"],
      });
    });

    it("answers a Redis error with 400 and the Redis message", async () => {
      const unknown = await rest("/", { command: ["NOSUCHCOMMAND", "x"] });
      expect(unknown.status).toBe(400);
      expect(unknown.json).toEqual({ error: expect.stringMatching(/^ERR unknown command 'NOSUCHCOMMAND'/) });

      await rest("/", { command: ["SET", "s", "v"] });
      const wrongType = await rest("/", { command: ["LPUSH", "s", "x"] });
      expect(wrongType.status).toBe(400);
      expect(wrongType.json).toEqual({ error: expect.stringMatching(/^WRONGTYPE /) });

      const noScript = await rest("/", { command: ["EVALSHA", "0".repeat(40), 0] });
      expect(noScript.status).toBe(400);
      expect(noScript.json).toEqual({ error: expect.stringMatching(/^NOSCRIPT /) });
    });

    it("answers malformed requests with 400 { error }", async () => {
      const cases: RestOptions[] = [
        { rawBody: '["SET", ' },
        { rawBody: '{"command": "GET"}' },
        { command: [] },
        { command: ["SET", "k", { nested: true }] },
        { command: ["SET", "k", null] },
        { rawBody: "", method: "POST" },
      ];
      for (const request of cases) {
        const response = await rest("/", request);
        expect(response.status, JSON.stringify(request)).toBe(400);
        expect(response.json).toEqual({ error: expect.stringMatching(/^ERR /) });
      }
    });

    it("refuses commands that would hijack the shared connection, and stays usable", async () => {
      for (const command of [["SUBSCRIBE", "chan"], ["SELECT", "1"], ["MULTI"], ["BLPOP", "list", "0"]]) {
        const response = await rest("/", { command });
        expect(response.status).toBe(400);
        expect(response.json).toEqual({ error: expect.stringContaining("not supported by the anteroom dev bridge") });
      }
      expect((await rest("/", { command: ["PING"] })).json).toEqual({ result: "PONG" });
    });

    it("answers unsupported HTTP methods with 405", async () => {
      const response = await rest("/get/k", { method: "DELETE" });
      expect(response.status).toBe(405);
      expect(response.json).toEqual({ error: "Method Not Allowed" });
    });
  });

  describe("path-style commands", () => {
    it("runs GET /cmd/arg/... with URL-decoded segments", async () => {
      expect((await rest("/set/a%2Fb/hello%20world")).json).toEqual({ result: "OK" });
      expect((await rest("/", { command: ["GET", "a/b"] })).json).toEqual({ result: "hello world" });
      expect((await rest("/get/a%2Fb", { method: "POST" })).json).toEqual({ result: "hello world" });
    });

    it("appends a POST body as the last argument, then the query parameters", async () => {
      expect((await rest("/set/doc?EX=100", { rawBody: '{"a":1}' })).json).toEqual({ result: "OK" });
      expect((await rest("/get/doc")).json).toEqual({ result: '{"a":1}' });
      const ttl = (await rest("/ttl/doc")).json as { result: number };
      expect(ttl.result).toBeGreaterThan(90);
      expect(ttl.result).toBeLessThanOrEqual(100);
    });
  });

  describe("Upstash-Encoding: base64", () => {
    const binary = Uint8Array.from([0xff, 0x00, 0xfe, 0x80, 0x41, 0xc3]);

    it("returns bulk strings base64-encoded byte for byte, including non-UTF-8 values", async () => {
      await rest("/set/bin", { rawBody: binary });
      const response = await rest("/", { command: ["GET", "bin"], base64: true });
      expect(response.json).toEqual({ result: Buffer.from(binary).toString("base64") });
      expect(Buffer.from((response.json as { result: string }).result, "base64")).toEqual(Buffer.from(binary));
    });

    it("without the header, decodes strings as UTF-8", async () => {
      await rest("/set/bin", { rawBody: binary });
      await rest("/", { command: ["SET", "text", "héllo ✓"] });
      expect((await rest("/", { command: ["GET", "bin"] })).json).toEqual({
        result: Buffer.from(binary).toString("utf8"),
      });
      expect((await rest("/", { command: ["GET", "text"] })).json).toEqual({ result: "héllo ✓" });
    });

    it("keeps a top-level OK, integers and nil as they are, and encodes strings inside arrays", async () => {
      expect((await rest("/", { command: ["SET", "k", "héllo"], base64: true })).json).toEqual({ result: "OK" });
      expect((await rest("/", { command: ["INCR", "n"], base64: true })).json).toEqual({ result: 1 });
      expect((await rest("/", { command: ["GET", "missing"], base64: true })).json).toEqual({ result: null });
      expect((await rest("/", { command: ["PING"], base64: true })).json).toEqual({ result: "UE9ORw==" });
      const mget = await rest("/", { command: ["MGET", "k", "missing", "n"], base64: true });
      expect(mget.json).toEqual({
        result: [Buffer.from("héllo").toString("base64"), null, Buffer.from("1").toString("base64")],
      });
    });

    it("applies to every entry of a pipeline", async () => {
      const response = await rest("/pipeline", {
        command: [
          ["SET", "k", "v"],
          ["GET", "k"],
          ["INCR", "k"],
        ],
        base64: true,
      });
      expect(response.json).toEqual([
        { result: "OK" },
        { result: "dg==" },
        { error: "ERR value is not an integer or out of range" },
      ]);
    });
  });

  describe("Lua script replies", () => {
    const script = `return {
      1, "a", {2, {"deep"}}, redis.call("SET", KEYS[1], ARGV[1]), true, false, redis.status_reply("FINE")
    }`;

    it("map integers, nested arrays, status replies and booleans like RESP2", async () => {
      const response = await rest("/", { command: ["EVAL", script, 1, "k", "v"] });
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ result: [1, "a", [2, ["deep"]], "OK", 1, null, "FINE"] });
    });

    it("encode nested strings, including a nested OK, under base64", async () => {
      const b64 = (s: string) => Buffer.from(s).toString("base64");
      const response = await rest("/", { command: ["EVAL", script, 1, "k", "v"], base64: true });
      expect(response.json).toEqual({ result: [1, b64("a"), [2, [b64("deep")]], b64("OK"), 1, null, b64("FINE")] });
    });

    it("report a script error with 400", async () => {
      const response = await rest("/", { command: ["EVAL", "return redis.error_reply('CUSTOM went wrong')", 0] });
      expect(response.status).toBe(400);
      expect(response.json).toEqual({ error: "CUSTOM went wrong" });
    });
  });

  describe("/pipeline", () => {
    it("returns one { result } or { error } per command, and an error does not stop later commands", async () => {
      const response = await rest("/pipeline", {
        command: [
          ["SET", "p", "1"],
          ["LPUSH", "p", "x"],
          ["INCR", "p"],
          ["GET", "p"],
        ],
      });
      expect(response.status).toBe(200);
      expect(response.json).toEqual([
        { result: "OK" },
        { error: expect.stringMatching(/^WRONGTYPE /) },
        { result: 2 },
        { result: "2" },
      ]);
    });

    it("rejects a body that is not a non-empty array of commands", async () => {
      for (const command of [[], ["GET", "k"], "GET"]) {
        const response = await rest("/pipeline", { command });
        expect(response.status).toBe(400);
        expect(response.json).toEqual({ error: expect.stringMatching(/^ERR /) });
      }
    });
  });

  describe("/multi-exec", () => {
    it("returns per-command results, with runtime errors in place (Redis does not roll back)", async () => {
      const response = await rest("/multi-exec", {
        command: [
          ["SET", "t", "a"],
          ["INCR", "t"],
          ["APPEND", "t", "b"],
        ],
      });
      expect(response.status).toBe(200);
      expect(response.json).toEqual([
        { result: "OK" },
        { error: "ERR value is not an integer or out of range" },
        { result: 2 },
      ]);
    });

    it("discards the whole transaction when a command cannot be queued", async () => {
      await rest("/", { command: ["SET", "t", "before"] });
      const response = await rest("/multi-exec", {
        command: [["SET", "t", "after"], ["NOSUCHCOMMAND"]],
      });
      expect(response.status).toBe(400);
      expect(response.json).toEqual({ error: expect.stringMatching(/^EXECABORT .*Command 2: ERR unknown command/) });
      expect((await rest("/get/t")).json).toEqual({ result: "before" });
      // The connection must not be left inside a MULTI.
      expect((await rest("/", { command: ["INCR", "counter"] })).json).toEqual({ result: 1 });
    });

    it("refuses a transaction containing a bridge-refused command without running any of it", async () => {
      const response = await rest("/multi-exec", {
        command: [
          ["SET", "t", "x"],
          ["WATCH", "t"],
        ],
      });
      expect(response.status).toBe(400);
      expect(response.json).toEqual({ error: expect.stringMatching(/^EXECABORT .*WATCH is not supported/) });
      expect((await rest("/get/t")).json).toEqual({ result: null });
    });

    it("is atomic: concurrent requests never land inside another transaction", async () => {
      const transactions = Array.from({ length: 40 }, () =>
        rest("/multi-exec", {
          command: [
            ["INCR", "c"],
            ["INCR", "c"],
            ["INCR", "c"],
          ],
        }),
      );
      const singles = Array.from({ length: 40 }, () => rest("/", { command: ["INCR", "c"] }));
      const results = await Promise.all(transactions);
      await Promise.all(singles);
      for (const response of results) {
        const [a, b, c] = (response.json as { result: number }[]).map((entry) => entry.result);
        expect([b, c]).toEqual([(a ?? 0) + 1, (a ?? 0) + 2]);
      }
      expect((await rest("/get/c")).json).toEqual({ result: String(40 * 3 + 40) });
    });
  });

  it("serves many concurrent requests over keep-alive connections", async () => {
    const count = 300;
    const writes = await Promise.all(
      Array.from({ length: count }, (_, i) => rest("/", { command: ["SET", `key:${i}`, `value:${i}`] })),
    );
    expect(writes.every((response) => response.status === 200)).toBe(true);
    const reads = await Promise.all(Array.from({ length: count }, (_, i) => rest(`/get/key:${i}`)));
    expect(reads.map((response) => response.json)).toEqual(
      Array.from({ length: count }, (_, i) => ({ result: `value:${i}` })),
    );
  });
});

describe("the bridge over the embedded engine (npm start without REDIS_URL)", () => {
  let engine: EmbeddedRedis;
  let embedded: Bridge;

  beforeAll(async () => {
    engine = new EmbeddedRedis();
    embedded = await startBridge({ embedded: engine, token: TOKEN });
  });
  afterAll(async () => {
    await embedded?.close();
    engine?.close();
  });
  beforeEach(async () => {
    await rest("/", { command: ["FLUSHALL"] }, embedded);
  });

  /** The same request to both bridges: the answers must be the same, status and body byte for byte. */
  async function same(path: string, options: RestOptions = {}): Promise<RestResponse> {
    const fromEmbedded = await rest(path, options, embedded);
    const fromRedis = await rest(path, options);
    expect({ status: fromEmbedded.status, text: fromEmbedded.text }, `${path} ${JSON.stringify(options)}`).toEqual({
      status: fromRedis.status,
      text: fromRedis.text,
    });
    return fromEmbedded;
  }

  it("answers commands, error replies and script replies exactly as the bridge over redis-server", async () => {
    const script = `return {
      1, "a", {2, {"deep"}}, redis.call("SET", KEYS[1], ARGV[1]), true, false, redis.status_reply("FINE"), -7
    }`;
    for (const base64 of [false, true]) {
      expect((await same("/", { command: ["SET", "k", "héllo ✓"], base64 })).json).toEqual({ result: "OK" });
      await same("/", { command: ["GET", "k"], base64 });
      await same("/", { command: ["GET", "missing"], base64 });
      await same("/", { command: ["INCR", "n"], base64 });
      await same("/", { command: ["PING"], base64 });
      await same("/", { command: ["HSET", "h", "f1", "v1", "f2", "2"], base64 });
      await same("/", { command: ["HGETALL", "h"], base64 });
      await same("/", { command: ["ZADD", "z", "1.5", "m", "-2", "n"], base64 });
      await same("/", { command: ["ZRANGE", "z", 0, -1, "WITHSCORES"], base64 });
      await same("/", { command: ["EVAL", script, 1, "s", "v"], base64 });
      await same("/set/a%2Fb/hello%20world", { base64 });
      await same("/get/a%2Fb", { base64 });
      // Error replies: the status and Redis's message.
      expect((await same("/", { command: ["NOSUCHCOMMAND", "x"], base64 })).status).toBe(400);
      await same("/", { command: ["HGET", "k", "f"], base64 });
      await same("/", { command: ["GET"], base64 });
      await same("/", { command: ["EVALSHA", "0".repeat(40), 0], base64 });
      await same("/", { command: ["EVAL", "return redis.error_reply('CUSTOM went wrong')", 0], base64 });
      await same("/", { command: ["SUBSCRIBE", "chan"], base64 });
      await same("/", { command: ["FLUSHALL"] });
    }
  });

  it("runs pipelines and transactions alike, and discards a transaction that cannot be queued alike", async () => {
    await same("/pipeline", {
      command: [
        ["SET", "p", "1"],
        ["HSET", "p", "f", "x"],
        ["INCR", "p"],
        ["GET", "p"],
      ],
    });
    await same("/multi-exec", {
      command: [
        ["SET", "t", "a"],
        ["INCR", "t"],
        ["GET", "t"],
      ],
    });
    await same("/multi-exec", { command: [["SET", "t", "after"], ["NOSUCHCOMMAND"]] });
    await same("/multi-exec", { command: [["SET", "t", "after"], ["GET"]] });
    await same("/multi-exec", { command: [["SET", "t", "after"], ["EVAL"]] });
    expect((await same("/get/t")).json).toEqual({ result: "a" });
  });

  it("serves @upstash/redis's createScript: EVALSHA, then EVAL once the script cache is flushed", async () => {
    const client = upstash(embedded);
    const script = client.createScript<number>("return redis.call('INCR', KEYS[1])");
    expect(await script.exec(["counter"], [])).toBe(1);
    expect(await client.scriptFlush()).toBe("OK");
    expect(await script.exec(["counter"], [])).toBe(2);
    await expect(client.hget("counter", "f")).rejects.toThrow(/WRONGTYPE/);
  });

  it("answers 500, as for an unreachable Redis, when the engine fails rather than replying", async () => {
    const failing = await startBridge({
      embedded: {
        call: () => {
          throw new TypeError("engine broke");
        },
      },
      token: TOKEN,
    });
    try {
      const response = await rest("/", { command: ["PING"] }, failing);
      expect(response).toMatchObject({ status: 500, json: { error: "the embedded store failed: engine broke" } });
    } finally {
      await failing.close();
    }
  });
});

describe("@upstash/redis against the bridge", () => {
  it("sets and gets strings, numbers and JSON objects", async () => {
    const redis = upstash();
    expect(await redis.set("greeting", "héllo ✓")).toBe("OK");
    expect(await redis.get("greeting")).toBe("héllo ✓");
    await redis.set("obj", { a: 1, list: ["x"] });
    expect(await redis.get("obj")).toEqual({ a: 1, list: ["x"] });
    expect(await redis.incrby("count", 5)).toBe(5);
    expect(await redis.get("nothing")).toBeNull();
    expect(await redis.set("nx", "1", { nx: true })).toBe("OK");
    expect(await redis.set("nx", "2", { nx: true })).toBeNull();
  });

  it("hset and hgetall", async () => {
    const redis = upstash();
    expect(await redis.hset("user:1", { name: "Ada", visits: 3 })).toBe(2);
    expect(await redis.hgetall("user:1")).toEqual({ name: "Ada", visits: 3 });
    expect(await redis.hgetall("user:none")).toBeNull();
  });

  it("sorted sets with scores", async () => {
    const redis = upstash();
    await redis.zadd("queue", { score: 2, member: "b" }, { score: 1, member: "a" });
    expect(await redis.zrange("queue", 0, -1, { withScores: true })).toEqual(["a", 1, "b", 2]);
    expect(await redis.zrank("queue", "b")).toBe(1);
  });

  it("pipeline", async () => {
    const redis = upstash();
    const results = await redis.pipeline().set("a", "1").incr("a").get("a").hset("h", { f: "v" }).exec();
    expect(results).toEqual(["OK", 2, 2, 1]);
  });

  it("pipeline errors surface as a rejection naming the command", async () => {
    const redis = upstash();
    await redis.set("str", "x");
    await expect(redis.pipeline().get("str").lpush("str", "y").exec()).rejects.toThrow(
      /Command 2 \[ lpush \] failed: WRONGTYPE/,
    );
  });

  it("multi", async () => {
    const redis = upstash();
    const results = await redis.multi().set("m", "1").incrby("m", 10).get("m").exec();
    expect(results).toEqual(["OK", 11, 11]);
  });

  it("eval with nested array replies", async () => {
    const redis = upstash();
    const result = await redis.eval("return {1, {ARGV[1], 'x'}, redis.call('SET', KEYS[1], 'v')}", ["k"], ["arg"]);
    expect(result).toEqual([1, ["arg", "x"], "OK"]);
  });

  it("createScript runs via EVALSHA and falls back to EVAL after SCRIPT FLUSH", async () => {
    const redis = upstash();
    const script = redis.createScript<number>("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    expect(await script.exec(["hits"], ["2"])).toBe(2);
    expect(await script.exec(["hits"], ["3"])).toBe(5);
    expect(await redis.scriptFlush()).toBe("OK");
    // EVALSHA now answers NOSCRIPT; the client must see that text to retry with EVAL.
    await expect(script.evalsha(["hits"], ["1"])).rejects.toThrow(/NOSCRIPT/);
    expect(await script.exec(["hits"], ["4"])).toBe(9);
    expect(await script.evalsha(["hits"], ["1"])).toBe(10);
  });

  it("reports a command error as a rejected promise with the Redis message", async () => {
    const redis = upstash();
    await redis.set("str", "x");
    await expect(redis.lpush("str", "y")).rejects.toThrow(/WRONGTYPE/);
  });
});

describe("the lab's options: injected latency and calls by label", () => {
  it("adds the round trip to every request, within the jitter, and keeps commands in order", async () => {
    const slow = await startBridge({ redisUrl: server.url, token: TOKEN, latency: { roundTripMs: 200, jitter: 0.2 } });
    try {
      const redis = upstash(slow);
      const took: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const t0 = performance.now();
        await redis.incr("slow-counter");
        took.push(performance.now() - t0);
      }
      // Each leg is at least 100 ms x 0.8: the round trip at least 160 ms (timers may only be late).
      expect(Math.min(...took)).toBeGreaterThanOrEqual(159);
      expect(await redis.get("slow-counter")).toBe(4);
      // Without the option the same calls are not delayed.
      const t0 = performance.now();
      await upstash().incr("slow-counter");
      expect(performance.now() - t0).toBeLessThan(150);
    } finally {
      await slow.close();
    }
  });

  it("with p99Ms draws a log-normal round trip: median roundTripMs, 1 in 100 past p99Ms", () => {
    const draw = latencyOf({ roundTripMs: 30, p99Ms: 200 });
    const trips = Array.from({ length: 20_000 }, () => {
      const { there, back } = draw();
      expect(there).toBe(back);
      return there + back;
    }).sort((a, b) => a - b);
    const at = (q: number) => trips[Math.floor(q * (trips.length - 1))] ?? Number.NaN;
    // 20,000 draws: the median within a few percent, the 99th percentile within about 10% (3 standard errors).
    expect(at(0.5)).toBeGreaterThan(28);
    expect(at(0.5)).toBeLessThan(32);
    expect(at(0.99)).toBeGreaterThan(180);
    expect(at(0.99)).toBeLessThan(222);
    // A tail, not a wall: about 1 in 1,000 past 350 ms.
    expect(at(0.999)).toBeGreaterThan(300);
    // Without p99Ms each leg stays uniform within the jitter.
    const flat = latencyOf({ roundTripMs: 30 });
    for (let i = 0; i < 1000; i += 1) expect(flat().there).toBeLessThanOrEqual(18);
  });

  it("with p99Ms delays every request by a drawn round trip", async () => {
    const tail = await startBridge({ redisUrl: server.url, token: TOKEN, latency: { roundTripMs: 30, p99Ms: 200 } });
    try {
      const redis = upstash(tail);
      const took: number[] = [];
      for (let i = 0; i < 15; i += 1) {
        const t0 = performance.now();
        await redis.incr("tail-counter");
        took.push(performance.now() - t0);
      }
      took.sort((a, b) => a - b);
      // The median of 15 draws is within 0.45 sigma of 30 ms at 99.9%: 21-43 ms, plus the machine's own.
      expect(took[7]).toBeGreaterThan(20);
      expect(took[7]).toBeLessThan(70);
      expect(await redis.get("tail-counter")).toBe(15);
    } finally {
      await tail.close();
    }
  });

  it("refuses a latency outside its range by name", async () => {
    await expect(startBridge({ redisUrl: server.url, token: TOKEN, latency: { roundTripMs: -1 } })).rejects.toThrow(
      /latency.roundTripMs/,
    );
    await expect(
      startBridge({ redisUrl: server.url, token: TOKEN, latency: { roundTripMs: 30, jitter: 2 } }),
    ).rejects.toThrow(/latency.jitter/);
    await expect(
      startBridge({ redisUrl: server.url, token: TOKEN, latency: { roundTripMs: 30, p99Ms: 20 } }),
    ).rejects.toThrow(/latency.p99Ms/);
  });

  it("counts requests and script calls per labelled URL, pipelines included", async () => {
    const counting = await startBridge({ redisUrl: server.url, token: TOKEN, labels: true });
    try {
      const a = new Redis({ url: labelledUrl(counting.url, "instance-0"), token: TOKEN, enableTelemetry: false });
      const b = new Redis({ url: labelledUrl(counting.url, "instance-1"), token: TOKEN, enableTelemetry: false });
      await a.eval("return 1", [], []);
      await a.set("k", "v");
      const p = b.pipeline();
      p.eval("return 2", [], []);
      p.eval("return 3", [], []);
      p.get("k");
      expect(await p.exec()).toEqual([2, 3, "v"]);
      await upstash(counting).get("k");
      expect(counting.calls()).toEqual({
        "instance-0": { requests: 2, scripts: 1 },
        "instance-1": { requests: 1, scripts: 2 },
        "": { requests: 1, scripts: 0 },
      });
      expect((await rest("/_label/bad.label/get/k", {}, counting)).status).toBe(400);
    } finally {
      await counting.close();
    }
  });

  it("without the labels option, reads a label prefix as a command (400), as before", async () => {
    const res = await rest("/_label/instance-0/get/k");
    expect(res.status).toBe(400);
    expect(bridge.calls()[""]?.requests).toBeGreaterThan(0);
  });
});

describe("startup and CLI", () => {
  it("startBridge rejects with a clear error when Redis is unreachable", async () => {
    const port = await freePort();
    await expect(within(5_000, startBridge({ redisUrl: `redis://127.0.0.1:${port}`, token: "t" }))).rejects.toThrow(
      `cannot reach Redis at 127.0.0.1:${port}`,
    );
  });

  it("runs as a CLI configured by REDIS_URL, BRIDGE_PORT and BRIDGE_TOKEN", async () => {
    const port = await freePort();
    const script = fileURLToPath(new URL("../../tools/bridge.ts", import.meta.url));
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, REDIS_URL: server.url, BRIDGE_PORT: String(port), BRIDGE_TOKEN: "cli-token" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const banner = await within(
        10_000,
        new Promise<string>((resolve, reject) => {
          let output = "";
          child.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString("utf8");
            if (output.includes("\n")) resolve(output);
          });
          child.stderr.on("data", (chunk: Buffer) => {
            output += chunk.toString("utf8");
          });
          child.once("exit", (code) => reject(new Error(`CLI exited with ${code}: ${output}`)));
        }),
      );
      expect(banner).toContain(`http://127.0.0.1:${port}`);
      const redis = new Redis({ url: `http://127.0.0.1:${port}`, token: "cli-token", enableTelemetry: false });
      expect(await redis.set("cli", "works")).toBe("OK");
      expect(await redis.get("cli")).toBe("works");
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });
});

// Last: these kill and restart this file's redis-server.
describe("when Redis dies", () => {
  it("fails fast with HTTP 500, then recovers by itself once Redis is back", async () => {
    const redis = upstash();
    expect(await redis.set("before", "1")).toBe("OK");

    await server.kill();
    const raw = await within(3_000, rest("/", { command: ["GET", "before"] }));
    expect(raw.status).toBe(500);
    expect(raw.json).toEqual({ error: expect.stringContaining("unavailable") });
    const failure = await within(
      3_000,
      redis.get("before").then(
        () => "resolved",
        (error: unknown) => error,
      ),
    );
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure)).toMatch(/unavailable/);
    const pipelineFailure = within(3_000, redis.pipeline().get("a").get("b").exec());
    await expect(pipelineFailure).rejects.toThrow(/unavailable/);

    await server.restart();
    // The restarted server is empty; the bridge itself was never restarted.
    expect(await eventually(() => redis.set("after", "2"), 5_000)).toBe("OK");
    expect(await redis.get("after")).toBe(2);
    expect(await redis.get("before")).toBeNull();
  });

  it("fails a command that was in flight when Redis died instead of hanging", async () => {
    // A script that keeps Redis busy long enough to kill it mid-command.
    const busy =
      "local stop = tonumber(redis.call('TIME')[1]) + 3 while tonumber(redis.call('TIME')[1]) < stop do end return 1";
    const inFlight = rest("/", { command: ["EVAL", busy, 0] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.kill();
    const response = await within(2_000, inFlight);
    expect(response.status, response.text).toBe(500);
    expect(response.json).toEqual({ error: expect.stringContaining("lost while the command was in flight") });

    await server.restart();
    const recovered = await eventually(async () => {
      const ping = await rest("/", { command: ["PING"] });
      if (ping.status !== 200) throw new Error(ping.text);
      return ping.json;
    }, 5_000);
    expect(recovered).toEqual({ result: "PONG" });
  });
});
