import { describe, expect, it } from "vitest";
import { PAUSED_NOTICE } from "../../worker/http/pages/page.ts";
import { testRoom, Visitor } from "./helpers.ts";

const TOKEN = "admin-token-for-tests-0123456789";

type Room = Awaited<ReturnType<typeof testRoom>>;

function setMode(room: Room, mode: string) {
  return room.app.request(
    "http://room.test/__anteroom/admin/settings",
    {
      method: "PATCH",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ mode }),
    },
    room.env,
  );
}

describe("a paused room (issue 12, item 7)", () => {
  it("lets none of three newcomers in on any poll at 600/min, promises no wait, and admits them in order on resume", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "600" });
    // An idle room: the first visitor goes straight in, and the frontier leads the last ticket by a
    // second's worth (10 places): the lead that let newcomers into a paused room.
    expect((await room.request(new Visitor("application/json"), "/api/echo")).status).toBe(200);
    room.advance(2_000);
    expect((await setMode(room, "paused")).status).toBe(200);
    const newcomers = Array.from({ length: 3 }, () => new Visitor("application/json"));
    for (const [i, visitor] of newcomers.entries()) {
      const res = await room.request(visitor, "/api/echo");
      expect(res.status).toBe(429);
      const body = await res.json();
      expect(body).toMatchObject({ state: "queued", position: i + 2, ahead: i, paused: true });
      expect(body).not.toHaveProperty("etaSeconds");
    }
    // Polls for half a minute, through this instance and another one (its own view of the room).
    const other = room.instance();
    for (let poll = 0; poll < 10; poll++) {
      room.advance(3_000);
      for (const [i, visitor] of newcomers.entries()) {
        const app = poll % 2 === 0 ? room.app : other;
        const status = await (await visitor.send(app, room.env, "/__anteroom/status")).json();
        expect(status, `poll ${poll}, newcomer ${i + 1}`).toMatchObject({
          state: "queued",
          position: i + 2,
          paused: true,
        });
        expect(status).not.toHaveProperty("etaSeconds");
        expect(visitor.cookies.has("anteroom_pass")).toBe(false);
      }
    }
    // The holding page says plainly that the room is paused and the place is kept, with no wait figure.
    const page = await room.request(newcomers[0] as Visitor, "/", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(PAUSED_NOTICE);
    expect(html).toContain('id="anteroom-eta">paused<');

    expect((await setMode(room, "auto")).status).toBe(200);
    room.advance(1_100);
    for (const [i, visitor] of newcomers.entries()) {
      const status = await (await room.request(visitor, "/__anteroom/status")).json();
      expect(status).toMatchObject({ state: "admitted", position: i + 2 });
    }
  });
});
