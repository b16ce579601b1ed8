// A pre-queue entry after the event's start (issue 17): exchanged for a place
// once per instance, so a client that keeps sending its old pre-queue ticket
// costs no store call; and a pre-queued visitor whose place lapsed is a
// newcomer like any other, who keeps the new ticket.
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/index.ts";
import { CLAIM_LUA } from "../../worker/store/lua/claim.ts";
import { JOIN_LUA } from "../../worker/store/lua/join.ts";
import { connectRedis, RedisStore, type ScriptClient } from "../../worker/store/redis.ts";
import { T0, testRoom, Visitor } from "./helpers.ts";

const TOKEN = "admin-token-for-tests-0123456789";
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

type Room = Awaited<ReturnType<typeof testRoom>>;

function schedule(room: Room, event: Record<string, unknown>) {
  return room.app.request(
    "http://room.test/__anteroom/admin/events",
    {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(event),
    },
    room.env,
  );
}

/** Another worker instance of the room whose script calls are counted, by script, as they reach Redis. */
function countedInstance(room: Room) {
  const calls = { claim: 0, join: 0, all: 0 };
  const redis = connectRedis({
    url: room.env.UPSTASH_REDIS_REST_URL ?? "",
    token: room.env.UPSTASH_REDIS_REST_TOKEN ?? "",
    timeoutMs: 3000,
  });
  const counting: ScriptClient = {
    createScript<T>(script: string) {
      const inner = redis.createScript<T>(script);
      return {
        exec(keys: string[], args: string[]) {
          calls.all += 1;
          if (script === CLAIM_LUA) calls.claim += 1;
          if (script === JOIN_LUA) calls.join += 1;
          return inner.exec(keys, args);
        },
      };
    },
  };
  const app = createApp({ store: new RedisStore(counting, { now: room.now }), now: room.now });
  return { app, calls };
}

describe("a pre-queue entry after the start", () => {
  it("is exchanged once: its ticket sent 30 times after the start costs one script call", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "1" });
    const created = await schedule(room, {
      startsAt: iso(T0 + 2 * MINUTE),
      prequeueFrom: iso(T0 + 1000),
      shuffleAtStart: false,
    });
    expect(created.status).toBe(201);
    room.advance(5_000);
    // In arrival order: the third holds place 3, out of reach at one a minute.
    const entries = [new Visitor("application/json"), new Visitor("application/json"), new Visitor("application/json")];
    for (const visitor of entries) await room.request(visitor, "/");
    const ticket = entries[2]?.cookies.get("anteroom_ticket") ?? "";
    room.advance(2 * MINUTE);

    const counted = countedInstance(room);
    const placed: unknown[] = [];
    for (let i = 0; i < 30; i++) {
      // A client that keeps sending the old pre-queue ticket (it never keeps the new one).
      const replay = new Visitor("application/json");
      replay.cookies.set("anteroom_ticket", ticket);
      const res = await replay.send(counted.app, room.env, "/__anteroom/status");
      placed.push(await res.json());
      // Each time it is given the placed ticket again.
      expect(replay.cookies.get("anteroom_ticket")).not.toBe(ticket);
    }
    expect(new Set(placed.map((p) => JSON.stringify(p))).size).toBe(1);
    expect(placed[0]).toMatchObject({ state: "queued", position: 3 });
    expect(counted.calls.claim).toBe(1);
    // One CLAIM, and at most a tick for the frontier: the clock did not move.
    expect(counted.calls.all).toBeLessThanOrEqual(2);
  });

  it("whose place lapsed makes its holder a newcomer who keeps the new ticket", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "60", OFFER_SECONDS: "5" });
    await schedule(room, { startsAt: iso(T0 + MINUTE), prequeueFrom: iso(T0 + 1000), shuffleAtStart: false });
    room.advance(5_000);
    const late = new Visitor("application/json");
    await room.request(late, "/");
    room.advance(MINUTE);
    // Others keep arriving after the start, so someone is waiting when the pre-queued visitor comes back.
    for (let i = 0; i < 40; i++) await room.request(new Visitor("application/json"), "/");
    room.advance(20_000);
    const back = await room.request(late, "/__anteroom/status");
    expect(await back.json()).toMatchObject({ state: "queued", position: 42 });
    // The new ticket is kept: the next poll stands at the same place, and no other place was taken.
    expect(await (await room.request(late, "/__anteroom/status")).json()).toMatchObject({ position: 42 });
    expect(await (await room.request(new Visitor("application/json"), "/")).json()).toMatchObject({ position: 43 });
  });
});
