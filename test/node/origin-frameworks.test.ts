// Passes minted by the real worker (wrangler dev, workerd) verified through
// each origin-adapter wrapper mounted in its real framework over loopback
// HTTP: Express as the worker's actual origin, Fastify and Hono on
// @hono/node-server beside it, and the Next.js helper with real NextRequests.
// Every wrapper fetches the worker's real /__anteroom/jwks.json.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { Hono } from "hono";
import { decodeJwt, type JSONWebKeySet } from "jose";
import { NextRequest } from "next/server.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anteroom as expressAnteroom } from "../../origin-adapter/express.ts";
import { anteroom as fastifyAnteroom } from "../../origin-adapter/fastify.ts";
import { type AnteroomVariables, anteroom as honoAnteroom } from "../../origin-adapter/hono.ts";
import {
  type AdmissionResult,
  createAdmissionVerifier,
  DENY_BODY,
  type GuardOptions,
  PASS_COOKIE,
  PASS_HEADER,
  RELEASE_HEADER,
  releaseAdmission,
} from "../../origin-adapter/index.ts";
import { type AnteroomNextRequest, anteroom as nextAnteroom } from "../../origin-adapter/next.ts";
import { freePort, type Stack, startStack } from "../../tools/stack.ts";
import { type TestKey, testKey, workerPass } from "../support/passes.ts";

/** What every test app's handler answers: what reached it. */
interface Seen {
  ok: boolean;
  sub?: string;
  room?: string;
  code?: string;
  path: string;
}

function seen(result: AdmissionResult | undefined, path: string): Seen {
  if (!result) return { ok: false, code: "no result attached", path };
  return result.ok
    ? { ok: true, sub: result.claims.sub, room: result.claims.room, path }
    : { ok: false, code: result.code, path };
}

let signing: TestKey;
let previous: TestKey;
let stack: Stack;
let jwksUrl: string;
/** A pass the real worker issued (from its Set-Cookie), and its claims. */
let pass: string;
let passSub: string;
const closers: (() => Promise<unknown>)[] = [];

/** The three failure modes, as each app mounts them: /deny/*, /through/*, everything else redirects. */
function modes(roomUrl: string): Record<"deny" | "through" | "redirect", GuardOptions> {
  return {
    deny: { jwksUrl, onFailure: "deny", denyStatus: 429 },
    through: { jwksUrl, onFailure: "pass-through" },
    redirect: { jwksUrl, onFailure: "redirect", waitingRoomUrl: roomUrl },
  };
}

async function listen(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startExpress(roomUrl: string): Promise<string> {
  const app = express();
  const handler: express.RequestHandler = (req, res) => {
    res.json(seen(req.anteroom, req.originalUrl));
  };
  const m = modes(roomUrl);
  // Checkout done: the origin ends the visitor's session in the room (early release).
  app.post("/checkout/done", expressAnteroom(m.deny), (req, res) => {
    releaseAdmission(res, "checkout");
    handler(req, res, () => {});
  });
  app.use("/deny", expressAnteroom(m.deny), handler);
  app.use("/through", expressAnteroom(m.through), handler);
  app.use(expressAnteroom(m.redirect), handler);
  const server = app.listen(0, "127.0.0.1");
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return listen(server);
}

async function startFastify(roomUrl: string): Promise<string> {
  const app: FastifyInstance = Fastify();
  const m = modes(roomUrl);
  for (const [prefix, options] of [
    ["/deny", m.deny],
    ["/through", m.through],
    ["", m.redirect],
  ] as const) {
    await app.register(
      async (scope) => {
        scope.addHook("onRequest", fastifyAnteroom(options));
        scope.get("/*", async (request) => seen(request.anteroom, request.url));
      },
      { prefix },
    );
  }
  closers.push(() => app.close());
  return app.listen({ port: 0, host: "127.0.0.1" });
}

async function startHono(roomUrl: string): Promise<string> {
  const m = modes(roomUrl);
  const scoped = (options: GuardOptions) => {
    const sub = new Hono<{ Variables: AnteroomVariables }>();
    sub.use(honoAnteroom(options));
    sub.get("/*", (c) => c.json(seen(c.var.anteroom, new URL(c.req.url).pathname + new URL(c.req.url).search)));
    return sub;
  };
  const app = new Hono();
  app.route("/deny", scoped(m.deny));
  app.route("/through", scoped(m.through));
  app.route("/", scoped(m.redirect));
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return listen(server);
}

beforeAll(async () => {
  signing = await testKey();
  previous = await testKey();
  // The worker's port is chosen first: the origin must know the JWKS URL before the worker starts.
  const workerPort = await freePort();
  const roomUrl = `http://127.0.0.1:${workerPort}`;
  jwksUrl = `${roomUrl}/__anteroom/jwks.json`;
  const expressUrl = await startExpress(roomUrl);
  stack = await startStack({
    env: {
      PORT: String(workerPort),
      ORIGIN_URL: expressUrl,
      PASS_SIGNING_KEYS: JSON.stringify([signing.privateJwk, previous.privateJwk]),
      TICKET_SECRET: "t".repeat(40),
      ADMIT_PER_MINUTE: "6000",
      // One cookie-less request mints the pass below; the cookie check has its own tests.
      COOKIE_CHECK: "off",
    },
  });
  closers.push(() => stack.stop());
  // Neither REDIS_URL nor a REST URL: `npm start`'s own store, the Lua scripts on the embedded engine.
  expect(stack.store).toEqual({ kind: "embedded" });
  // An idle room admits the first newcomer at once: the worker proxies to the Express origin and sets the pass.
  const response = await fetch(`${stack.url}/`, { redirect: "manual" });
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${PASS_COOKIE}=`));
  if (response.status !== 200 || !cookie) {
    throw new Error(`worker did not admit: ${response.status} ${await response.text()}`);
  }
  pass = cookie.slice(PASS_COOKIE.length + 1).split(";")[0] ?? "";
  passSub = String(decodeJwt(pass).sub);
  const body = (await response.json()) as Seen;
  // Through the worker: Express verified the pass the worker forwarded, against the worker's JWKS.
  expect(body).toEqual({ ok: true, sub: passSub, room: "default", path: "/" });
  apps.express = expressUrl;
  apps.fastify = await startFastify(roomUrl);
  apps.hono = await startHono(roomUrl);
}, 90_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});

const apps: Record<"express" | "fastify" | "hono", string> = { express: "", fastify: "", hono: "" };

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, redirect: "manual" });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Seen };
}

describe("the real worker", () => {
  it("forwards its pass to the origin, which verified it (Express, through the room)", async () => {
    const response = await get(`${stack.url}/account`, { cookie: `${PASS_COOKIE}=${pass}` });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ok: true, sub: passSub, room: "default", path: "/account" });
  });

  it("ends a session the origin releases (releaseAdmission in Express): header stripped, pass cleared and refused", async () => {
    const admitted = await fetch(`${stack.url}/`, { redirect: "manual" });
    const cookie = admitted.headers.getSetCookie().find((c) => c.startsWith(`${PASS_COOKIE}=`)) ?? "";
    const ownPass = cookie.slice(PASS_COOKIE.length + 1).split(";")[0] ?? "";
    const ownSub = String(decodeJwt(ownPass).sub);
    const done = await fetch(`${stack.url}/checkout/done`, {
      method: "POST",
      headers: { cookie: `${PASS_COOKIE}=${ownPass}` },
      redirect: "manual",
    });
    expect(done.status).toBe(200);
    expect(((await done.json()) as Seen).sub).toBe(ownSub);
    expect(done.headers.get(RELEASE_HEADER)).toBeNull();
    expect(done.headers.getSetCookie().some((c) => c.startsWith(`${PASS_COOKIE}=;`))).toBe(true);
    // The released pass comes back: the worker does not forward it; its holder is a newcomer (let in anew here).
    const again = await get(`${stack.url}/account`, { cookie: `${PASS_COOKIE}=${ownPass}` });
    expect(again.status).toBe(200);
    expect(again.json().sub).not.toBe(ownSub);
  });

  it("releaseAdmission sets the header on Fetch Headers, Hono's context and Fastify's reply alike", async () => {
    const headers = new Headers();
    releaseAdmission(headers);
    expect(headers.get(RELEASE_HEADER)).toBe("session-complete");
    const app = new Hono();
    app.get("/", (c) => {
      releaseAdmission(c, "logout");
      return c.text("bye");
    });
    expect((await app.request("/")).headers.get(RELEASE_HEADER)).toBe("logout");
    const fastify = Fastify();
    fastify.get("/", async (_request, reply) => {
      releaseAdmission(reply);
      return "bye";
    });
    expect((await fastify.inject({ url: "/" })).headers[RELEASE_HEADER]).toBe("session-complete");
    await fastify.close();
    expect(() => releaseAdmission(headers, "x\r\nset-cookie: y")).toThrow(TypeError);
  });

  it("publishes the signing key and the previous one, with caching headers", async () => {
    const response = await fetch(jwksUrl);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=60");
    const { keys } = (await response.json()) as JSONWebKeySet;
    expect(keys.map((k) => k.kid)).toEqual([signing.kid, previous.kid]);
    expect(keys.every((k) => k.d === undefined)).toBe(true);
  });
});

describe.each(["express", "fastify", "hono"] as const)("%s wrapper over loopback HTTP", (name) => {
  const base = () => apps[name];

  it("admits the worker's pass from the anteroom-pass header, and the claims reach the handler", async () => {
    const response = await get(`${base()}/account?step=2`, { [PASS_HEADER]: pass });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ok: true, sub: passSub, room: "default", path: "/account?step=2" });
  });

  it("admits the worker's pass from the anteroom_pass cookie", async () => {
    const response = await get(`${base()}/deny/x`, { cookie: `theme=dark; ${PASS_COOKIE}=${pass}` });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, sub: passSub });
  });

  it("redirect: sends a browser without a pass to the room, same path and query, uncached", async () => {
    const response = await get(`${base()}/account?step=2`);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${stack.url}/account?step=2`);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("redirect: a refused pass in the worker's header is denied, not looped back to the room", async () => {
    const forged = `${pass.slice(0, pass.lastIndexOf(".") + 1)}AAAA`;
    const response = await get(`${base()}/account`, { [PASS_HEADER]: forged });
    expect(response.status).toBe(403);
    expect(response.headers.get("location")).toBeNull();
  });

  it("deny: answers the configured 429 with a plain body", async () => {
    const response = await get(`${base()}/deny/x`, { cookie: `${PASS_COOKIE}=garbage` });
    expect(response.status).toBe(429);
    expect(response.text).toBe(DENY_BODY);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("pass-through: the handler gets the failure result", async () => {
    const response = await get(`${base()}/through/x`);
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ok: false, code: "missing", path: "/through/x" });
    const expired = await workerPass(signing, { nowMs: Date.now() - 3_600_000 });
    expect((await get(`${base()}/through/x`, { [PASS_HEADER]: expired })).json()).toMatchObject({
      ok: false,
      code: "expired",
    });
  });
});

describe("Next.js helper with real NextRequests", () => {
  const room = () => stack.url;

  it("returns undefined and attaches the claims for the worker's pass (header or cookie)", async () => {
    const guard = nextAnteroom({ jwksUrl, onFailure: "redirect", waitingRoomUrl: room() });
    for (const headers of [{ [PASS_HEADER]: pass }, { cookie: `${PASS_COOKIE}=${pass}` }]) {
      const request = new NextRequest("http://origin.test/account?step=2", { headers });
      expect(await guard(request)).toBeUndefined();
      expect((request as AnteroomNextRequest).anteroom).toMatchObject({ ok: true, claims: { sub: passSub } });
    }
  });

  it("redirect, deny and pass-through", async () => {
    const redirect = await nextAnteroom({ jwksUrl, onFailure: "redirect", waitingRoomUrl: room() })(
      new NextRequest("http://origin.test/account?step=2"),
    );
    expect(redirect?.status).toBe(302);
    expect(redirect?.headers.get("location")).toBe(`${stack.url}/account?step=2`);
    expect(redirect?.headers.get("cache-control")).toBe("private, no-store");

    const deny = await nextAnteroom({ jwksUrl })(
      new NextRequest("http://origin.test/", { headers: { [PASS_HEADER]: "x" } }),
    );
    expect(deny?.status).toBe(403);
    expect(await deny?.text()).toBe(DENY_BODY);

    const request = new NextRequest("http://origin.test/");
    expect(await nextAnteroom({ jwksUrl, onFailure: "pass-through" })(request)).toBeUndefined();
    expect((request as AnteroomNextRequest).anteroom).toEqual({ ok: false, code: "missing" });
  });
});

describe("rotation against the real worker", () => {
  it("a pass signed by the previous key verifies while the worker publishes it, and is unknown_key once removed", async () => {
    const oldPass = await workerPass(previous, { visitor: "old-visitor" });
    expect(await createAdmissionVerifier({ jwksUrl }).verify(oldPass)).toMatchObject({ ok: true });
    const published = (await (await fetch(jwksUrl)).json()) as JSONWebKeySet;
    const withoutPrevious = { keys: published.keys.filter((k) => k.kid !== previous.kid) };
    const after = createAdmissionVerifier({ jwks: withoutPrevious });
    expect(await after.verify(oldPass)).toEqual({ ok: false, code: "unknown_key" });
    expect((await after.verify(pass)).ok).toBe(true);
  });
});
