// Issue 6, HTTP and cookie hardening, against the real worker in workerd and
// the real Redis: `__Host-` cookies on https, the security headers of every
// page the worker renders, and no redirect off-site whatever the path says.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { unavailableResponse } from "../../worker/http/responses.ts";
import { createApp } from "../../worker/index.ts";
import { T0, testRoom, Visitor } from "./helpers.ts";

type Room = Awaited<ReturnType<typeof testRoom>>;

const BROWSER = "text/html,application/xhtml+xml";
const TOKEN = "admin-token-for-tests-0123456789";

/** One request to the room at `origin` (https or http), with the given cookies. */
async function send(room: Room, url: string, cookie = "", accept = BROWSER): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (cookie) headers.cookie = cookie;
  return room.app.request(url, { headers }, room.env);
}

/** Set-Cookie lines by cookie name. */
function setCookies(res: Response): Map<string, string> {
  return new Map(res.headers.getSetCookie().map((line) => [line.slice(0, line.indexOf("=")), line]));
}

function tokenOf(line: string | undefined): string {
  return line?.slice(line.indexOf("=") + 1).split(";")[0] ?? "";
}

function attributes(line: string | undefined): string[] {
  return (line ?? "")
    .split(";")
    .slice(1)
    .map((a) => a.trim().toLowerCase());
}

describe("cookies on https", () => {
  it("are __Host- prefixed, HttpOnly, Secure, SameSite=Lax, Path=/, without Domain", async () => {
    const room = await testRoom({ MODE: "queue-all" });
    const joined = await send(room, "https://room.test/register");
    expect(joined.status).toBe(200);
    const ticketLine = setCookies(joined).get("__Host-anteroom_ticket");
    expect(ticketLine, joined.headers.getSetCookie().join("\n")).toBeDefined();
    expect([...setCookies(joined).keys()]).toEqual(["__Host-anteroom_ticket"]);
    const ticketAttributes = attributes(ticketLine);
    for (const attribute of ["httponly", "secure", "samesite=lax", "path=/"]) {
      expect(ticketAttributes).toContain(attribute);
    }
    expect(ticketAttributes.some((a) => a.startsWith("domain"))).toBe(false);

    // Position 1 of a queue-all room is within the frontier: the next request admits it.
    const admitted = await send(room, "https://room.test/register", `__Host-anteroom_ticket=${tokenOf(ticketLine)}`);
    expect(admitted.status).toBe(200);
    const cookies = setCookies(admitted);
    const passLine = cookies.get("__Host-anteroom_pass");
    expect(passLine).toBeDefined();
    for (const attribute of ["httponly", "secure", "samesite=lax", "path=/"]) {
      expect(attributes(passLine)).toContain(attribute);
    }
    expect(attributes(passLine).some((a) => a.startsWith("domain"))).toBe(false);
    // The used ticket is deleted under the name it was set with.
    expect(attributes(cookies.get("__Host-anteroom_ticket"))).toContain("max-age=0");
    expect(attributes(cookies.get("__Host-anteroom_ticket"))).toContain("secure");
    expect(cookies.has("anteroom_pass") || cookies.has("anteroom_ticket")).toBe(false);
  });

  it("are read under the __Host- names only: an unprefixed cookie (which a sibling subdomain could plant) counts as absent", async () => {
    const room = await testRoom({ MODE: "queue-all" });
    const first = await send(room, "https://room.test/");
    const ticket = tokenOf(setCookies(first).get("__Host-anteroom_ticket"));
    const admitted = await send(room, "https://room.test/", `__Host-anteroom_ticket=${ticket}`);
    const pass = tokenOf(setCookies(admitted).get("__Host-anteroom_pass"));
    expect(pass).toMatch(/^ey/);

    const withHostPass = await send(
      room,
      "https://room.test/api/echo",
      `__Host-anteroom_pass=${pass}`,
      "application/json",
    );
    expect(withHostPass.status).toBe(200);
    expect(((await withHostPass.json()) as { pass: string }).pass).toBe(pass);

    // The same valid pass under the plain name: ignored, so the visitor is a newcomer and waits.
    const withPlainPass = await send(room, "https://room.test/api/echo", `anteroom_pass=${pass}`, "application/json");
    expect(withPlainPass.status).toBe(429);
    expect(setCookies(withPlainPass).has("__Host-anteroom_ticket")).toBe(true);

    // A valid ticket under the plain name: ignored too (a new place, not the planted one).
    const other = await send(room, "https://room.test/", "", "application/json");
    const otherTicket = tokenOf(setCookies(other).get("__Host-anteroom_ticket"));
    const otherPosition = ((await other.json()) as { position: number }).position;
    const planted = await send(room, "https://room.test/__anteroom/status", `anteroom_ticket=${otherTicket}`);
    const body = (await planted.json()) as { position: number };
    expect(body.position).toBeGreaterThan(otherPosition);
  });

  it("stay unprefixed on plain http (local development), where __Host- cannot be set", async () => {
    const room = await testRoom({ MODE: "queue-all" });
    const res = await send(room, "http://room.test/");
    expect([...setCookies(res).keys()]).toEqual(["anteroom_ticket"]);
    expect(attributes(setCookies(res).get("anteroom_ticket"))).not.toContain("secure");
    // And a __Host- cookie sent over http is not read.
    const ticket = tokenOf(setCookies(res).get("anteroom_ticket"));
    const again = await send(room, "http://room.test/__anteroom/status", `__Host-anteroom_ticket=${ticket}`);
    expect(((await again.json()) as { position: number }).position).toBe(2);
  });

  it("never forwards the ticket to the origin under either name", async () => {
    const room = await testRoom({ MODE: "passthrough" });
    const res = await send(
      room,
      "https://room.test/api/echo",
      "theme=dark; __Host-anteroom_ticket=t1; anteroom_ticket=t2; other=1",
      "application/json",
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cookie: string }).cookie).toBe("theme=dark; other=1");
  });
});

/** The nonce a page's CSP allows, checked to be the one on its tags. */
function expectPageHeaders(res: Response, frameAncestors = "'none'"): string {
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("img-src 'self' data:");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toContain(`frame-ancestors ${frameAncestors}`);
  expect(csp).not.toContain("unsafe-eval");
  expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  return /script-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1] ?? "";
}

describe("headers of the pages the worker renders", () => {
  it("holding page: a CSP whose fresh per-response nonce is the one on its <script> and <style>", async () => {
    const room = await testRoom({ MODE: "queue-all" });
    const nonces: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await room.request(new Visitor(), "/register");
      expect(res.status).toBe(200);
      const nonce = expectPageHeaders(res);
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(res.headers.get("content-security-policy")).toContain(`style-src 'nonce-${nonce}'`);
      const html = await res.text();
      expect(html).toContain(`<script nonce="${nonce}">`);
      expect(html).toContain(`<style nonce="${nonce}">`);
      expect(html).not.toContain("unsafe-inline");
      nonces.push(nonce);
    }
    expect(new Set(nonces).size).toBe(3);
  });

  it("an operator's template gets {{nonce}} too", async () => {
    const room = await testRoom({
      MODE: "queue-all",
      HOLDING_PAGE_TEMPLATE: '<p>{{position}}</p><script nonce="{{nonce}}">poll("{{statusUrl}}")</script>',
    });
    const res = await room.request(new Visitor(), "/");
    const nonce = expectPageHeaders(res);
    // The status URL names the page's room (several rooms may share a host: README "Rooms").
    expect(await res.text()).toBe(
      `<p>1</p><script nonce="${nonce}">poll("/__anteroom/status?room=${room.env.ROOM}")</script>`,
    );
  });

  it("honours FRAME_ANCESTORS", async () => {
    const room = await testRoom({ MODE: "queue-all", FRAME_ANCESTORS: "'self' https://shop.example" });
    expectPageHeaders(await room.request(new Visitor(), "/"), "'self' https://shop.example");
  });

  it("a bad FRAME_ANCESTORS is a config error naming it (in development), never a page without the header", async () => {
    const room = await testRoom({ FRAME_ANCESTORS: "'self'; script-src *" });
    const res = await room.request(new Visitor(), "/");
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("config_invalid");
    expect(body.error.message).toContain("FRAME_ANCESTORS");
  });

  it("closed page", async () => {
    const room = await testRoom({ MODE: "closed" });
    const res = await room.request(new Visitor(), "/");
    expect(await res.text()).toContain("Closed");
    expectPageHeaders(res);
  });

  it("unavailable page (store down, newcomer refused)", async () => {
    // Called directly: whether a newcomer sees this page during an outage is STORE_FAILURE_MODE's business.
    const app = new Hono();
    app.get("/", (c) => unavailableResponse(c, 5, "en"));
    const res = await app.request("https://room.test/", { headers: { accept: BROWSER } });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("Please wait");
    expectPageHeaders(res);
  });

  it("countdown page: the same headers, its inline code allowed by the nonce only", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const created = await room.app.request(
      "http://room.test/__anteroom/admin/events",
      {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({
          startsAt: new Date(T0 + 30 * 60_000).toISOString(),
          prequeueFrom: new Date(T0 - 60_000).toISOString(),
        }),
      },
      room.env,
    );
    expect(created.status).toBe(201);
    const res = await room.request(new Visitor(), "/");
    const html = await res.text();
    expect(html).toContain("Opening soon");
    expectPageHeaders(res);
    const nonce = /script-src 'nonce-([\w-]+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
  });

  it("are not put on JSON answers or on the origin's own pages", async () => {
    const room = await testRoom({ MODE: "passthrough" });
    const proxied = await room.request(new Visitor(), "/");
    expect(proxied.status).toBe(200);
    expect(proxied.headers.get("content-security-policy")).toBeNull();
    const json = await (await testRoom({ MODE: "queue-all" })).request(new Visitor("application/json"), "/");
    expect(json.status).toBe(429);
    expect(json.headers.get("content-security-policy")).toBeNull();
  });
});

describe("no open redirect", () => {
  const HOSTILE = [
    "//evil.example",
    "//evil.example/%2e%2e",
    "/%2F%2Fevil.example",
    "/\\evil.example",
    "/./evil.example",
    "/?next=https://evil.example",
    "/login?next=//evil.example&return_to=https%3A%2F%2Fevil.example&redirect=%2F%2Fevil.example",
    "/https://evil.example",
    "/register?url=javascript:alert(1)",
  ];

  /** No Location at all, or one on the room's own host. */
  function expectNoOffsiteLocation(res: Response, path: string): void {
    const location = res.headers.get("location");
    if (location === null) return;
    expect(new URL(location, "https://room.test/").host, `${path} → Location ${location}`).toBe("room.test");
  }

  it("in every state (waiting, let in by a ticket, holding a pass, passthrough), the worker never sends the visitor off-site", async () => {
    const queued = await testRoom({ MODE: "queue-all" });
    const passthrough = await testRoom({ MODE: "passthrough" });
    for (const path of HOSTILE) {
      // A newcomer: the holding page, which must not reflect the path either.
      const waiting = await queued.request(new Visitor(), path);
      expect(waiting.status, path).toBe(200);
      expectNoOffsiteLocation(waiting, path);
      expect(await waiting.text(), path).not.toContain("evil.example");

      // Let in on a ticket, then browsing with the pass: proxied, never redirected by the room.
      const visitor = new Visitor();
      const fresh = await testRoom({ MODE: "queue-all" });
      await fresh.request(visitor, path);
      const admitted = await fresh.request(visitor, path);
      expect(visitor.cookies.has("anteroom_pass"), path).toBe(true);
      expectNoOffsiteLocation(admitted, path);
      expectNoOffsiteLocation(await fresh.request(visitor, path), path);
      const query = path.includes("?") ? path.slice(path.indexOf("?")) : "";
      const status = await fresh.request(visitor, `/__anteroom/status${query}`);
      expectNoOffsiteLocation(status, path);
      expect(JSON.stringify(await status.json())).not.toContain("evil.example");

      expectNoOffsiteLocation(await passthrough.request(new Visitor(), path), path);
    }
  });

  it("forwards to ORIGIN_URL's host whatever the path, so the path cannot pick the upstream either", async () => {
    const room = await testRoom({ MODE: "passthrough" });
    const upstream: string[] = [];
    const app = createApp({
      fetcher: async (request) => {
        upstream.push(request.url);
        return new Response("ok");
      },
    });
    for (const path of HOSTILE) await new Visitor().send(app, room.env, path);
    const origin = new URL(room.env.ORIGIN_URL ?? "").host;
    expect(upstream).toHaveLength(HOSTILE.length);
    for (const url of upstream) expect(new URL(url).host, url).toBe(origin);
  });
});

describe("bypass rules that cannot be fooled", () => {
  /** What the room answers an API client for `method path` (a raw path, as sent on the wire). */
  async function attempt(room: Room, method: string, path: string): Promise<{ status: number; body: string }> {
    const res = await room.app.request(
      `http://room.test${path}`,
      { method, headers: { accept: "application/json" }, body: method === "POST" ? "order=1" : null },
      room.env,
    );
    return { status: res.status, body: await res.text() };
  }

  it("a path disguised as an asset or a well-known file still queues in a closed room", async () => {
    const room = await testRoom({ MODE: "closed" });
    const disguises: [string, string][] = [
      ["POST", "/checkout;.css"],
      ["GET", "/checkout;.css"],
      ["POST", "/.well-known/..%2Fcheckout"],
      ["GET", "/.well-known/..%2Fcheckout"],
      ["GET", "/checkout;x=1"],
      ["GET", "/%2e%2e/checkout"],
      ["GET", "/favicon.ico/..%2F..%2Fcheckout"],
      ["GET", "/.well-known/..%5Ccheckout"],
      ["GET", "/.well-known/..;/checkout"],
      ["GET", "/checkout/..;/favicon.ico"],
      ["GET", "/checkout%3B.css"],
      ["POST", "/api/echo/app.js"],
      ["PUT", "/style.css"],
    ];
    for (const [method, path] of disguises) {
      const { status, body } = await attempt(room, method, path);
      expect(status, `${method} ${path} → ${status} ${body.slice(0, 80)}`).toBe(403);
      expect(JSON.parse(body)).toMatchObject({ state: "closed", error: { code: "room_closed" } });
    }
  });

  it("static assets still go straight through on GET and HEAD, and an operator can name other methods", async () => {
    const room = await testRoom({ MODE: "closed", BYPASS_PATHS: "/*.css,POST /api/echo/hooks/*" });
    // The demo origin echoes what it got: the request reached it.
    const asset = await attempt(room, "GET", "/api/echo/style.css");
    expect(asset.status).toBe(200);
    expect(JSON.parse(asset.body)).toMatchObject({ method: "GET", path: "/api/echo/style.css", pass: null });
    expect((await attempt(room, "HEAD", "/api/echo/style.css")).status).toBe(200);
    const hook = await attempt(room, "POST", "/api/echo/hooks/stripe");
    expect(JSON.parse(hook.body)).toMatchObject({ method: "POST", path: "/api/echo/hooks/stripe" });
    expect((await attempt(room, "POST", "/api/echo/style.css")).status).toBe(403);
    expect((await attempt(room, "GET", "/api/echo/hooks/stripe")).status).toBe(403);
  });
});
