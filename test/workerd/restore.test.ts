// Issue 14, item 3, in workerd: the room's data lost mid-queue (every key of
// the room deleted on the real Redis, as FLUSHALL would; the suite's Redis is
// shared, so only this room's keys go), then newcomers. Two worker instances:
// the one that handed the tickets out, and a new one that never saw the room.
import { describe, expect, it } from "vitest";
import { clientsKey, eventSeqKey, roomKeys, stampsKey } from "../../worker/store/keys.ts";
import { bindings, testRoom, Visitor } from "./helpers.ts";

interface StatusBody {
  readonly state: "queued" | "admitted";
  readonly position: number;
}

const TOKEN = "a".repeat(32);

/** Deletes every key of the room through the REST bridge. */
async function loseRoomData(room: string, now: number): Promise<void> {
  const keys = [...roomKeys(room), stampsKey(room), eventSeqKey(room), clientsKey(room, Math.floor(now / 60_000))];
  const res = await fetch(bindings.UPSTASH_REDIS_REST_URL ?? "", {
    method: "POST",
    headers: { authorization: `Bearer ${bindings.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(["DEL", ...keys]),
  });
  expect(res.status).toBe(200);
}

describe("a room whose store lost its data mid-queue", () => {
  it("keeps every waiting visitor's place: newcomers after the loss come after them, no position shared", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60", ADMIN_TOKEN: TOKEN });
    const other = room.instance();
    const ask = (visitor: Visitor, app = room.app) => visitor.send(app, room.env, "/__anteroom/status");
    const waiting = Array.from({ length: 11 }, () => new Visitor("application/json"));
    for (const visitor of waiting) await room.request(visitor, "/api/echo");
    const before: number[] = [];
    for (const visitor of waiting.slice(1)) before.push(((await (await ask(visitor)).json()) as StatusBody).position);
    expect(before).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

    await loseRoomData(room.env.ROOM ?? "", room.now());
    room.advance(200);
    const newcomers = Array.from({ length: 5 }, () => new Visitor("application/json"));
    for (const visitor of newcomers) await room.request(visitor, "/api/echo");
    const after: number[] = [];
    for (const visitor of newcomers) after.push(((await (await ask(visitor)).json()) as StatusBody).position);
    // Restored at the last ticket this instance saw, in a new epoch: no newcomer holds a waiting visitor's number.
    expect(after).toEqual([12, 13, 14, 15, 16]);

    // Everyone polls once a second, alternately at each instance (the other one never saw the room before).
    const everyone = [...waiting.slice(1), ...newcomers];
    const inAt = new Array<number>(everyone.length).fill(-1);
    for (let second = 1; second <= 30 && inAt.includes(-1); second++) {
      room.advance(1000);
      for (const [i, visitor] of everyone.entries()) {
        if (inAt[i] !== -1) continue;
        const status = (await (await ask(visitor, i % 2 === 0 ? room.app : other)).json()) as StatusBody;
        if (status.state === "admitted") inAt[i] = second;
      }
    }
    expect(inAt).not.toContain(-1);
    let inversions = 0;
    for (let i = 0; i < everyone.length; i++)
      for (let j = i + 1; j < everyone.length; j++) if ((inAt[i] ?? 0) > (inAt[j] ?? 0)) inversions += 1;
    expect(inversions).toBe(0);
    expect(Math.max(...inAt.slice(0, 10))).toBeLessThanOrEqual(Math.min(...inAt.slice(10)));

    // The operator is told: when, from which place, and how many instances are live.
    const stats = await room.app.request(
      "http://room.test/__anteroom/admin/stats",
      { headers: { authorization: `Bearer ${TOKEN}` } },
      room.env,
    );
    expect(stats.status).toBe(200);
    const body = (await stats.json()) as {
      state: { epoch: number; restoredAt: string | null; restoredFromTicket: number };
      fleet: { instances: number };
    };
    expect(body.state.restoredFromTicket).toBe(11);
    expect(body.state.restoredAt).toBe(new Date(1_800_000_000_000 + 200).toISOString());
    expect(body.fleet.instances).toBe(2);
  });
});
