import { describe, expect, it } from "vitest";
import { testRoom, Visitor } from "./helpers.ts";

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
