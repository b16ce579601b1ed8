// A pass's session, end to end in workerd against real Redis (issue 17, items 5, 8 and 9): an
// absolute end (SESSION_MAX_MINUTES), binding to the client (PASS_BINDING), responses that set a
// pass kept out of shared caches, and early releases honoured only from within the site.
import { describe, expect, it } from "vitest";
import { PASS_COOKIE } from "../../worker/http/cookies.ts";
import { T0, testRoom, Visitor } from "./helpers.ts";

interface PassPayload {
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  readonly adm?: number;
  readonly cb?: string;
}

/** The claims of a pass JWT (test plumbing: the worker verified it already). */
function claimsOf(jwt: string | null | undefined): PassPayload {
  const payload = (jwt ?? "").split(".")[1] ?? "";
  return JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as PassPayload;
}

/** The pass the worker forwarded to the demo origin with this request, or null. */
async function forwardedPass(res: Response): Promise<string | null> {
  return ((await res.json()) as { pass: string | null }).pass;
}

const MINUTE = 60_000;

describe("a session's absolute end (SESSION_MAX_MINUTES)", () => {
  it("a pass in constant use stops admitting at SESSION_MAX_MINUTES; then, with nobody waiting, the visitor is let straight in anew", async () => {
    const room = await testRoom({ SESSION_MINUTES: "10", SESSION_MAX_MINUTES: "27" });
    const visitor = new Visitor("application/json");
    const first = claimsOf(await forwardedPass(await room.request(visitor, "/api/echo")));
    const admittedAt = T0 / 1000;
    expect(first).toMatchObject({ adm: admittedAt, iat: admittedAt, exp: admittedAt + 600 });

    // A page view a minute for 26 minutes: one session, renewed along the way, never past its end.
    const seen: PassPayload[] = [];
    const cookieLifetimes: number[] = [];
    for (let minute = 1; minute < 27; minute++) {
      room.advance(MINUTE);
      const res = await room.request(visitor, "/api/echo");
      expect(res.status).toBe(200);
      for (const line of res.headers.getSetCookie()) {
        cookieLifetimes.push(Number(/max-age=(\d+)/i.exec(line)?.[1]));
      }
      seen.push(claimsOf(await forwardedPass(res)));
    }
    expect(new Set(seen.map((claims) => claims.sub))).toEqual(new Set([first.sub]));
    expect(new Set(seen.map((claims) => claims.adm))).toEqual(new Set([admittedAt]));
    expect(new Set(seen.map((claims) => claims.iat)).size).toBeGreaterThan(3); // renewed several times
    expect(Math.max(...seen.map((claims) => claims.exp))).toBe(admittedAt + 27 * 60);
    // Renewed at minutes 5, 10, 15 and 20; the last one cut to the session's end, cookie included.
    expect(cookieLifetimes).toEqual([600, 600, 600, 420]);

    room.advance(MINUTE); // minute 27: the session's end
    const after = await room.request(visitor, "/api/echo");
    expect(after.status).toBe(200);
    const fresh = claimsOf(await forwardedPass(after));
    expect(fresh.sub).not.toBe(first.sub);
    expect(fresh.adm).toBe(admittedAt + 27 * 60);
  });

  it("with others waiting, the visitor whose session ended queues behind them", async () => {
    const room = await testRoom({ SESSION_MINUTES: "10", SESSION_MAX_MINUTES: "20" });
    const visitor = new Visitor("application/json");
    expect((await room.request(visitor, "/api/echo")).status).toBe(200);
    for (let minute = 1; minute < 20; minute++) {
      room.advance(MINUTE);
      expect((await room.request(visitor, "/api/echo")).status).toBe(200);
    }
    room.advance(MINUTE);
    // Newcomers arrive together: the rate lets one or two in, the rest wait.
    let queued = 0;
    for (let i = 0; i < 6 && queued < 2; i++) {
      if ((await room.request(new Visitor("application/json"), "/api/echo")).status === 429) queued += 1;
    }
    expect(queued).toBe(2);
    const res = await room.request(visitor, "/api/echo");
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ state: "queued" });
  });
});

describe("PASS_BINDING", () => {
  /** Request options from a client at `ip` with browser `ua`. */
  const from = (ip: string, ua = "Browser/1.0") => ({ headers: { "cf-connecting-ip": ip, "user-agent": ua } });

  /** A visitor admitted in a queue-all room (every newcomer waits): one join, then a poll once it is their turn. */
  async function admitted(room: Awaited<ReturnType<typeof testRoom>>, ip: string, ua?: string) {
    const visitor = new Visitor("application/json");
    expect((await room.request(visitor, "/api/echo", from(ip, ua))).status).toBe(429);
    room.advance(2000);
    const res = await room.request(visitor, "/api/echo", from(ip, ua));
    expect(res.status).toBe(200);
    return { visitor, claims: claimsOf(await forwardedPass(res)) };
  }

  /** Someone else presenting only `pass`. */
  function copyOf(pass: string): Visitor {
    const copier = new Visitor("application/json");
    copier.cookies.set(PASS_COOKIE, pass);
    return copier;
  }

  it("ip-prefix: a copied pass presented from another network is no pass there; its own network keeps it, through renewal", async () => {
    const room = await testRoom({ MODE: "queue-all", PASS_BINDING: "ip-prefix" });
    const { visitor, claims } = await admitted(room, "203.0.113.7");
    expect(typeof claims.cb).toBe("string");
    const pass = visitor.cookies.get(PASS_COOKIE) ?? "";

    // Another network: the copier is a newcomer, and in queue-all a newcomer waits.
    const elsewhere = await room.request(copyOf(pass), "/api/echo", from("198.51.100.9"));
    expect(elsewhere.status).toBe(429);
    // The same /24 (a phone moving between addresses of one network): the pass still admits.
    const nearby = await room.request(copyOf(pass), "/api/echo", from("203.0.113.99"));
    expect(nearby.status).toBe(200);
    expect(claimsOf(await forwardedPass(nearby)).sub).toBe(claims.sub);

    // A renewed pass keeps its binding (and its admission time).
    room.advance(6 * MINUTE);
    const renewed = await room.request(visitor, "/api/echo", from("203.0.113.7"));
    expect(renewed.status).toBe(200);
    const renewedPass = visitor.cookies.get(PASS_COOKIE) ?? "";
    expect(renewedPass).not.toBe(pass);
    expect(claimsOf(renewedPass)).toMatchObject({ sub: claims.sub, cb: claims.cb, adm: claims.adm });
    expect((await room.request(copyOf(renewedPass), "/api/echo", from("198.51.100.9"))).status).toBe(429);
  });

  it("user-agent: a copied pass from another browser is refused, from the same browser on another network admits", async () => {
    const room = await testRoom({ MODE: "queue-all", PASS_BINDING: "user-agent" });
    const { visitor, claims } = await admitted(room, "203.0.113.7", "Browser/1.0");
    const pass = visitor.cookies.get(PASS_COOKIE) ?? "";
    expect((await room.request(copyOf(pass), "/api/echo", from("203.0.113.7", "Other/2.0"))).status).toBe(429);
    const travelled = await room.request(copyOf(pass), "/api/echo", from("198.51.100.9", "Browser/1.0"));
    expect(travelled.status).toBe(200);
    expect(claimsOf(await forwardedPass(travelled)).sub).toBe(claims.sub);
  });

  it("off by default: a copied pass admits anywhere, and passes carry no client hint", async () => {
    const room = await testRoom({ MODE: "queue-all" });
    const { visitor, claims } = await admitted(room, "203.0.113.7");
    expect(claims.cb).toBeUndefined();
    const pass = visitor.cookies.get(PASS_COOKIE) ?? "";
    expect((await room.request(copyOf(pass), "/api/echo", from("198.51.100.9", "Other/2.0"))).status).toBe(200);
  });
});

describe("responses that set a pass are private", () => {
  const PUBLIC = `/api/echo?cache-control=${encodeURIComponent("public, max-age=600")}`;

  it("Cache-Control: private on the response that sets or renews a pass, the origin's own header otherwise", async () => {
    const room = await testRoom({ SESSION_MINUTES: "10" });
    const visitor = new Visitor("application/json");
    const admitted = await room.request(visitor, PUBLIC);
    expect(admitted.status).toBe(200);
    expect(admitted.headers.getSetCookie().some((c) => c.startsWith(`${PASS_COOKIE}=`))).toBe(true);
    expect(admitted.headers.get("cache-control")).toBe("private, max-age=600");

    // A page view with the pass, nothing set: the origin's header as it sent it.
    room.advance(MINUTE);
    const plain = await room.request(visitor, PUBLIC);
    expect(plain.headers.getSetCookie()).toEqual([]);
    expect(plain.headers.get("cache-control")).toBe("public, max-age=600");

    // Renewed half-way: private again.
    room.advance(5 * MINUTE);
    const renewed = await room.request(visitor, PUBLIC);
    expect(renewed.headers.getSetCookie()).toHaveLength(1);
    expect(renewed.headers.get("cache-control")).toBe("private, max-age=600");
  });

  it("merges with the origin's directives: shared-cache ones dropped, the rest kept; none becomes private", async () => {
    const room = await testRoom();
    const header = 'public, s-maxage=3600, max-age=60, stale-while-revalidate=30, no-cache="set-cookie, x"';
    const merged = await room.request(
      new Visitor("application/json"),
      `/api/echo?cache-control=${encodeURIComponent(header)}`,
    );
    expect(merged.headers.get("cache-control")).toBe(
      'private, max-age=60, stale-while-revalidate=30, no-cache="set-cookie, x"',
    );
    room.advance(1000);
    const bare = await room.request(new Visitor("application/json"), "/api/echo");
    expect(bare.headers.get("cache-control")).toBe("private");
  });

  it("a bypassed path keeps the origin's header; a release (the pass cleared) is private", async () => {
    const room = await testRoom({ BYPASS_PATHS: "/api/echo/public" });
    const visitor = new Visitor("application/json");
    await room.request(visitor, "/api/echo");
    const bypassed = await room.request(visitor, `/api/echo/public?cache-control=${encodeURIComponent("public")}`);
    expect(bypassed.headers.get("cache-control")).toBe("public");
    const released = await room.request(visitor, `${PUBLIC}&release`);
    expect(visitor.cookies.has(PASS_COOKIE)).toBe(false);
    expect(released.headers.get("cache-control")).toBe("private, max-age=600");
  });
});

describe("early release only from within the site (Sec-Fetch-Site)", () => {
  it("a cross-site GET is ignored (header stripped, pass kept); a same-origin one is honoured", async () => {
    const room = await testRoom();
    const visitor = new Visitor("application/json");
    const subject = claimsOf(await forwardedPass(await room.request(visitor, "/api/echo"))).sub;

    const crossSite = await room.request(visitor, "/api/echo?release", { headers: { "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(200);
    expect(crossSite.headers.get("anteroom-release")).toBeNull();
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    room.advance(1000);
    const still = await room.request(visitor, "/api/echo");
    expect(claimsOf(await forwardedPass(still)).sub).toBe(subject);

    const sameOrigin = await room.request(visitor, "/api/echo?release", {
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect(sameOrigin.headers.get("anteroom-release")).toBeNull();
    expect(visitor.cookies.has(PASS_COOKIE)).toBe(false);
  });

  it("honours same-site, none (typed or bookmarked) and no header; ignores cross-site of any method, and unknown values", async () => {
    const room = await testRoom({ BYPASS_PATHS: "/api/echo/bypassed" });
    const released = async (init: RequestInit, path = "/api/echo?release") => {
      const visitor = new Visitor("application/json");
      await room.request(visitor, "/api/echo");
      expect(visitor.cookies.has(PASS_COOKIE)).toBe(true);
      room.advance(1000);
      const res = await room.request(visitor, path, init);
      expect(res.headers.get("anteroom-release")).toBeNull();
      return !visitor.cookies.has(PASS_COOKIE);
    };
    expect(await released({ headers: { "sec-fetch-site": "same-site" } })).toBe(true);
    expect(await released({ headers: { "sec-fetch-site": "none" } })).toBe(true);
    expect(await released({})).toBe(true);
    expect(await released({ method: "POST", body: "x", headers: { "sec-fetch-site": "cross-site" } })).toBe(false);
    expect(await released({ headers: { "sec-fetch-site": "somewhere-else" } })).toBe(false);
    // On a bypassed path too, where the worker reads the pass itself.
    expect(await released({ headers: { "sec-fetch-site": "cross-site" } }, "/api/echo/bypassed?release")).toBe(false);
    expect(await released({ headers: { "sec-fetch-site": "same-origin" } }, "/api/echo/bypassed?release")).toBe(true);
  });
});
