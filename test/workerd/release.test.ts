import { describe, expect, it } from "vitest";
import { PASS_COOKIE } from "../../worker/http/cookies.ts";
import { subjectOf, testRoom, Visitor } from "./helpers.ts";

interface Echo {
  readonly pass: string | null;
}

describe("MAX_ACTIVE through the worker", () => {
  it("queues newcomers once the cap is reached, although the rate would let them in", async () => {
    const token = "admin-token-for-tests-0123456789";
    const room = await testRoom({ ADMIT_PER_MINUTE: "600", MAX_ACTIVE: "2", ADMIN_TOKEN: token });
    const visitors = Array.from({ length: 4 }, () => new Visitor("application/json"));
    const statuses: number[] = [];
    for (const visitor of visitors) {
      statuses.push((await room.request(visitor, "/api/echo")).status);
      room.advance(1000); // 10 a second is the rate: alone, it would let all four in
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    room.advance(5000);
    expect((await room.request(visitors[2] ?? new Visitor(), "/api/echo")).status).toBe(429);
    const stats = await room.app.request(
      "http://room.test/__anteroom/admin/stats",
      { headers: { authorization: `Bearer ${token}` } },
      room.env,
    );
    expect(await stats.json()).toMatchObject({ activeVisitors: 2, maxActive: 2, queueLength: 2 });
  });
});

describe("early release (the origin's Anteroom-Release header)", () => {
  it("ends the session: the header is stripped, the pass cleared and refused, and the place goes to the next visitor", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60", MAX_ACTIVE: "1" });
    const shopper = new Visitor("application/json");
    const next = new Visitor("application/json");
    const first = await room.request(shopper, "/api/echo");
    expect(first.status).toBe(200);
    const pass = shopper.cookies.get(PASS_COOKIE) ?? "";
    const subject = subjectOf(((await first.json()) as Echo).pass);
    expect(subject).toBeTruthy();
    room.advance(1000);
    expect((await room.request(next, "/api/echo")).status).toBe(429);
    room.advance(5000);
    expect((await room.request(next, "/api/echo")).status).toBe(429); // the cap holds the line

    const done = await room.request(shopper, "/api/echo?release");
    expect(done.status).toBe(200);
    expect(done.headers.get("anteroom-release")).toBeNull();
    expect(done.headers.getSetCookie().some((c) => c.startsWith(`${PASS_COOKIE}=;`) && /max-age=0/i.test(c))).toBe(
      true,
    );
    expect(shopper.cookies.has(PASS_COOKIE)).toBe(false);

    // The released pass, replayed here: not let through with it (the replayer is a newcomer, behind `next`).
    const replay = new Visitor("application/json");
    replay.cookies.set(PASS_COOKIE, pass);
    expect((await room.request(replay, "/api/echo")).status).toBe(429);

    // The freed place goes to the next in line once this instance has reported the release.
    room.advance(1500);
    const admitted = await room.request(next, "/api/echo");
    expect(admitted.status).toBe(200);
    expect(subjectOf(((await admitted.json()) as Echo).pass)).not.toBe(subject);

    // Another instance learns of the release with its next tick, and refuses the pass too.
    const elsewhere = room.instance();
    const waiter = new Visitor("application/json");
    expect((await waiter.send(elsewhere, room.env, "/api/echo")).status).toBe(429); // its first store call
    room.advance(1500);
    await waiter.send(elsewhere, room.env, "/api/echo"); // a tick, which brings the releases
    const replayElsewhere = new Visitor("application/json");
    replayElsewhere.cookies.set(PASS_COOKIE, pass);
    const refused = await replayElsewhere.send(elsewhere, room.env, "/api/echo");
    expect(refused.status).toBe(429);
  });

  it("strips the header and releases a valid pass on a bypassed path too; without a pass it only strips", async () => {
    const room = await testRoom({ BYPASS_PATHS: "/api/*" });
    const visitor = new Visitor("application/json");
    expect((await room.request(visitor, "/")).status).toBe(200);
    expect(visitor.cookies.has(PASS_COOKIE)).toBe(true);
    const released = await room.request(visitor, "/api/echo?release");
    expect(released.headers.get("anteroom-release")).toBeNull();
    expect(visitor.cookies.has(PASS_COOKIE)).toBe(false);

    const stranger = new Visitor("application/json");
    const plain = await room.request(stranger, "/api/echo?release");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("anteroom-release")).toBeNull();
    expect(plain.headers.getSetCookie()).toEqual([]);
  });
});
