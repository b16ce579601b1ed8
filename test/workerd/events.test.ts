import { describe, expect, it } from "vitest";
import { eventsKey } from "../../worker/store/keys.ts";
import { bindings, T0, testRoom, Visitor } from "./helpers.ts";

const TOKEN = "admin-token-for-tests-0123456789";
const MINUTE = 60_000;

type Room = Awaited<ReturnType<typeof testRoom>>;

function admin(room: Room, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${TOKEN}`);
  return room.app.request(`http://room.test/__anteroom/admin${path}`, { ...init, headers }, room.env);
}

function post(room: Room, body: unknown) {
  return admin(room, "/events", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

async function problems(res: Response): Promise<string> {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(["invalid_event", "invalid_json"]).toContain(body.error.code);
  return body.error.message;
}

describe("admin events API", () => {
  it("schedules, lists and removes an event", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const created = await post(room, {
      startsAt: iso(T0 + 30 * MINUTE),
      endsAt: iso(T0 + 90 * MINUTE),
      prequeueFrom: iso(T0 + 10 * MINUTE),
      ratePerMinute: 300,
      mode: "queue-all",
    });
    expect(created.status).toBe(201);
    const { event } = (await created.json()) as { event: Record<string, unknown> };
    expect(event).toMatchObject({
      startsAt: iso(T0 + 30 * MINUTE),
      prequeueFrom: iso(T0 + 10 * MINUTE),
      ratePerMinute: 300,
      mode: "queue-all",
      shuffleAtStart: true,
      phase: "scheduled",
    });
    const listed = (await (await admin(room, "/events")).json()) as { events: Record<string, unknown>[] };
    expect(listed.events).toEqual([expect.objectContaining({ id: event.id, phase: "scheduled" })]);
    const stats = (await (await admin(room, "/stats")).json()) as { events: unknown[] };
    expect(stats.events).toEqual([expect.objectContaining({ id: event.id })]);

    expect((await admin(room, `/events/${event.id}`, { method: "DELETE" })).status).toBe(200);
    expect(((await (await admin(room, "/events")).json()) as { events: unknown[] }).events).toEqual([]);
    const missing = await admin(room, `/events/${event.id}`, { method: "DELETE" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "event_not_found" } });
  });

  it("rejects bad events with a 400 naming the problem, and leaves schedule and settings untouched", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    expect(await problems(await post(room, { startsAt: iso(T0 - MINUTE), ratePerMinute: 100 }))).toContain(
      "startsAt is in the past",
    );
    expect(await problems(await post(room, { ratePerMinute: 100 }))).toContain("startsAt is required");
    expect(await problems(await post(room, { startsAt: "next tuesday", ratePerMinute: 100 }))).toContain("startsAt");
    expect(
      await problems(await post(room, { startsAt: iso(T0 + MINUTE), endsAt: iso(T0 + 1000), mode: "paused" })),
    ).toContain("endsAt must be after startsAt");
    expect(await problems(await post(room, { startsAt: iso(T0 + MINUTE), ratePerMinute: -5 }))).toContain(
      "ratePerMinute",
    );
    expect(await problems(await post(room, { startsAt: iso(T0 + MINUTE), mode: "turbo" }))).toContain("mode");
    expect(await problems(await post(room, { startsAt: iso(T0 + MINUTE), rate: 5 }))).toContain('unknown field "rate"');
    expect(await problems(await post(room, { startsAt: iso(T0 + MINUTE) }))).toContain(
      "must set prequeueFrom, ratePerMinute, mode or autopilot",
    );
    expect(await problems(await post(room, "{not json"))).toContain("not valid JSON");

    const first = await post(room, {
      startsAt: iso(T0 + 10 * MINUTE),
      endsAt: iso(T0 + 20 * MINUTE),
      ratePerMinute: 50,
    });
    const { event } = (await first.json()) as { event: { id: string } };
    const overlapping = await post(room, {
      startsAt: iso(T0 + 25 * MINUTE),
      prequeueFrom: iso(T0 + 15 * MINUTE),
    });
    expect(await problems(overlapping)).toContain(`overlaps event ${event.id}`);
    const listed = (await (await admin(room, "/events")).json()) as { events: unknown[] };
    expect(listed.events).toHaveLength(1);
    const settings = await (await admin(room, "/settings")).json();
    expect(settings).toMatchObject({ ratePerMinute: 60, mode: "auto" });
  });

  it("switches the rate at the event's start without anyone at the keyboard", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    await post(room, { startsAt: iso(T0 + MINUTE), endsAt: iso(T0 + 2 * MINUTE), ratePerMinute: 600 });
    room.advance(MINUTE + 1000);
    expect(await (await admin(room, "/stats")).json()).toMatchObject({ ratePerMinute: 600 });
    room.advance(MINUTE);
    expect(await (await admin(room, "/stats")).json()).toMatchObject({ ratePerMinute: 60 });
  });

  it("turns the autopilot on while the event is in force, lists it so, and refuses anything but true or false", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    expect(await problems(await post(room, { startsAt: iso(T0 + MINUTE), autopilot: "on" }))).toContain(
      "autopilot must be true",
    );
    const created = await post(room, { startsAt: iso(T0 + MINUTE), endsAt: iso(T0 + 2 * MINUTE), autopilot: true });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ event: { autopilot: true, ratePerMinute: null, mode: null } });
    const listed = (await (await admin(room, "/events")).json()) as { events: Record<string, unknown>[] };
    expect(listed.events).toEqual([expect.objectContaining({ autopilot: true })]);
    const autopilotOn = async () =>
      ((await (await admin(room, "/stats")).json()) as { autopilot: { on: boolean } }).autopilot.on;
    expect(await autopilotOn()).toBe(false);
    room.advance(MINUTE + 1000);
    expect(await autopilotOn()).toBe(true);
    room.advance(MINUTE);
    expect(await autopilotOn()).toBe(false);
  });
});

/** One command on the real Redis, through the REST bridge, as an operator editing it by hand would. */
async function redis(command: string[]): Promise<unknown> {
  const res = await fetch(bindings.UPSTASH_REDIS_REST_URL ?? "", {
    method: "POST",
    headers: { authorization: `Bearer ${bindings.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(command),
  });
  return ((await res.json()) as { result: unknown }).result;
}

describe("times and stored events the API cannot show", () => {
  it("refuses an event with a time outside the Date range (400, nothing stored); events and stats stay up", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    for (const body of [
      { startsAt: 1e20, ratePerMinute: 100 },
      { startsAt: 8.64e15 + 1, mode: "queue-all" },
      { startsAt: T0 + MINUTE, endsAt: 9e15, mode: "queue-all" },
      { startsAt: T0 + MINUTE, prequeueFrom: -1e17 },
      { startsAt: "+275761-01-01T00:00:00.000Z", mode: "paused" },
    ]) {
      const message = await problems(await post(room, body));
      expect(message, JSON.stringify(body)).toMatch(/(startsAt|endsAt|prequeueFrom) must be a date and time/);
    }
    expect(await redis(["HGET", eventsKey(room.env.ROOM ?? ""), "list"])).toBeNull();
    const events = await admin(room, "/events");
    expect(events.status).toBe(200);
    expect(await events.json()).toMatchObject({ events: [] });
    expect((await admin(room, "/stats")).status).toBe(200);
    // The latest time a Date holds is still a time.
    expect((await post(room, { startsAt: 8.64e15, mode: "queue-all" })).status).toBe(201);
    expect((await admin(room, "/stats")).status).toBe(200);
  });

  it("leaves out stored entries it cannot read: GET /events and /stats answer, and the next change drops them", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const good = { id: "ev_good", seq: 1, startsAt: T0 + 10 * MINUTE, perMinute: 120 };
    const corrupt = [
      good,
      { id: "ev_far", seq: 2, startsAt: 1e20, perMinute: 5 },
      { id: "ev_past", seq: 3, startsAt: -1e17, endsAt: -9e16, mode: "closed" },
      { id: "ev_seq", seq: "x", startsAt: 1e21, mode: "paused" },
      { seq: 4, startsAt: 2e20 },
      { id: "ev_mode", seq: 5, startsAt: T0 + 100 * MINUTE, mode: "turbo" },
      { id: "ev_rate", seq: 6, startsAt: T0 + 200 * MINUTE, perMinute: -1 },
    ];
    await redis(["HSET", eventsKey(room.env.ROOM ?? ""), "list", JSON.stringify(corrupt), "v", "1"]);
    const listed = await admin(room, "/events");
    expect(listed.status).toBe(200);
    const { events } = (await listed.json()) as { events: { id: string }[] };
    expect(events.map((e) => e.id)).toEqual(["ev_good"]);
    const stats = await admin(room, "/stats");
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { events: { id: string }[] }).events.map((e) => e.id)).toEqual(["ev_good"]);

    // Any change of the schedule writes what was read: the unreadable entries are gone.
    expect((await post(room, { startsAt: iso(T0 + 30 * MINUTE), mode: "queue-all" })).status).toBe(201);
    const stored = JSON.parse(String(await redis(["HGET", eventsKey(room.env.ROOM ?? ""), "list"]))) as {
      id: string;
    }[];
    expect(stored.map((e) => e.id)).toEqual(["ev_good", expect.stringMatching(/^ev_/)]);
  });

  it("reads a list that is not JSON as empty, and a new event replaces it", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    await redis(["HSET", eventsKey(room.env.ROOM ?? ""), "list", "{not json", "v", "1"]);
    const listed = await admin(room, "/events");
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({ events: [] });
    // The admission scripts cannot read it either: the store call fails as a script error (503), never a 500.
    expect((await admin(room, "/stats")).status).toBe(503);
    expect((await post(room, { startsAt: iso(T0 + 30 * MINUTE), mode: "queue-all" })).status).toBe(201);
    expect((await admin(room, "/stats")).status).toBe(200);
  });
});

describe("a drop with a pre-queue, as visitors see it", () => {
  it("shows a countdown, then places the pre-queue ahead of later arrivals", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN, ADMIT_PER_MINUTE: "60" });
    const created = await post(room, { startsAt: iso(T0 + 2 * MINUTE), prequeueFrom: iso(T0 + 1000) });
    expect(created.status).toBe(201);
    room.advance(5_000);

    const early = Array.from({ length: 5 }, () => new Visitor());
    for (const visitor of early) {
      const res = await room.request(visitor, "/");
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain("Opening soon");
      expect(html).toContain("random order");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(visitor.cookies.has("anteroom_ticket")).toBe(true);
      expect(visitor.cookies.has("anteroom_pass")).toBe(false);
    }
    // Apps get JSON, and the countdown costs no store call.
    const api = await room.request(early[0] ?? new Visitor(), "/", { headers: { accept: "application/json" } });
    expect(api.status).toBe(429);
    expect(await api.json()).toMatchObject({ state: "prequeue", startsAt: iso(T0 + 2 * MINUTE), secondsToStart: 115 });

    // The moment of the start: nobody has been admitted at the event's rate yet.
    room.advance(2 * MINUTE - 5_000);
    const late = new Visitor("application/json");
    const lateRes = await room.request(late, "/");
    expect(lateRes.status).toBe(429);
    const latePlace = ((await lateRes.json()) as { position: number }).position;
    expect(latePlace).toBe(6);

    const places: number[] = [];
    let admitted = 0;
    for (const visitor of early) {
      const res = await room.request(visitor, "/__anteroom/status");
      const body = (await res.json()) as { state: string; position: number | null };
      if (body.state === "admitted") {
        admitted += 1;
        places.push(body.position ?? 0);
      } else {
        expect(body.state).toBe("queued");
        places.push(body.position ?? 0);
      }
    }
    expect([...places].sort()).toEqual([1, 2, 3, 4, 5]);
    // One place's worth of burst at 60/min: exactly the one holding place 1 is in at once.
    expect(admitted).toBe(1);
    // Their next request keeps the place (the new ticket replaced the pre-queue one).
    const again = (await (await room.request(early[0] ?? new Visitor(), "/__anteroom/status")).json()) as {
      position: number | null;
    };
    expect(again.position === null || again.position === places[0]).toBe(true);
  });
});
