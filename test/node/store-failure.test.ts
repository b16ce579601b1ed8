// Store failures you can diagnose (worker/store/failure.ts): the one
// classifier on the errors @upstash/redis really raises, RedisStore telling a
// reply it cannot read from an outage, a real Lua error from the suite's
// redis-server (through the REST bridge) and a dead endpoint.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { errors } from "@upstash/redis/cloudflare";
import { afterEach, describe, expect, it } from "vitest";
import { checkedOutcome, storeFailure, TransportFailure } from "../../worker/store/failure.ts";
import { connectRedis, RedisStore, type ScriptClient } from "../../worker/store/redis.ts";
import { newArrival, redisClient, room, T0 } from "../support/stores.ts";

const SHA = "82903a0434f1503e152f89c03c9acd881a0e8150";

/**
 * The ways @upstash/redis wraps a Redis error reply: auto-pipelining (its
 * default), a pipeline, and an HTTP error (the body's `error`, then the whole
 * command: script source, keys, args).
 */
function upstash(reply: string): errors.UpstashError[] {
  return [
    new errors.UpstashError(`Command failed: ${reply}`),
    new errors.UpstashError(`Command 1 [ EVALSHA ] failed: ${reply}`),
    new errors.UpstashError(`${reply}, command was: ["EVAL","local state_key = KEYS[1] ...",9,"visitor-1"]`),
  ];
}

describe("the classifier", () => {
  it("calls a Lua error, a compile error, an error raised inside a script and NOSCRIPT script errors", () => {
    for (const reply of [
      `ERR user_script:1: boom script: ${SHA}, on @user_script:1.`,
      `ERR user_script:3: Script attempted to access nonexistent global variable 'x' script: ${SHA}, on @user_script:3.`,
      "ERR Error compiling script (new function): user_script:1: '=' expected near '<eof>'",
      "ERR Error running script (call to f_0123): @user_script:1: user_script:1: boom",
      `WRONGTYPE Operation against a key holding the wrong kind of value script: ${SHA}, on @user_script:25.`,
      `X script: ${SHA}, on @user_script:1.`,
      "NOSCRIPT No matching script. Please use EVAL.",
    ]) {
      for (const error of upstash(reply)) {
        const failure = storeFailure("JOIN", new TransportFailure(error));
        expect(failure, error.message).toMatchObject({ kind: "unavailable", failure: "script_error" });
        // Named by script, in Redis's words, without the command Upstash appends (script source, visitor ids).
        expect(failure.reason).toMatch(/^JOIN: UpstashError: /);
        expect(failure.reason).not.toContain("command was");
      }
    }
  });

  it("calls a store that cannot answer an outage: refused, timed out, 5xx, unreadable body, busy, refused token", () => {
    const refused = new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
    const cases: [unknown, string][] = [
      [refused, "TypeError: fetch failed (connect ECONNREFUSED 127.0.0.1:9)"],
      [new DOMException("The operation was aborted due to timeout", "TimeoutError"), "TimeoutError: The operation"],
      [new errors.UpstashJSONParseError("<html>502 Bad Gateway</html>"), "UpstashJSONParseError: Unable to parse"],
      [new TypeError("Request did not return a result"), "TypeError: Request did not return a result"],
    ];
    for (const [reply, reason] of [
      ["Redis at 127.0.0.1:6379 is unavailable (connection end)", "Redis at 127.0.0.1:6379"],
      ["BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.", "BUSY"],
      ["WRONGPASS invalid or missing auth token", "WRONGPASS"],
    ]) {
      for (const error of upstash(reply ?? "")) cases.push([error, reason ?? ""]);
    }
    for (const [error, reason] of cases) {
      const failure = storeFailure("TICK", new TransportFailure(error));
      expect(failure, reason).toMatchObject({ kind: "unavailable", failure: "outage" });
      expect(failure.reason, reason).toContain(reason);
      expect(failure.reason).not.toContain("command was");
    }
  });

  it("calls anything thrown while reading a reply a script error, whatever it says", () => {
    const failure = storeFailure("TICK", new TypeError("fetch failed"));
    expect(failure).toEqual({
      kind: "unavailable",
      failure: "script_error",
      reason: "TICK reply unreadable: TypeError: fetch failed",
    });
  });

  it("keeps a reason to one bounded line", () => {
    const failure = storeFailure("JOIN", new TransportFailure(new Error(`a\n${"b".repeat(1000)}`)));
    expect(failure.reason.length).toBeLessThanOrEqual(300);
    expect(failure.reason).not.toContain("\n");
  });

  it("finds a NaN anywhere in a mapped outcome, and lets Infinity and null be", () => {
    const fine = { kind: "state", state: { frontier: 1, ceiling: Number.POSITIVE_INFINITY }, settings: { max: null } };
    expect(checkedOutcome("TICK", fine)).toBe(fine);
    expect(checkedOutcome("TICK", { kind: "history", minutes: [{ minute: 1, admitted: Number.NaN }] })).toMatchObject({
      failure: "script_error",
      reason: "TICK reply unreadable: a field is missing or not a number",
    });
  });
});

/** A ScriptClient whose every script resolves (or rejects) with what the test says. */
function answering(reply: () => Promise<unknown>): ScriptClient & { calls: number } {
  const client = {
    calls: 0,
    createScript<T>() {
      return {
        exec: () => {
          client.calls += 1;
          return reply() as Promise<T>;
        },
      };
    },
  };
  return client;
}

describe("RedisStore, given a reply its mapping cannot read", () => {
  it("reports a script error, not an outage: an unknown outcome, a short reply, a reply of the wrong type", async () => {
    const spec = room(60);
    const unknown = new RedisStore(
      answering(async () => ["x"]),
      { now: () => T0 },
    );
    expect(await unknown.join(spec, newArrival())).toEqual({
      kind: "unavailable",
      failure: "script_error",
      reason: 'JOIN reply unreadable: unknown outcome "x"',
    });
    const short = new RedisStore(
      answering(async () => [1, 2, 3]),
      { now: () => T0 },
    );
    for (const outcome of [
      await short.tick(spec),
      await short.join(spec, newArrival()),
      await short.claim(spec, 1, "v"),
    ]) {
      expect(outcome).toMatchObject({ kind: "unavailable", failure: "script_error" });
    }
    const nothing = new RedisStore(
      answering(async () => null),
      { now: () => T0 },
    );
    expect(await nothing.history(spec)).toMatchObject({ failure: "script_error", reason: /^HISTORY reply unreadable/ });
    expect(await nothing.tick(spec)).toMatchObject({ failure: "script_error", reason: /^TICK reply unreadable/ });
    const event = { id: "e", seq: 1, startsAt: T0 };
    const badCounts = new RedisStore(
      answering(async () => ["1", JSON.stringify([event]), 1, "many", 0]),
      { now: () => T0 },
    );
    expect(await badCounts.events(spec)).toMatchObject({ failure: "script_error", reason: /^EVENTS_READ reply/ });
    // A stored list the worker cannot read is data, not a broken reply: read as empty and reported (stored-values.test.ts).
    const reported: string[] = [];
    const notJson = new RedisStore(
      answering(async () => ["1", "{not json"]),
      { now: () => T0, unreadable: (reason) => reported.push(reason) },
    );
    expect(await notJson.events(spec)).toEqual({ kind: "events", events: [], version: "1" });
    expect(reported).toEqual(["EVENTS_READ: the events list is not JSON; read as empty"]);
  });

  it("and an outage when the call itself fails", async () => {
    const down = new RedisStore(
      answering(() => Promise.reject(new TypeError("fetch failed"))),
      { now: () => T0 },
    );
    expect(await down.join(room(60), newArrival())).toEqual({
      kind: "unavailable",
      failure: "outage",
      reason: "TypeError: fetch failed",
    });
  });
});

describe("against real endpoints", () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(null));
    server = null;
  });

  /** The suite's Redis, through the bridge, but every script replaced: what a broken Lua edit looks like. */
  function brokenScripts(lua: string): ScriptClient {
    const redis = redisClient();
    return { createScript: <T>() => redis.createScript<T>(lua) };
  }

  it("a Lua error raised in real Redis is a script error naming the script and the line", async () => {
    const store = new RedisStore(brokenScripts("error('deliberate failure for the test')"), { now: () => T0 });
    const failure = await store.join(room(60), newArrival());
    expect(failure).toMatchObject({ kind: "unavailable", failure: "script_error" });
    if (failure.kind !== "unavailable") return;
    expect(failure.reason).toMatch(/^JOIN: UpstashError: .*ERR user_script:1: deliberate failure for the test/);
    // A script that does not compile, and one calling a command that does not exist, are script errors too.
    for (const lua of ["return (", "return redis.call('NOT_A_COMMAND')"]) {
      const broken = new RedisStore(brokenScripts(lua), { now: () => T0 });
      expect(await broken.tick(room(60)), lua).toMatchObject({ failure: "script_error" });
    }
  });

  it("a real reply of the wrong shape is a script error", async () => {
    const store = new RedisStore(brokenScripts("return {'x'}"), { now: () => T0 });
    expect(await store.join(room(60), newArrival())).toMatchObject({
      failure: "script_error",
      reason: /unknown outcome "x"/,
    });
    expect(await store.tick(room(60))).toMatchObject({ failure: "script_error", reason: /^TICK reply unreadable/ });
  });

  it("a dead endpoint (a closed port) is an outage", async () => {
    const port = await closedPort();
    const store = new RedisStore(connectRedis({ url: `http://127.0.0.1:${port}`, token: "x", timeoutMs: 500 }));
    const failure = await store.tick(room(60));
    expect(failure).toMatchObject({ kind: "unavailable", failure: "outage" });
    if (failure.kind === "unavailable") expect(failure.reason).toMatch(/ECONNREFUSED/);
  });

  it("a REST endpoint answering 5xx, with JSON or with a proxy's HTML page, is an outage", async () => {
    for (const [type, body] of [
      ["application/json", JSON.stringify({ error: "Service Unavailable" })],
      ["text/html", "<html><body>502 Bad Gateway</body></html>"],
    ]) {
      server = createServer((_req, res) => {
        res.writeHead(type === "text/html" ? 502 : 503, { "content-type": type });
        res.end(body);
      });
      await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const store = new RedisStore(connectRedis({ url, token: "x", timeoutMs: 500 }), { now: () => T0 });
      expect(await store.join(room(60), newArrival()), type).toMatchObject({ kind: "unavailable", failure: "outage" });
      await new Promise((resolve) => server?.close(resolve));
      server = null;
    }
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
