import { describe, expect, it } from "vitest";
import { GOOD_TOKEN, OUTAGE_TOKEN, STAND_IN_SECRET } from "../support/turnstile-tokens.ts";
import { redisCalls, testRoom, Visitor } from "./helpers.ts";

const KEYS = { TURNSTILE_SITE_KEY: "stand-in-site-key", TURNSTILE_SECRET_KEY: STAND_IN_SECRET };

type Room = Awaited<ReturnType<typeof testRoom>>;

function answer(room: Room, visitor: Visitor, token: string, returnTo = "/shop?item=1") {
  const body = new URLSearchParams({ "cf-turnstile-response": token, return: returnTo });
  return room.request(visitor, "/__anteroom/turnstile", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" },
    body,
  });
}

/** Solves the challenge the way an app does (JSON), keeping the proof cookie. */
async function solveAsApp(room: Room, visitor: Visitor, headers: Record<string, string> = {}) {
  const res = await room.request(visitor, "/__anteroom/turnstile", {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ token: GOOD_TOKEN }),
  });
  expect(await res.json()).toEqual({ ok: true });
}

describe("Turnstile before a ticket (against a local stand-in for siteverify)", () => {
  it("shows newcomers the challenge, with no place taken and no store call", async () => {
    const room = await testRoom(KEYS);
    const before = await redisCalls();
    const visitor = new Visitor();
    const res = await room.request(visitor, "/shop");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-sitekey="stand-in-site-key"');
    expect(html).toContain('name="return" value="/shop"');
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'nonce-[\w-]+' https:\/\/challenges\.cloudflare\.com/);
    expect(csp).toContain("frame-src https://challenges.cloudflare.com");
    expect(visitor.cookies.size).toBe(0);
    expect(await redisCalls()).toBe(before);
    const api = await room.request(new Visitor("application/json"), "/shop");
    expect(api.status).toBe(403);
    expect(await api.json()).toMatchObject({ state: "challenge", error: { code: "turnstile_required" } });
  });

  it("lets a solved challenge take a place, and sends the browser back to the same-site path it asked for", async () => {
    const room = await testRoom({ ...KEYS, MODE: "queue-all" });
    const visitor = new Visitor();
    const solved = await answer(room, visitor, GOOD_TOKEN);
    expect(solved.status).toBe(303);
    expect(solved.headers.get("location")).toBe("/shop?item=1");
    expect(visitor.cookies.has("anteroom_human")).toBe(true);
    const page = await room.request(visitor, "/shop?item=1");
    expect(await page.text()).toContain("You are in line");
    expect(visitor.cookies.has("anteroom_ticket")).toBe(true);
    // Polls with the ticket are not challenged again.
    const poll = await room.request(new Visitor("application/json"), "/__anteroom/status", {
      headers: { cookie: `anteroom_ticket=${visitor.cookies.get("anteroom_ticket")}` },
    });
    const standing = (await poll.json()) as { state: string; position: number };
    expect(["queued", "admitted"]).toContain(standing.state);
    expect(standing.position).toBe(1);
  });

  it("never redirects off-site after the challenge", async () => {
    const room = await testRoom(KEYS);
    for (const evil of ["//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)"]) {
      const res = await answer(room, new Visitor(), GOOD_TOKEN, evil);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/");
    }
  });

  it("asks again after a wrong answer, an outage of siteverify, or a forged proof cookie", async () => {
    const room = await testRoom(KEYS);
    const wrong = new Visitor();
    const refused = await answer(room, wrong, "made-up-token");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("That did not work");
    expect(wrong.cookies.has("anteroom_human")).toBe(false);
    const outage = await answer(room, new Visitor(), OUTAGE_TOKEN);
    expect(outage.status).toBe(403);
    expect(await outage.text()).toContain("could not check");
    const forger = new Visitor();
    forger.cookies.set("anteroom_human", "eyJhbGciOiJIUzI1NiJ9.e30.forged");
    expect(await (await room.request(forger, "/")).text()).toContain("data-sitekey");
  });

  it("lets one proof buy one ticket: 30 other clients with a copy get the challenge again, on any instance", async () => {
    const room = await testRoom({ ...KEYS, MODE: "queue-all" });
    const solver = new Visitor();
    await answer(room, solver, GOOD_TOKEN);
    const proof = solver.cookies.get("anteroom_human") ?? "";
    expect(await (await room.request(solver, "/shop?item=1")).text()).toContain("You are in line");
    // Its job done, the proof cookie is dropped.
    expect(solver.cookies.has("anteroom_human")).toBe(false);
    const other = room.instance();
    for (let i = 0; i < 30; i++) {
      const copy = new Visitor("application/json");
      copy.cookies.set("anteroom_human", proof);
      // Half on another instance, which has not seen the proof spent: the store refuses it there.
      const res = i % 2 ? await copy.send(other, room.env, "/") : await room.request(copy, "/");
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ state: "challenge", error: { code: "turnstile_required" } });
      expect(copy.cookies.has("anteroom_ticket")).toBe(false);
    }
    // The copies took no place: the next visitor to solve the challenge is second in line.
    const next = new Visitor("application/json");
    await solveAsApp(room, next);
    expect(await (await room.request(next, "/")).json()).toMatchObject({ state: "queued", position: 2 });
  });

  it("binds a proof to the client that solved it: from another network or browser, the challenge again", async () => {
    const room = await testRoom({ ...KEYS, MODE: "queue-all" });
    const from = (ip: string, ua: string) => ({
      headers: { accept: "application/json", "cf-connecting-ip": ip, "user-agent": ua },
    });
    const solver = new Visitor("application/json");
    await solveAsApp(room, solver, from("203.0.113.7", "Browser/1.0").headers);
    const proof = solver.cookies.get("anteroom_human") ?? "";
    for (const [ip, ua] of [
      ["198.51.100.1", "Browser/1.0"],
      ["203.0.113.7", "curl/8"],
    ] as const) {
      const copy = new Visitor("application/json");
      copy.cookies.set("anteroom_human", proof);
      expect(await (await room.request(copy, "/", from(ip, ua))).json()).toMatchObject({ state: "challenge" });
    }
    // The solver, from another address of its network: first in line (the refused copies spent nothing).
    const own = await room.request(solver, "/", from("203.0.113.99", "Browser/1.0"));
    expect(await own.json()).toMatchObject({ state: "queued", position: 1 });
  });

  it("asks a holder whose turn lapsed to solve the challenge again before a new place", async () => {
    const room = await testRoom({ ...KEYS, ADMIT_PER_MINUTE: "60", OFFER_SECONDS: "5" });
    const holders: Visitor[] = [];
    for (let i = 0; i < 20; i++) {
      const visitor = new Visitor("application/json");
      await solveAsApp(room, visitor);
      await room.request(visitor, "/");
      holders.push(visitor);
    }
    room.advance(15_000);
    // The second's place passed about 14 s ago while others wait: lapsed. Its old ticket buys nothing alone.
    const lapsed = holders[1]?.cookies.get("anteroom_ticket") ?? "";
    for (let i = 0; i < 5; i++) {
      const replay = new Visitor("application/json");
      replay.cookies.set("anteroom_ticket", lapsed);
      expect(await (await room.request(replay, "/__anteroom/status")).json()).toMatchObject({ state: "challenge" });
    }
    const next = new Visitor("application/json");
    await solveAsApp(room, next);
    expect(await (await room.request(next, "/")).json()).toMatchObject({ state: "queued", position: 21 });
  });

  it("accepts an app's JSON answer", async () => {
    const room = await testRoom(KEYS);
    const app = new Visitor("application/json");
    const res = await room.request(app, "/__anteroom/turnstile", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: GOOD_TOKEN }),
    });
    expect(await res.json()).toEqual({ ok: true });
    const joined = await room.request(app, "/");
    expect(joined.status).not.toBe(403);
  });

  it("is off without keys, and one key without the other is a configuration error naming both", async () => {
    const off = await testRoom();
    expect((await off.request(new Visitor(), "/")).status).toBe(200);
    const half = await testRoom({ TURNSTILE_SITE_KEY: "k" });
    const res = await half.request(new Visitor("application/json"), "/");
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).toContain("TURNSTILE_SECRET_KEY");
  });
});
