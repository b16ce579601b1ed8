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
