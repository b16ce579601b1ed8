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
