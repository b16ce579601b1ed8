// The remote key source against a real JWKS server on loopback that counts
// its requests: caching, the cooldown on unknown kids (no thundering herd),
// the endpoint down or slow (jwks_unavailable quickly, then recovery), and
// key rotation as the worker publishes it.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JSONWebKeySet } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AdmissionVerifierOptions, createAdmissionVerifier } from "../../origin-adapter/index.ts";
import { freePort } from "../../tools/stack.ts";
import { b64url, passClaims, strangerToken, type TestKey, testKey, workerPass } from "../support/passes.ts";

/** A JWKS endpoint whose behaviour and key set the test changes as it goes. */
interface JwksServer {
  url: string;
  requests: number;
  mode: "ok" | "hang" | "500" | "html";
  keys: JSONWebKeySet;
  close(): Promise<void>;
}

async function startJwksServer(keys: JSONWebKeySet): Promise<JwksServer> {
  const hanging = new Set<ServerResponse>();
  const state = { requests: 0, mode: "ok" as JwksServer["mode"], keys };
  const server: Server = createServer((_, res) => {
    state.requests++;
    if (state.mode === "hang") {
      hanging.add(res);
    } else if (state.mode === "500") {
      res.writeHead(500).end("down");
    } else if (state.mode === "html") {
      res.writeHead(200, { "content-type": "text/html" }).end("<html>");
    } else {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "public, max-age=300" });
      res.end(JSON.stringify(state.keys));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/__anteroom/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as JwksServer;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work;
  return [value, performance.now() - start];
}

let current: TestKey;
let previous: TestKey;
let jwks: JwksServer;

beforeAll(async () => {
  current = await testKey();
  previous = await testKey();
  jwks = await startJwksServer({ keys: [] });
});
afterAll(() => jwks.close());
beforeEach(() => {
  jwks.requests = 0;
  jwks.mode = "ok";
  jwks.keys = { keys: [...current.jwks.keys] };
});

const remote = (options: Partial<AdmissionVerifierOptions> = {}) =>
  createAdmissionVerifier({ jwksUrl: jwks.url, ...options });

describe("a remote JWKS", () => {
  it("is fetched once and cached", async () => {
    const verifier = remote();
    for (let i = 0; i < 20; i++) expect((await verifier.verify(await workerPass(current))).ok).toBe(true);
    expect(jwks.requests).toBe(1);
  });

  it("is not fetched for tokens refused before any key is needed", async () => {
    const verifier = remote();
    const refused = [
      "garbage",
      "a".repeat(100 * 1024),
      `${b64url({ alg: "none", kid: "k" })}.${b64url(passClaims())}.`,
      `${b64url({ alg: "HS256", kid: current.kid })}.${b64url(passClaims())}.c2ln`,
      `${b64url({ alg: "ES256" })}.${b64url(passClaims())}.c2ln`,
    ];
    for (const token of refused) expect((await verifier.verify(token)).ok).toBe(false);
    expect(jwks.requests).toBe(0);
  });

  it("a burst of unknown kids costs one fetch, then none until the cooldown ends", async () => {
    const verifier = remote({ jwksCooldownMs: 300 });
    const burst = () => Promise.all(Array.from({ length: 50 }, (_, i) => strangerToken(`forged-${i}`)));
    const first = await Promise.all((await burst()).map((token) => verifier.verify(token)));
    expect(first.every((result) => !result.ok && result.code === "unknown_key")).toBe(true);
    expect(jwks.requests).toBe(1);
    await Promise.all((await burst()).map((token) => verifier.verify(token)));
    expect(jwks.requests).toBe(1);
    // After the cooldown, an unknown kid may be a new key: one shared re-fetch for the next burst.
    await sleep(350);
    await Promise.all((await burst()).map((token) => verifier.verify(token)));
    expect(jwks.requests).toBe(2);
  });

  it("down (connection refused) gives jwks_unavailable quickly, then works once it is back", async () => {
    const port = await freePort();
    const verifier = createAdmissionVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, jwksRetryMs: 200 });
    const token = await workerPass(current);
    const [result, ms] = await timed(verifier.verify(token));
    expect(result).toEqual({ ok: false, code: "jwks_unavailable" });
    expect(ms).toBeLessThan(1000);
    // Within the retry delay the answer needs no I/O at all.
    const [again, msAgain] = await timed(verifier.verify(token));
    expect(again).toEqual({ ok: false, code: "jwks_unavailable" });
    expect(msAgain).toBeLessThan(20);
    // Bring an endpoint up on that port: after the retry delay, verification works.
    const server = createServer((_, res) => res.end(JSON.stringify(current.jwks)));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      await sleep(250);
      expect((await verifier.verify(token)).ok).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("slow (never answers) gives jwks_unavailable after the timeout, with one fetch for a burst, then recovers", async () => {
    jwks.mode = "hang";
    const verifier = remote({ jwksTimeoutMs: 300, jwksRetryMs: 500 });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => workerPass(current)));
    const [results, ms] = await timed(Promise.all(tokens.map((token) => verifier.verify(token))));
    expect(results.every((result) => !result.ok && result.code === "jwks_unavailable")).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(1500);
    expect(jwks.requests).toBe(1);
    // Still hanging: requests in the retry window answer at once and do not pile onto the endpoint.
    const [later, laterMs] = await timed(Promise.all(tokens.map((token) => verifier.verify(token))));
    expect(later.every((result) => !result.ok && result.code === "jwks_unavailable")).toBe(true);
    expect(laterMs).toBeLessThan(50);
    expect(jwks.requests).toBe(1);
    // Back: the first request after the retry window fetches once and everyone is admitted again.
    jwks.mode = "ok";
    await sleep(550);
    const recovered = await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(recovered.every((result) => result.ok)).toBe(true);
    expect(jwks.requests).toBe(2);
  });

  it("answering 500 or something that is not a JWKS gives jwks_unavailable", async () => {
    const token = await workerPass(current);
    jwks.mode = "500";
    expect(await remote().verify(token)).toEqual({ ok: false, code: "jwks_unavailable" });
    jwks.mode = "html";
    expect(await remote().verify(token)).toEqual({ ok: false, code: "jwks_unavailable" });
    jwks.mode = "ok";
    jwks.keys = { nope: true } as never;
    expect(await remote().verify(token)).toEqual({ ok: false, code: "jwks_unavailable" });
  });

  it("can be fetched through a custom fetch (a Workers service binding, say)", async () => {
    const calls: string[] = [];
    const verifier = remote({
      fetch: (input, init) => {
        calls.push(String(input));
        return fetch(input, init);
      },
    });
    expect((await verifier.verify(await workerPass(current))).ok).toBe(true);
    expect(calls).toEqual([jwks.url]);
  });
});

describe("key rotation through the JWKS", () => {
  it("a new key is picked up at once; an old key's passes verify while it is published and fail after", async () => {
    const verifier = remote({ jwksCooldownMs: 100, jwksCacheMaxAgeMs: 200 });
    jwks.keys = { keys: [...previous.jwks.keys] };
    const oldPass = await workerPass(previous);
    expect((await verifier.verify(oldPass)).ok).toBe(true);
    // Step 1: the new key is added and signs; the old one stays published.
    jwks.keys = { keys: [...current.jwks.keys, ...previous.jwks.keys] };
    await sleep(120); // past the cooldown, still inside the cache age: an unknown kid triggers the re-fetch
    const newPass = await workerPass(current);
    expect((await verifier.verify(newPass)).ok).toBe(true);
    expect((await verifier.verify(oldPass)).ok).toBe(true);
    expect(jwks.requests).toBe(2);
    // Step 2, one session later: the old key is dropped. Once the cache has aged out it no longer verifies.
    jwks.keys = { keys: [...current.jwks.keys] };
    await sleep(250);
    expect(await verifier.verify(oldPass)).toEqual({ ok: false, code: "unknown_key" });
    expect((await verifier.verify(newPass)).ok).toBe(true);
  });

  it("with inline keys, the old key verifies while listed and is unknown_key once removed", async () => {
    const oldPass = await workerPass(previous);
    const both = createAdmissionVerifier({ jwks: { keys: [...current.jwks.keys, ...previous.jwks.keys] } });
    expect((await both.verify(oldPass)).ok).toBe(true);
    expect((await both.verify(await workerPass(current))).ok).toBe(true);
    const after = createAdmissionVerifier({ jwks: current.jwks });
    expect(await after.verify(oldPass)).toEqual({ ok: false, code: "unknown_key" });
  });
});
