import { describe, expect, it } from "vitest";
import { testRoom, Visitor } from "./helpers.ts";

const ADMIN_TOKEN = "reject-admin-token-0123456789";
let deployments = 0;

/** A deployment with ROOMS: `drop` (/drop/*) turns away newcomers over its rate; `shop` (every other path) queues them. */
async function deployment() {
  deployments += 1;
  const stamp = `${Date.now()}-${deployments}`;
  const names = { drop: `drop-${stamp}`, shop: `shop-${stamp}` };
  const rooms = [
    { name: names.drop, paths: ["/drop/*"], admitPerMinute: 60, queueing: "reject" },
    { name: names.shop, paths: ["/*"], admitPerMinute: 60 },
  ];
  return { ...(await testRoom({ ROOMS: JSON.stringify(rooms), ADMIN_TOKEN })), names };
}

describe("QUEUEING reject", () => {
  it("lets the first newcomers in and turns the next away with 503, Retry-After and room_full JSON, no cookie", async () => {
    const room = await deployment();
    const first = new Visitor("application/json");
    expect((await room.request(first, "/drop/a")).status).not.toBe(503);
    expect([...first.cookies.keys()]).toEqual([`anteroom_pass__${room.names.drop}`]);

    const late = new Visitor("application/json");
    const res = await room.request(late, "/drop/a");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await res.json()).toMatchObject({ state: "rejected", error: { code: "room_full" }, retryAfter: 60 });

    // The status endpoint answers a newcomer the same way.
    const poll = await room.request(new Visitor("application/json"), `/__anteroom/status?room=${room.names.drop}`);
    expect(poll.status).toBe(503);
    expect(await poll.json()).toMatchObject({ state: "rejected", error: { code: "room_full" } });

    // Counted: both turned away (the page request and the status poll) in this instance's counter.
    const scrape = await room.app.request(
      "http://room.test/__anteroom/admin/metrics",
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
      room.env,
    );
    const text = await scrape.text();
    const listing = await room.app.request(
      "http://room.test/__anteroom/admin/rooms",
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
      room.env,
    );
    const { rooms } = (await listing.json()) as { rooms: { room: string; queueing: string }[] };
    expect(rooms.map((r) => [r.room, r.queueing])).toEqual([
      [room.names.drop, "reject"],
      [room.names.shop, "fifo"],
    ]);
    expect(text).toMatch(new RegExp(`anteroom_rejected_total\\{room="${room.names.drop}",isolate="[^"]+"\\} 2\n`));
    expect(text).toMatch(new RegExp(`anteroom_rejected_total\\{room="${room.names.shop}",isolate="[^"]+"\\} 0\n`));

    // A second later the rate has a place again: the next newcomer goes straight in.
    room.advance(1_000);
    const next = new Visitor("application/json");
    expect((await room.request(next, "/drop/a")).status).not.toBe(503);
    expect([...next.cookies.keys()]).toEqual([`anteroom_pass__${room.names.drop}`]);
  });

  it("shows browsers a static come-back-later page in their language, right to left where it reads so", async () => {
    const room = await deployment();
    await room.request(new Visitor("application/json"), "/drop/a?b=1");
    const sv = await room.request(new Visitor(), "/drop/a?b=1", { headers: { "accept-language": "sv" } });
    expect(sv.status).toBe(503);
    expect(sv.headers.get("retry-after")).toBe("60");
    expect(sv.headers.getSetCookie()).toEqual([]);
    const html = await sv.text();
    expect(html).toContain('<html lang="sv" dir="ltr">');
    expect(html).toContain("<h1>Kom tillbaka senare</h1>");
    expect(html).toContain('<a href="/drop/a?b=1">Försök igen</a>');
    // No self-refresh: a rejected crowd must not come back in lockstep.
    expect(html).not.toContain("http-equiv");
    expect(html).not.toContain("<script");

    const ar = await room.request(new Visitor(), "/drop/a", { headers: { "accept-language": "ar" } });
    expect(ar.status).toBe(503);
    expect(await ar.text()).toContain('<html lang="ar" dir="rtl">');
  });

  it("leaves a fifo room beside it queueing as before", async () => {
    const room = await deployment();
    expect((await room.request(new Visitor("application/json"), "/shop/a")).status).not.toBe(429);
    const waiting = new Visitor("application/json");
    const res = await room.request(waiting, "/shop/a");
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ state: "queued", position: 2 });
    expect([...waiting.cookies.keys()]).toEqual([`anteroom_ticket__${room.names.shop}`]);
  });
});
