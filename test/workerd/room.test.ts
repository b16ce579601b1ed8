import { createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { redisCalls, signingKeys, testRoom, Visitor } from "./helpers.ts";

interface Echo {
  method: string;
  path: string;
  pass: string | null;
  host: string | null;
  cookie: string | null;
  forwardedHost: string | null;
  body: string;
}

interface QueuedBody {
  state: "queued" | "admitted";
  position: number;
  ahead: number;
  etaSeconds: number;
  refreshSeconds: number;
  retryAfter?: number;
}

describe("a newcomer to an idle room", () => {
  it("goes straight in, with a pass cookie and the pass forwarded to the origin", async () => {
    const room = await testRoom();
    const visitor = new Visitor();
    const res = await room.request(visitor, "/api/echo");
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(visitor.cookies.has("anteroom_pass")).toBe(true);
    expect(visitor.cookies.has("anteroom_ticket")).toBe(false);
    expect(echo.pass).toBe(visitor.cookies.get("anteroom_pass"));
  });

  it("then browses with zero Redis commands while the pass is valid", async () => {
    const room = await testRoom();
    const visitor = new Visitor();
    await room.request(visitor, "/");
    const before = await redisCalls();
    for (let i = 0; i < 20; i++) expect((await room.request(visitor, `/page-${i}`)).status).toBe(404);
    expect((await room.request(visitor, "/")).status).toBe(200);
    expect(await redisCalls()).toBe(before);
  });
});

describe("under load", () => {
  it("queues newcomers past the rate, shows browsers the holding page and API clients 429 JSON", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60" });
    const first = new Visitor();
    expect((await room.request(first, "/")).status).toBe(200);

    const browser = new Visitor();
    const page = await room.request(browser, "/register");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain("You are in line");
    expect(html).toContain('id="anteroom-position">2<');
    expect(browser.cookies.has("anteroom_ticket")).toBe(true);

    const api = new Visitor("application/json");
    const res = await room.request(api, "/api/echo", { method: "POST", body: "{}" });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as QueuedBody;
    expect(body).toMatchObject({ state: "queued", position: 3, ahead: 1 });
    expect(body.etaSeconds).toBeGreaterThan(0);
    expect(res.headers.get("retry-after")).toBe(String(body.retryAfter));
  });

  it("admits the waiting visitors in order as time passes, at the configured rate", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60" });
    const visitors = Array.from({ length: 12 }, () => new Visitor("application/json"));
    for (const visitor of visitors) await room.request(visitor, "/api/echo");
    const positions = [];
    for (const visitor of visitors.slice(1)) {
      const status = (await (await room.request(visitor, "/__anteroom/status")).json()) as QueuedBody;
      positions.push(status.position);
    }
    expect(positions).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

    const admittedAt = new Map<number, number>();
    for (let second = 1; second <= 15; second++) {
      room.advance(1000);
      // Poll in reverse arrival order: nobody may get in ahead of an earlier arrival anyway.
      for (const [index, visitor] of [...visitors.entries()].slice(1).reverse()) {
        if (admittedAt.has(index + 1)) continue;
        const status = (await (await room.request(visitor, "/__anteroom/status")).json()) as QueuedBody;
        if (status.state === "admitted") {
          expect(status.position).toBe(index + 1);
          admittedAt.set(status.position, second);
        }
      }
    }
    // 60/min is one a second: position p (p >= 2) is admitted p - 1 seconds in.
    expect([...admittedAt].sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 11 }, (_, i) => [i + 2, i + 1]));
    for (const visitor of visitors) {
      const res = await room.request(visitor, "/api/echo");
      expect(res.status).toBe(200);
      expect(visitor.cookies.has("anteroom_ticket")).toBe(false);
    }
  });

  it("lets a waiting browser in on its next page load once its turn comes", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60" });
    await room.request(new Visitor(), "/");
    const visitor = new Visitor();
    expect((await room.request(visitor, "/register")).headers.get("content-type")).toContain("text/html");
    room.advance(1500);
    const res = await room.request(visitor, "/register");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<h1>Register</h1>");
    expect(visitor.cookies.has("anteroom_pass")).toBe(true);
  });
});

describe("GET /__anteroom/status", () => {
  it("returns the contract fields for a waiting visitor and sets the pass cookie once admitted", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60" });
    await room.request(new Visitor(), "/");
    const visitor = new Visitor();
    await room.request(visitor, "/");
    const queued = await room.request(visitor, "/__anteroom/status");
    expect(queued.headers.get("cache-control")).toBe("no-store");
    const body = (await queued.json()) as QueuedBody;
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(["state", "position", "ahead", "etaSeconds", "refreshSeconds"]),
    );
    expect(body).toMatchObject({ state: "queued", position: 2, ahead: 0 });
    room.advance(1000);
    const admitted = await room.request(visitor, "/__anteroom/status");
    expect(await admitted.json()).toMatchObject({ state: "admitted", position: 2 });
    expect(admitted.headers.getSetCookie().some((c) => c.startsWith("anteroom_pass="))).toBe(true);
  });
});

describe("passes", () => {
  it("are ES256 JWTs with the documented claims, verifiable with the published JWKS", async () => {
    const room = await testRoom();
    const visitor = new Visitor();
    await room.request(visitor, "/");
    const jwksRes = await room.request(new Visitor(), "/__anteroom/jwks.json");
    expect(jwksRes.headers.get("cache-control")).toContain("max-age");
    const jwks = (await jwksRes.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys[0]).not.toHaveProperty("d");
    const { payload, protectedHeader } = await jwtVerify(
      visitor.cookies.get("anteroom_pass") ?? "",
      createLocalJWKSet(jwks as never),
      { algorithms: ["ES256"], issuer: "anteroom", audience: "anteroom-origin", currentDate: new Date(room.now()) },
    );
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: "test-key" });
    expect(payload).toMatchObject({ room: room.env.ROOM, exp: (payload.iat ?? 0) + 600, nbf: payload.iat });
    expect(typeof payload.sub).toBe("string");
    expect(typeof payload.jti).toBe("string");
  });

  it("are renewed once half their life is gone (sliding session)", async () => {
    const room = await testRoom({ SESSION_MINUTES: "10" });
    const visitor = new Visitor();
    await room.request(visitor, "/");
    const original = visitor.cookies.get("anteroom_pass");
    room.advance(60_000);
    const early = await room.request(visitor, "/");
    expect(early.headers.getSetCookie()).toEqual([]);
    room.advance(5 * 60_000);
    const late = await room.request(visitor, "/");
    expect(late.status).toBe(200);
    expect(visitor.cookies.get("anteroom_pass")).not.toBe(original);
  });

  it("are refused when expired: the holder queues like a newcomer", async () => {
    const room = await testRoom({ SESSION_MINUTES: "1" });
    const visitor = new Visitor("application/json");
    await room.request(visitor, "/");
    await room.request(new Visitor(), "/"); // someone else takes the burst
    room.advance(2 * 60_000 + 1);
    await room.request(new Visitor(), "/"); // and the next one, after the idle stretch
    const res = await room.request(visitor, "/api/echo");
    expect(res.status).toBe(429);
  });

  it("are refused when signed by another key", async () => {
    const room = await testRoom();
    await room.request(new Visitor(), "/");
    const other = await testRoom({ PASS_SIGNING_KEYS: await signingKeys("test-key") });
    const stranger = new Visitor("application/json");
    await other.request(stranger, "/");
    const forged = stranger.cookies.get("anteroom_pass") ?? "";
    const visitor = new Visitor("application/json");
    const res = await room.request(visitor, "/api/echo", { headers: { cookie: `anteroom_pass=${forged}` } });
    expect(res.status).toBe(429);
  });
});

describe("bad input never gets a 5xx and never moves anyone forward", () => {
  it("treats a forged ticket as new: back of the queue", async () => {
    const room = await testRoom();
    await room.request(new Visitor(), "/");
    const forger = new Visitor("application/json");
    const forged = await new SignJWT({ room: room.env.ROOM, pos: 1, f0: 0 })
      .setProtectedHeader({ alg: "HS256", typ: "anteroom-ticket+jwt" })
      .setIssuer("anteroom")
      .setAudience("anteroom:ticket")
      .setSubject("me")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-secret-not-the-secret-not-the-secret"));
    const res = await room.request(forger, "/api/echo", { headers: { cookie: `anteroom_ticket=${forged}` } });
    expect(res.status).toBe(429);
    expect(((await res.json()) as QueuedBody).position).toBe(2);
  });

  it("treats a ticket from another room as new", async () => {
    const a = await testRoom();
    const b = await testRoom({ ROOM: `${a.env.ROOM}-b` });
    await a.request(new Visitor(), "/");
    const visitor = new Visitor("application/json");
    await a.request(visitor, "/");
    expect(visitor.cookies.has("anteroom_ticket")).toBe(true);
    await b.request(new Visitor(), "/");
    await b.request(new Visitor(), "/");
    await b.request(new Visitor(), "/");
    const res = await b.request(visitor, "/api/echo");
    expect(((await res.json()) as QueuedBody).position).toBe(4);
  });

  it("handles garbage and oversized cookies and headers", async () => {
    const room = await testRoom();
    const cookies = [
      "anteroom_ticket=garbage; anteroom_pass=also.garbage.here",
      `anteroom_pass=${"a".repeat(6000)}`,
      `anteroom_ticket=${"eyJ".repeat(3000)}`,
      "anteroom_ticket=%E0%A4%A; anteroom_pass=%%%",
      "=; ;;; anteroom_pass",
      "anteroom_pass=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ];
    for (const cookie of cookies) {
      const res = await room.request(new Visitor("application/json"), "/api/echo", {
        headers: { cookie, "x-junk": "\u00ff".repeat(100) },
      });
      expect(res.status).toBeLessThan(500);
      expect([200, 429]).toContain(res.status);
    }
  });

  it("answers unknown Anteroom paths with JSON 404", async () => {
    const room = await testRoom();
    const res = await room.request(new Visitor(), "/__anteroom/admin/secret");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("bypass paths", () => {
  it("go straight to the origin with no Redis command and no cookie", async () => {
    const room = await testRoom({ BYPASS_PATHS: "/api/echo/static/*,/*.css" });
    await room.request(new Visitor(), "/"); // the room is now busy: newcomers would queue
    const before = await redisCalls();
    const visitor = new Visitor("application/json");
    for (let i = 0; i < 5; i++) {
      const res = await room.request(visitor, `/api/echo/static/file-${i}`);
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(((await res.json()) as Echo).pass).toBeNull();
    }
    expect(await redisCalls()).toBe(before);
  });
});

describe("the proxy", () => {
  it("forwards method, body and headers, drops the ticket cookie and keeps the others", async () => {
    const room = await testRoom();
    const visitor = new Visitor("application/json");
    await room.request(visitor, "/");
    const res = await room.request(visitor, "/api/echo?x=1", {
      method: "POST",
      body: "name=Ada",
      headers: { cookie: "theme=dark; anteroom_ticket=stale", "anteroom-pass": "client-made-up" },
    });
    const echo = (await res.json()) as Echo;
    expect(echo).toMatchObject({ method: "POST", path: "/api/echo?x=1", body: "name=Ada", forwardedHost: "room.test" });
    expect(echo.cookie).toContain("theme=dark");
    expect(echo.cookie).not.toContain("anteroom_ticket");
    expect(echo.pass).toBe(visitor.cookies.get("anteroom_pass"));
  });

  it("never lets the client choose the upstream host", async () => {
    const room = await testRoom();
    const visitor = new Visitor("application/json");
    await room.request(visitor, "/");
    const origin = new URL(room.env.ORIGIN_URL ?? "");
    for (const path of ["//evil.example/api/echo", "/api/echo/..//evil.example", "/%2F%2Fevil.example/api/echo"]) {
      const res = await room.request(visitor, path, { headers: { host: "evil.example" } });
      if (res.status === 200) expect(((await res.json()) as Echo).host).toBe(origin.host);
      else expect(res.status).toBe(404);
    }
  });
});

describe("configuration", () => {
  it("refuses a bad setting with a clear error naming it, never a stack trace", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "abc" });
    const res = await room.request(new Visitor(), "/");
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("config_invalid");
    expect(body.error.message).toContain("ADMIT_PER_MINUTE");
    expect(body.error.message).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it("in production hides the details from visitors", async () => {
    const room = await testRoom({ ANTEROOM_ENV: "production", SESSION_MINUTES: "-3" });
    const body = (await (await room.request(new Visitor(), "/")).json()) as {
      error: { code: string; message: string };
    };
    expect(body.error.code).toBe("config_invalid");
    expect(body.error.message).not.toContain("SESSION_MINUTES");
  });
});

describe("a dead store", () => {
  it("keeps pass holders browsing, keeps waiting visitors' places, and asks newcomers to retry (STORE_FAILURE_MODE closed)", async () => {
    const live = await testRoom({ ADMIT_PER_MINUTE: "60" });
    const admitted = new Visitor("application/json");
    await live.request(admitted, "/");
    const waiting = new Visitor("application/json");
    await live.request(waiting, "/");
    const dead = await testRoom({
      ROOM: live.env.ROOM ?? "",
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9",
      UPSTASH_REDIS_REST_TOKEN: "x",
      STORE_FAILURE_MODE: "closed",
    });
    // The dead room gets its own RedisStore from config (no injected store): rebuild it so.
    expect((await dead.request(admitted, "/api/echo")).status).toBe(200);
    const stillWaiting = await dead.request(waiting, "/__anteroom/status");
    expect(stillWaiting.status).toBe(200);
    expect(await stillWaiting.json()).toMatchObject({ state: "queued", position: 2 });
    const newcomer = await dead.request(new Visitor("application/json"), "/api/echo");
    expect(newcomer.status).toBe(503);
    expect(newcomer.headers.get("retry-after")).toBe("5");
    expect(await newcomer.json()).toMatchObject({ error: { code: "store_unavailable" } });
  });
});
