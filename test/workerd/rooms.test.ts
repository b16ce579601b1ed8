import { describe, expect, it } from "vitest";
import { GOOD_TOKEN, STAND_IN_SECRET } from "../support/turnstile-tokens.ts";
import { redisCalls, subjectOf, testRoom, Visitor } from "./helpers.ts";

interface Echo {
  path: string;
  pass: string | null;
  cookie: string | null;
}

interface StatusBody {
  state: "queued" | "admitted";
  position: number | null;
}

const ADMIN_TOKEN = "rooms-admin-token-0123456789";
let deployments = 0;

/**
 * A deployment with ROOMS, its room names unique to this test (Redis is
 * shared): `shop` queues /shop/* at 60 a minute on any host, `checkout`
 * /shop/checkout/* at 600, `tickets` every path of tickets.example.
 */
async function deployment(extra: Record<string, unknown>[] = [], settings: Record<string, string> = {}) {
  deployments += 1;
  const stamp = `${Date.now()}-${deployments}`;
  const names = { shop: `shop-${stamp}`, checkout: `checkout-${stamp}`, tickets: `tickets-${stamp}` };
  const rooms = [
    { name: names.shop, paths: ["/shop/*"], admitPerMinute: 60 },
    { name: names.checkout, paths: ["/shop/checkout/*"], admitPerMinute: 600 },
    { name: names.tickets, hosts: ["tickets.example"], paths: ["/*"], admitPerMinute: 60 },
    ...extra,
  ];
  const room = await testRoom({ ROOMS: JSON.stringify(rooms), ADMIN_TOKEN, ...settings });
  return { ...room, names };
}

/** Fills a room's burst: the first newcomer goes straight in, so the next must wait. */
async function fill(room: Awaited<ReturnType<typeof deployment>>, path: string): Promise<void> {
  expect((await room.request(new Visitor("application/json"), path)).status).not.toBe(429);
}

function admin(room: Awaited<ReturnType<typeof deployment>>, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${ADMIN_TOKEN}`);
  return room.app.request(`http://room.test/__anteroom/admin${path}`, { ...init, headers }, room.env);
}

describe("ROOMS: matching", () => {
  it("sends a request to its most specific room: host first, then the longest path", async () => {
    const room = await deployment();
    const cases: [string, string][] = [
      ["/shop/shoes", room.names.shop],
      ["/shop/checkout/pay", room.names.checkout],
      ["/SHOP/Checkout/pay", room.names.checkout],
      ["/shop/..%2Fshop/checkout/pay", room.names.checkout],
      ["http://tickets.example/shop/checkout/pay", room.names.tickets],
      ["http://tickets.example/anything", room.names.tickets],
    ];
    for (const [path, expected] of cases) {
      room.advance(2_000); // each room's burst refills: every newcomer goes straight in
      const visitor = new Visitor("application/json");
      const res = await room.request(visitor, path);
      expect(res.status, path).toBe(404); // the demo origin has no such page: the request was admitted
      expect([...visitor.cookies.keys()], path).toEqual([`anteroom_pass__${expected}`]);
    }
  });

  it("lets a request no room queues go straight through: no store call, no cookie", async () => {
    const room = await deployment();
    await fill(room, "/shop/a"); // the room exists and is busy
    const visitor = new Visitor("application/json");
    const before = await redisCalls();
    const res = await room.request(visitor, "/api/echo");
    expect(res.status).toBe(200);
    expect(((await res.json()) as Echo).pass).toBeNull();
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await redisCalls()).toBe(before);
  });

  it("applies the matched room's bypass paths", async () => {
    const room = await deployment();
    const visitor = new Visitor("application/json");
    const res = await room.request(visitor, "/shop/site.css");
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe("ROOMS: independent rooms", () => {
  it("keeps a line, a rate and figures per room", async () => {
    const room = await deployment();
    await fill(room, "/shop/a");
    const waiting = new Visitor("application/json");
    expect((await room.request(waiting, "/shop/b")).status).toBe(429);
    // The checkout room's line is its own: empty, so a newcomer goes straight in.
    const buyer = new Visitor("application/json");
    expect((await room.request(buyer, "/shop/checkout/api/echo")).status).toBe(404);
    expect([...buyer.cookies.keys()]).toEqual([`anteroom_pass__${room.names.checkout}`]);

    const list = (await (await admin(room, "/rooms")).json()) as {
      rooms: { room: string; ratePerMinute: number; queueLength: number; paths: string[] }[];
    };
    const byName = new Map(list.rooms.map((r) => [r.room, r]));
    expect(byName.get(room.names.shop)).toMatchObject({ ratePerMinute: 60, queueLength: 1, paths: ["/shop/*"] });
    expect(byName.get(room.names.checkout)).toMatchObject({ ratePerMinute: 600, queueLength: 0 });
    expect(list.rooms.map((r) => r.room)).toEqual([room.names.shop, room.names.checkout, room.names.tickets]);
  });

  it("refuses a pass of one room in another: its holder is a newcomer there", async () => {
    const room = await deployment();
    const holder = new Visitor("application/json");
    await room.request(holder, "/shop/a");
    const shopPass = holder.cookies.get(`anteroom_pass__${room.names.shop}`) ?? "";
    expect(shopPass).not.toBe("");
    await fill(room, "http://tickets.example/x"); // the tickets room is busy: a newcomer waits
    // Under the tickets room's own cookie name, the shop's pass (a genuine pass, for another room) admits nothing.
    const res = await room.app.request(
      "http://tickets.example/api/echo",
      { headers: { accept: "application/json", cookie: `anteroom_pass__${room.names.tickets}=${shopPass}` } },
      room.env,
    );
    expect(res.status).toBe(429);
    // And with it in its own cookie, the shop pass still admits to the shop.
    expect((await room.request(holder, "/shop/api/echo")).status).toBe(404);
  });

  it("lets a visitor wait in two rooms at once without losing either place", async () => {
    const room = await deployment();
    await fill(room, "/shop/a");
    await fill(room, "http://tickets.example/a");
    const visitor = new Visitor("application/json");
    expect((await room.request(visitor, "/shop/b")).status).toBe(429);
    expect((await room.request(visitor, "http://tickets.example/b")).status).toBe(429);
    expect([...visitor.cookies.keys()].sort()).toEqual(
      [`anteroom_ticket__${room.names.shop}`, `anteroom_ticket__${room.names.tickets}`].sort(),
    );
    for (const name of [room.names.shop, room.names.tickets]) {
      const status = (await (await room.request(visitor, `/__anteroom/status?room=${name}`)).json()) as StatusBody;
      expect(status, name).toMatchObject({ state: "queued", position: 2 });
    }
    room.advance(2_000);
    for (const name of [room.names.shop, room.names.tickets]) {
      const status = (await (await room.request(visitor, `/__anteroom/status?room=${name}`)).json()) as StatusBody;
      expect(status, name).toMatchObject({ state: "admitted", position: 2 });
    }
    expect(visitor.cookies.has(`anteroom_pass__${room.names.shop}`)).toBe(true);
    expect(visitor.cookies.has(`anteroom_pass__${room.names.tickets}`)).toBe(true);
  });

  it("answers a status poll for the page's room (Referer) and 404s an unknown ?room=", async () => {
    const room = await deployment();
    await fill(room, "http://tickets.example/a");
    const visitor = new Visitor("application/json");
    await room.request(visitor, "http://tickets.example/b");
    const res = await room.request(visitor, "/__anteroom/status", {
      headers: { referer: "http://tickets.example/b" },
    });
    expect(((await res.json()) as StatusBody).position).toBe(2);
    const unknown = await room.request(visitor, "/__anteroom/status?room=nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "room_not_found", message: 'No room named "nope".' } });
  });
});

describe("ROOMS: early release", () => {
  it("releases every room's valid pass on a path no room queues (the origin's /logout), not only the first room's", async () => {
    const room = await deployment();
    const visitor = new Visitor("application/json");
    expect((await room.request(visitor, "/shop/checkout/a")).status).toBe(404);
    expect((await room.request(visitor, "http://tickets.example/a")).status).toBe(404);
    const checkout = `anteroom_pass__${room.names.checkout}`;
    const tickets = `anteroom_pass__${room.names.tickets}`;
    const checkoutPass = visitor.cookies.get(checkout) ?? "";
    expect(checkoutPass).not.toBe("");
    expect(visitor.cookies.has(tickets)).toBe(true);
    // Neither is the first room's (the shop's), and /api/echo is a path no room queues.
    const done = await room.request(visitor, "/api/echo?release");
    expect(done.status).toBe(200);
    expect(done.headers.get("anteroom-release")).toBeNull();
    expect(done.headers.get("cache-control")).toContain("private");
    expect([...visitor.cookies.keys()]).toEqual([]);
    // The released pass admits nothing: replayed, its holder is a newcomer with a new pass.
    room.advance(2_000);
    const replay = new Visitor("application/json");
    replay.cookies.set(checkout, checkoutPass);
    expect((await room.request(replay, "/shop/checkout/a")).status).toBe(404);
    expect(replay.cookies.get(checkout)).not.toBe(checkoutPass);
    expect(subjectOf(replay.cookies.get(checkout) ?? null)).not.toBe(subjectOf(checkoutPass));
  });

  it("releases nothing for a pass under another room's cookie name", async () => {
    const room = await deployment();
    const holder = new Visitor("application/json");
    await room.request(holder, "/shop/a");
    const shopPass = holder.cookies.get(`anteroom_pass__${room.names.shop}`) ?? "";
    const res = await room.app.request(
      "http://room.test/api/echo?release",
      { headers: { accept: "application/json", cookie: `anteroom_pass__${room.names.tickets}=${shopPass}` } },
      room.env,
    );
    expect(res.headers.get("anteroom-release")).toBeNull();
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe("ROOMS: Turnstile", () => {
  it("takes a challenge's answer for the room of the page that asked, whose proof buys a place there", async () => {
    const room = await deployment([], {
      TURNSTILE_SITE_KEY: "stand-in-site-key",
      TURNSTILE_SECRET_KEY: STAND_IN_SECRET,
    });
    const visitor = new Visitor();
    const page = `http://tickets.example/show`;
    expect(await (await room.request(visitor, page)).text()).toContain('data-sitekey="stand-in-site-key"');
    const solved = await room.request(visitor, "http://tickets.example/__anteroom/turnstile", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", referer: page },
      body: new URLSearchParams({ "cf-turnstile-response": GOOD_TOKEN, return: "/show" }),
    });
    expect(solved.status).toBe(303);
    expect([...visitor.cookies.keys()]).toEqual([`anteroom_human__${room.names.tickets}`]);
    // The proof is the tickets room's: the shop still challenges, the tickets room lets the visitor in.
    expect(await (await room.request(visitor, "/shop/x")).text()).toContain('data-sitekey="stand-in-site-key"');
    expect((await room.request(visitor, page)).status).toBe(404);
    expect(visitor.cookies.has(`anteroom_pass__${room.names.tickets}`)).toBe(true);
  });
});

describe("ROOMS: Turnstile without a Referer", () => {
  it("names the room in the challenge form, so an answer posted without a Referer buys a place in that room", async () => {
    deployments += 1;
    const stamp = `${Date.now()}-${deployments}`;
    const first = `first-${stamp}`;
    const drop = `drop-${stamp}`;
    const room = await testRoom({
      ROOMS: JSON.stringify([
        { name: first, paths: ["/shop/*"] },
        { name: drop, paths: ["/drop/*"] },
      ]),
      TURNSTILE_SITE_KEY: "stand-in-site-key",
      TURNSTILE_SECRET_KEY: STAND_IN_SECRET,
    });
    const visitor = new Visitor();
    const page = await (await room.request(visitor, "/drop/sale")).text();
    const action = `/__anteroom/turnstile?room=${encodeURIComponent(drop)}`;
    expect(page).toContain(`<form method="post" action="${action}">`);
    // The browser sends no Referer (Referrer-Policy: no-referrer, a privacy extension).
    const solved = await room.request(visitor, action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ "cf-turnstile-response": GOOD_TOKEN, return: "/drop/sale" }),
    });
    expect(solved.status).toBe(303);
    expect([...visitor.cookies.keys()]).toEqual([`anteroom_human__${drop}`]);
    expect((await room.request(visitor, "/drop/sale")).status).toBe(404); // let in: the demo origin has no such page
    expect(visitor.cookies.has(`anteroom_pass__${drop}`)).toBe(true);
  });
});

describe("ROOMS: operators", () => {
  it("serves every room's endpoints under /rooms/NAME and the first room's at the old addresses", async () => {
    const room = await deployment();
    const patched = await admin(room, `/rooms/${room.names.tickets}/settings`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ratePerMinute: 7 }),
    });
    expect(patched.status).toBe(200);
    const tickets = (await (await admin(room, `/rooms/${room.names.tickets}/stats`)).json()) as Record<string, unknown>;
    expect(tickets).toMatchObject({ room: room.names.tickets, ratePerMinute: 7 });
    const first = (await (await admin(room, "/stats")).json()) as Record<string, unknown>;
    expect(first).toMatchObject({ room: room.names.shop, ratePerMinute: 60 });
    const events = await admin(room, `/rooms/${room.names.checkout}/events`);
    expect(events.status).toBe(200);
  });

  it("answers 404 naming an unknown room", async () => {
    const room = await deployment();
    const res = await admin(room, "/rooms/no-such-room/stats");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "room_not_found" } });
    expect(JSON.stringify(await (await admin(room, "/rooms/no-such-room/settings")).json())).toContain("no-such-room");
  });
});

describe("bypass beyond paths", () => {
  const secret = "staff-secret-0123456789";
  const partner = "partner-key-abcdefghijk";

  async function guarded() {
    const room = await testRoom({
      BYPASS_HEADERS: `X-Staff: ${secret}`,
      BYPASS_COOKIES: `partner=${partner}`,
      BYPASS_IPS: "203.0.113.0/24, 2001:db8::/32",
    });
    expect((await room.request(new Visitor("application/json"), "/a")).status).not.toBe(429);
    const through = async (headers: Record<string, string>) => {
      const res = await room.request(new Visitor("application/json"), "/api/echo", { headers });
      return { status: res.status, cookies: res.headers.getSetCookie() };
    };
    return through;
  }

  it("lets through a request with the secret header or cookie, untouched", async () => {
    const through = await guarded();
    expect(await through({ "x-staff": secret })).toEqual({ status: 200, cookies: [] });
    expect(await through({ cookie: `partner=${partner}` })).toEqual({ status: 200, cookies: [] });
  });

  it("queues a wrong or spoofed value, a wrong cookie, and a client that says it is Googlebot", async () => {
    const through = await guarded();
    expect((await through({ "x-staff": `${secret}x` })).status).toBe(429);
    expect((await through({ "x-staff": secret.slice(0, -1) })).status).toBe(429);
    expect((await through({ "x-other": secret })).status).toBe(429);
    expect((await through({ cookie: `partner=${partner.toUpperCase()}` })).status).toBe(429);
    expect((await through({ cookie: `other=${partner}` })).status).toBe(429);
    const googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    expect((await through({ "user-agent": googlebot })).status).toBe(429);
  });

  it("lets through CF-Connecting-IP inside a range (v4, v6, v4-mapped), and queues one outside or a spoofed X-Forwarded-For", async () => {
    const through = await guarded();
    expect(await through({ "cf-connecting-ip": "203.0.113.77" })).toEqual({ status: 200, cookies: [] });
    expect(await through({ "cf-connecting-ip": "2001:db8:1::5" })).toEqual({ status: 200, cookies: [] });
    expect(await through({ "cf-connecting-ip": "::ffff:203.0.113.9" })).toEqual({ status: 200, cookies: [] });
    expect((await through({ "cf-connecting-ip": "203.0.114.1" })).status).toBe(429);
    expect((await through({ "cf-connecting-ip": "2001:db9::1" })).status).toBe(429);
    expect((await through({ "x-forwarded-for": "203.0.113.77" })).status).toBe(429);
  });

  it("applies a room's own rules in ROOMS, not another room's", async () => {
    const stamp = Date.now();
    const withRules = await testRoom({
      ROOMS: JSON.stringify([
        { name: `guarded-${stamp}`, paths: ["/g/*"], bypassHeaders: [`X-Staff: ${secret}`] },
        { name: `open-${stamp}`, paths: ["/o/*"] },
      ]),
    });
    await withRules.request(new Visitor("application/json"), "/g/a");
    await withRules.request(new Visitor("application/json"), "/o/a");
    const staff = { headers: { "x-staff": secret } };
    expect((await withRules.request(new Visitor("application/json"), "/g/api/echo", staff)).status).toBe(404);
    expect((await withRules.request(new Visitor("application/json"), "/o/api/echo", staff)).status).toBe(429);
  });
});
