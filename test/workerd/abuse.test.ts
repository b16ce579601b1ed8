import { describe, expect, it } from "vitest";
import { redisCalls, testRoom, Visitor } from "./helpers.ts";

const fromIp = (ip: string) => ({ headers: { accept: "application/json", "cf-connecting-ip": ip } });

describe("NEW_TICKETS_PER_IP_PER_MINUTE", () => {
  it("refuses a client's new tickets past the limit with a 429, and lets others and ticket holders on", async () => {
    const room = await testRoom({ NEW_TICKETS_PER_IP_PER_MINUTE: "2", ADMIT_PER_MINUTE: "6" });
    const holders = [new Visitor("application/json"), new Visitor("application/json")];
    for (const visitor of holders) await room.request(visitor, "/", fromIp("203.0.113.7"));
    const refused = await room.request(new Visitor("application/json"), "/", fromIp("203.0.113.7"));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused.json()) as { state: string; error: { code: string } };
    expect(body).toMatchObject({ state: "limited", error: { code: "too_many_new_tickets" } });
    expect(refused.headers.get("set-cookie")).toBeNull();
    // The same network's ticket holders keep polling; their polls are not new tickets.
    const poll = await room.request(holders[1] ?? new Visitor(), "/__anteroom/status", fromIp("203.0.113.7"));
    expect(await poll.json()).toMatchObject({ state: "queued", position: 2 });
    // Another address is not affected.
    const other = await room.request(new Visitor("application/json"), "/", fromIp("198.51.100.1"));
    expect(await other.json()).toMatchObject({ state: "queued", position: 3 });
    // A minute later the count starts over.
    room.advance(60_000);
    const later = await room.request(new Visitor("application/json"), "/", fromIp("203.0.113.7"));
    expect(later.status).not.toBe(429);
  });

  it("is off at 0 (the default)", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "6" });
    for (let i = 0; i < 5; i++) {
      const res = await room.request(new Visitor("application/json"), "/", fromIp("203.0.113.8"));
      const body = res.status === 429 ? ((await res.json()) as { state: string }) : null;
      expect(res.status === 200 || body?.state === "queued").toBe(true);
    }
  });
});

describe("TICKET_BINDING", () => {
  const as = (ip: string, ua = "Browser/1.0") => ({
    headers: { accept: "application/json", "cf-connecting-ip": ip, "user-agent": ua },
  });

  it("ip-prefix: a ticket copied to another network counts for nothing there; the same /24 keeps the place", async () => {
    const room = await testRoom({ TICKET_BINDING: "ip-prefix", ADMIT_PER_MINUTE: "6" });
    await room.request(new Visitor("application/json"), "/", as("198.51.100.1"));
    const owner = new Visitor("application/json");
    const first = (await (await room.request(owner, "/", as("203.0.113.7"))).json()) as { position: number };
    expect(first.position).toBe(2);
    // The owner's phone moves to another address of the same network: same place.
    const moved = await room.request(owner, "/__anteroom/status", as("203.0.113.99"));
    expect(await moved.json()).toMatchObject({ state: "queued", position: 2 });
    // The cookie copied to a machine elsewhere: a newcomer there, at the back.
    const thief = new Visitor("application/json");
    thief.cookies.set("anteroom_ticket", owner.cookies.get("anteroom_ticket") ?? "");
    const copied = await room.request(thief, "/__anteroom/status", as("192.0.2.50"));
    expect(await copied.json()).toMatchObject({ state: "queued", position: 3 });
  });

  it("user-agent: a ticket replayed with another User-Agent counts for nothing", async () => {
    const room = await testRoom({ TICKET_BINDING: "user-agent", ADMIT_PER_MINUTE: "6" });
    await room.request(new Visitor("application/json"), "/", as("198.51.100.1"));
    const owner = new Visitor("application/json");
    await room.request(owner, "/", as("203.0.113.7", "Phone/2"));
    const replay = new Visitor("application/json");
    replay.cookies.set("anteroom_ticket", owner.cookies.get("anteroom_ticket") ?? "");
    expect(await (await room.request(replay, "/__anteroom/status", as("203.0.113.7", "curl/8"))).json()).toMatchObject({
      position: 3,
    });
    expect(await (await room.request(owner, "/__anteroom/status", as("203.0.113.7", "Phone/2"))).json()).toMatchObject({
      position: 2,
    });
  });

  it("none (the default): a ticket works wherever it is presented", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "6" });
    await room.request(new Visitor("application/json"), "/", as("198.51.100.1"));
    const owner = new Visitor("application/json");
    await room.request(owner, "/", as("203.0.113.7"));
    const elsewhere = new Visitor("application/json");
    elsewhere.cookies.set("anteroom_ticket", owner.cookies.get("anteroom_ticket") ?? "");
    expect(await (await room.request(elsewhere, "/__anteroom/status", as("192.0.2.50"))).json()).toMatchObject({
      position: 2,
    });
  });
});

describe("COOKIE_CHECK", () => {
  it("always: a client that keeps no cookies never takes a place and costs no store call", async () => {
    const room = await testRoom({ COOKIE_CHECK: "always", ADMIT_PER_MINUTE: "6" });
    const before = await redisCalls();
    for (let i = 0; i < 30; i++) {
      const res = await room.request(new Visitor("application/json"), "/");
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ state: "cookie_check", error: { code: "cookie_required" } });
    }
    expect(await redisCalls()).toBe(before);
    // A client that sends the cookie back gets its place on the next request.
    const keeper = new Visitor("application/json");
    await room.request(keeper, "/");
    expect(keeper.cookies.has("anteroom_probe")).toBe(true);
    const again = await room.request(keeper, "/");
    expect(again.status).toBe(200); // the first place of an idle room: straight in
    expect(keeper.cookies.has("anteroom_probe")).toBe(false); // done its job: dropped with the pass
    const second = new Visitor("application/json");
    await room.request(second, "/");
    expect(await (await room.request(second, "/")).json()).toMatchObject({ state: "queued", position: 2 });
  });

  it("sends a browser straight back to the same URL, which it then gets with the cookie", async () => {
    const room = await testRoom({ COOKIE_CHECK: "always", MODE: "queue-all" });
    const browser = new Visitor();
    const first = await room.request(browser, "/shop?item=7");
    expect(first.status).toBe(307);
    expect(first.headers.get("location")).toBe("/shop?item=7");
    const back = await room.request(browser, "/shop?item=7");
    expect(await back.text()).toContain("You are in line");
  });

  it("one cookie buys one place: 100 clients with a copy of it get the check again, on any instance", async () => {
    const room = await testRoom({ COOKIE_CHECK: "always", MODE: "queue-all" });
    const keeper = new Visitor("application/json");
    await room.request(keeper, "/");
    const probe = keeper.cookies.get("anteroom_probe") ?? "";
    expect(await (await room.request(keeper, "/")).json()).toMatchObject({ state: "queued", position: 1 });
    const other = room.instance();
    let places = 0;
    for (let i = 0; i < 100; i++) {
      const copy = new Visitor("application/json");
      copy.cookies.set("anteroom_probe", probe);
      // Half on another instance, which has not seen the cookie spent: the store refuses it there.
      const res = i % 2 ? await copy.send(other, room.env, "/") : await room.request(copy, "/");
      const body = (await res.json()) as { state: string };
      if (body.state !== "cookie_check") places += 1;
      // A fresh cookie comes with the check: the client may still earn a place of its own.
      expect(copy.cookies.get("anteroom_probe")).not.toBe(probe);
    }
    expect(places).toBe(0);
    const second = new Visitor("application/json");
    await room.request(second, "/");
    expect(await (await room.request(second, "/")).json()).toMatchObject({ state: "queued", position: 2 });
  });

  it("a lapsed ticket is a newcomer: without the cookie it takes no place", async () => {
    const room = await testRoom({ COOKIE_CHECK: "always", ADMIT_PER_MINUTE: "60", OFFER_SECONDS: "5" });
    const join = async (visitor: Visitor) => {
      await room.request(visitor, "/");
      return room.request(visitor, "/");
    };
    const holders = Array.from({ length: 22 }, () => new Visitor("application/json"));
    for (const visitor of holders) await join(visitor);
    room.advance(15_000);
    // Place 2 passed about 14 s ago while others wait: its offer lapsed.
    const lapsed = holders[1]?.cookies.get("anteroom_ticket") ?? "";
    for (let i = 0; i < 10; i++) {
      const replay = new Visitor("application/json");
      replay.cookies.set("anteroom_ticket", lapsed);
      const res = await room.request(replay, "/__anteroom/status");
      expect(await res.json()).toMatchObject({ state: "cookie_check" });
      expect(replay.cookies.get("anteroom_ticket")).toBe(lapsed);
    }
    // The holder itself goes through the check like anyone, and keeps its new place at the back.
    const holder = holders[1] ?? new Visitor();
    expect(await (await room.request(holder, "/__anteroom/status")).json()).toMatchObject({ state: "cookie_check" });
    expect(await (await room.request(holder, "/__anteroom/status")).json()).toMatchObject({ position: 23 });
    expect(await (await join(new Visitor("application/json"))).json()).toMatchObject({ position: 24 });
  });

  it("busy: checks only while this instance knows of a queue (or knows nothing yet)", async () => {
    const room = await testRoom({ COOKIE_CHECK: "busy", ADMIT_PER_MINUTE: "6" });
    const first = new Visitor("application/json");
    expect((await room.request(first, "/")).status).toBe(429); // nothing known yet: checked
    expect((await room.request(first, "/")).status).toBe(200); // straight in: the room is idle
    room.advance(20_000);
    // Idle, as this instance saw it: a cookie-less newcomer goes straight in.
    expect((await room.request(new Visitor("application/json"), "/")).status).toBe(200);
    const waiting = new Visitor("application/json");
    await room.request(waiting, "/");
    expect(await (await room.request(waiting, "/")).json()).toMatchObject({ state: "queued" });
    // Now someone waits: cookie-less newcomers are checked and take no place.
    const bot = await room.request(new Visitor("application/json"), "/");
    expect(await bot.json()).toMatchObject({ state: "cookie_check" });
  });
});
