import { Redis } from "@upstash/redis";
import { describe, expect, inject, it } from "vitest";
import { capPace, PaceTrail } from "../../worker/gate/cap-pace.ts";
import { ConsumedPlaces, PLACE_GRACE_MS, REMEMBERED_POSITIONS } from "../../worker/gate/consumed.ts";
import { Denylist } from "../../worker/gate/denylist.ts";
import { Outbox, PLACES_PENDING, PLACES_PER_REPORT } from "../../worker/gate/outbox.ts";
import { IDLE_TICK_MS, RoomLink } from "../../worker/gate/room-link.ts";
import { frontierNow, REACH_MARGIN, RoomView, reachAt } from "../../worker/gate/room-view.ts";
import type { FrontierView, Mode, Settings } from "../../worker/model/admission.ts";
import type { AutopilotSettings } from "../../worker/model/autopilot.ts";
import { roomKeys } from "../../worker/store/keys.ts";
import { CONSUMED_ENTRIES_PER_TICK, CONSUMED_FEED_MS } from "../../worker/store/lua/constants.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import type { AdmissionStore } from "../../worker/store/store.ts";
import { clock, newArrival, redisClient, room, stores, T0 } from "../support/stores.ts";

const SETTINGS: Settings = { perMinute: 600, mode: "auto", sessionMinutes: null, maxActive: null, version: 0 };

/** A reading as a store would give it, observed at `observedAt`. */
function reading(overrides: Partial<FrontierView> = {}): FrontierView {
  return { frontier: 10, lastTicket: 30, observedAt: T0, settings: SETTINGS, showRatio: 1, ...overrides };
}

/** A real store reached at a dead address: every call fails as an outage does. */
function deadStore(): AdmissionStore {
  return new RedisStore(connectRedis({ url: "http://127.0.0.1:9", token: "none", timeoutMs: 500 }));
}

/** A real store whose calls are counted, and which can be switched to a dead one and back. */
function switchable(live: AdmissionStore) {
  const dead = deadStore();
  const calls = { tick: 0, join: 0, claim: 0 };
  let down = false;
  const target = () => (down ? dead : live);
  const store: AdmissionStore = new Proxy(live, {
    get(_target, name: keyof AdmissionStore) {
      if (name === "tick" || name === "join" || name === "joinMany" || name === "claim") {
        return (...args: unknown[]) => {
          // A batch of newcomers is one JOIN call.
          calls[name === "joinMany" ? "join" : name] += 1;
          return (target()[name] as (...a: unknown[]) => unknown)(...args);
        };
      }
      const value = target()[name];
      return typeof value === "function" ? value.bind(target()) : value;
    },
  });
  return { store, calls, setDown: (value: boolean) => (down = value) };
}

describe("RoomView: what an instance last saw of its room (pure, fixed clock)", () => {
  it("extrapolates at the rate, up to the last ticket plus a second's lead", () => {
    const view = reading({ frontier: 10, lastTicket: 12 });
    expect(frontierNow(view, T0 + 500)).toBeCloseTo(15, 9);
    expect(frontierNow(view, T0 + 60_000)).toBeCloseTo(22, 9);
  });

  it("holds the frontier still while paused, however long since the reading", () => {
    const paused = reading({ frontier: 10, lastTicket: 12, settings: { ...SETTINGS, mode: "paused" } });
    for (const later of [0, 500, 999, 5_000, 3_600_000]) expect(frontierNow(paused, T0 + later)).toBe(10);
  });

  it("asks again after maxAgeMs, and not before, and not for maxAgeMs after a failure", () => {
    const view = new RoomView(1000);
    expect(view.isStale(T0)).toBe(true);
    expect(view.reading(T0, null)).toEqual({ kind: "unavailable", reason: "no frontier observed yet" });
    view.fail("refused", T0);
    expect(view.isStale(T0 + 999)).toBe(false);
    expect(view.reading(T0 + 999, null)).toEqual({ kind: "unavailable", reason: "refused" });
    expect(view.isStale(T0 + 1000)).toBe(true);
    view.observe({ frontier: 10, lastTicket: 30, updatedAt: T0 }, SETTINGS, T0 + 1000);
    expect(view.isStale(T0 + 1999)).toBe(false);
    expect(view.isStale(T0 + 2000)).toBe(true);
    view.fail("timeout", T0 + 2000);
    // The last good reading stands, extrapolated and marked degraded, while the failure is recent.
    expect(view.reading(T0 + 2500, 7)).toEqual({
      kind: "known",
      frontier: 25,
      settings: SETTINGS,
      showRatio: 1,
      waiting: true,
      degraded: true,
      capPace: 7,
    });
    expect(view.reading(T0 + 3000, null)).toMatchObject({ degraded: false });
  });

  it("tells whether a queue may exist without asking the store", () => {
    const view = new RoomView(1000);
    expect(view.mayBeBusy()).toBe(true);
    view.observe({ frontier: 12, lastTicket: 3, updatedAt: T0 }, SETTINGS, T0);
    expect(view.mayBeBusy()).toBe(false);
    view.observe({ frontier: 12, lastTicket: 3, updatedAt: T0 }, { ...SETTINGS, mode: "queue-all" }, T0);
    expect(view.mayBeBusy()).toBe(true);
    view.observe({ frontier: 12, lastTicket: 30, updatedAt: T0 }, SETTINGS, T0);
    expect(view.mayBeBusy()).toBe(true);
  });
});

describe.each(stores)("RoomView against the store: %s", (_name, makeStore) => {
  it.each<Mode>(["auto", "queue-all", "closed", "paused"])(
    "in %s, moves the frontier between readings exactly as the store does",
    async (mode) => {
      const t = clock();
      const store = makeStore(t.now);
      const spec = room(600);
      // Ten straight in on the lead (1..10), two waiting (11, 12).
      for (let i = 0; i < 12; i++) await store.join(spec, { visitorId: `m${i}`, draw: 0 });
      await store.updateSettings(spec, { mode });
      t.advance(100);
      const first = await store.tick(spec);
      if (first.kind !== "state") throw new Error("store unavailable");
      const view = new RoomView(1000);
      view.observe(first.state, first.settings, t.now());
      for (const step of [200, 300, 400, 2000]) {
        t.advance(step);
        const local = view.reading(t.now(), null);
        const stored = await store.tick(spec);
        if (local.kind !== "known" || stored.kind !== "state") throw new Error("no frontier");
        expect(local.frontier).toBeCloseTo(stored.state.frontier, 9);
        if (mode === "paused") expect(local.frontier).toBe(first.state.frontier);
      }
    },
  );
});

describe("Outbox: what an instance reports with its next script call", () => {
  it("hands everything over once, and takes back what a failed call did not deliver, ahead of what came since", () => {
    const outbox = new Outbox();
    outbox.claim(12, "a", T0);
    outbox.claim(15, "b", T0);
    outbox.visit("c", T0, 60_000);
    outbox.release("d", T0);
    const parcel = outbox.take();
    expect(parcel).toEqual({
      consumed: [
        { position: 12, device: null },
        { position: 15, device: null },
      ],
      seen: ["a", "b", "c"],
      released: [{ subject: "d", at: T0 }],
    });
    expect(outbox.take()).toEqual({ consumed: [], seen: [], released: [] });
    outbox.claim(13, "e", T0 + 1, "ab12cd34");
    outbox.release("f", T0 + 1);
    outbox.giveBack(parcel);
    expect(outbox.take()).toEqual({
      consumed: [
        { position: 12, device: null },
        { position: 15, device: null },
        { position: 13, device: "ab12cd34" },
      ],
      seen: ["e", "a", "b", "c"],
      released: [
        { subject: "d", at: T0 },
        { subject: "f", at: T0 + 1 },
      ],
    });
  });

  it("reports a subject seen again only after the interval, unless forced; a release stops its report", () => {
    const outbox = new Outbox();
    outbox.visit("a", T0, 60_000);
    outbox.take();
    outbox.visit("a", T0 + 59_999, 60_000);
    expect(outbox.take().seen).toEqual([]);
    outbox.visit("a", T0 + 59_999, 60_000, true);
    expect(outbox.take().seen).toEqual(["a"]);
    outbox.visit("a", T0 + 119_999, 60_000);
    expect(outbox.take().seen).toEqual(["a"]);
    outbox.visit("b", T0, 60_000);
    outbox.release("b", T0);
    expect(outbox.take()).toMatchObject({ seen: [], released: [{ subject: "b" }] });
    // Forgotten subjects are reported afresh when seen again.
    outbox.visit("c", T0, 60_000);
    outbox.take();
    outbox.forget(T0 + 1);
    outbox.visit("c", T0 + 2, 60_000);
    expect(outbox.take().seen).toEqual(["c"]);
  });
});

describe("Outbox: places used, bounded", () => {
  it("reports at most PLACES_PER_REPORT places a call, keeps the rest for the next, and drops the oldest past PLACES_PENDING", () => {
    const outbox = new Outbox();
    for (let position = 1; position <= PLACES_PENDING + 10; position++) outbox.claim(position, "s", T0);
    const first = outbox.take().consumed;
    expect(first).toHaveLength(PLACES_PER_REPORT);
    expect(first[0]).toEqual({ position: 11, device: null });
    let reported = first.length;
    for (let call = 0; call < 100 && reported < PLACES_PENDING; call++) reported += outbox.take().consumed.length;
    expect(reported).toBe(PLACES_PENDING);
    expect(outbox.take().consumed).toEqual([]);
  });
});

describe("ConsumedPlaces: the places an instance knows are used (pure, fixed clock)", () => {
  it("lets a place in once; a copy is spent, the same device within the grace is let in again", () => {
    const places = new ConsumedPlaces();
    expect(places.consume(12, "ab12cd34ffff", T0)).toBe("first");
    expect(places.consume(12, "99999999", T0 + 1)).toBe("spent");
    expect(places.consume(12, null, T0 + 1)).toBe("spent");
    // The hint is kept short (8 hex): the same client's full hint matches it.
    expect(places.consume(12, "ab12cd34ffff", T0 + PLACE_GRACE_MS)).toBe("again");
    expect(places.consume(12, "ab12cd34", T0 + PLACE_GRACE_MS + 1)).toBe("spent");
    // Without a hint there is no grace: the place is used, and nothing can show it is the same client.
    expect(places.consume(13, null, T0)).toBe("first");
    expect(places.consume(13, null, T0)).toBe("spent");
  });

  it("learns other instances' places from the feed, with their device, and moves its cursor", () => {
    const places = new ConsumedPlaces();
    places.learn(
      {
        places: [
          { position: 5, device: "ab12cd34", at: T0 },
          { position: 6, device: null, at: T0 },
        ],
        cursor: T0 + 3,
        skipped: 0,
      },
      T0 + 1000,
    );
    expect(places.cursor).toBe(T0 + 3);
    expect(places.highest).toBe(6);
    expect(places.consume(5, "ab12cd34", T0 + 2000)).toBe("again");
    expect(places.consume(5, "11111111", T0 + 2000)).toBe("spent");
    expect(places.consume(6, "ab12cd34", T0 + 2000)).toBe("spent");
    expect(places.consume(7, "ab12cd34", T0 + 2000)).toBe("first");
    // An older cursor never moves it back; a reset (the store lost its state) forgets everything.
    places.learn({ places: [], cursor: T0, skipped: 0 }, T0 + 3000);
    expect(places.cursor).toBe(T0 + 3);
    places.reset();
    expect(places.cursor).toBe(0);
    expect(places.consume(5, "11111111", T0 + 3000)).toBe("first");
  });

  it("takes the store's word on who used a place first over a use made here before hearing of it", () => {
    const places = new ConsumedPlaces();
    expect(places.consume(20, "aaaaaaaa", T0)).toBe("first");
    expect(places.heldBy(20, "aaaaaaaa")).toBe(true);
    // The feed brings this instance's own first use back: nothing changes.
    places.learn({ places: [{ position: 20, device: "aaaaaaaa", at: T0 }], cursor: T0 + 1, skipped: 0 }, T0 + 10);
    expect(places.heldBy(20, "aaaaaaaa")).toBe(true);
    // Another instance's client used place 21 first; a copy let in here meanwhile was a copy's admission.
    expect(places.consume(21, "aaaaaaaa", T0)).toBe("first");
    places.learn({ places: [{ position: 21, device: "bbbbbbbb", at: T0 - 5 }], cursor: T0 + 2, skipped: 0 }, T0 + 10);
    expect(places.heldBy(21, "aaaaaaaa")).toBe(false);
    expect(places.heldBy(21, "bbbbbbbb")).toBe(true);
    expect(places.consume(21, "bbbbbbbb", T0 + 20)).toBe("again");
    expect(places.consume(21, "aaaaaaaa", T0 + 20)).toBe("spent");
    // Nothing known of a place: no reason to doubt its holder.
    expect(places.heldBy(99, "cccccccc")).toBe(true);
  });

  it("reads the feed's times (the store's clock) on this instance's clock: a clock 30 s ahead keeps its own uses", () => {
    const places = new ConsumedPlaces();
    // This instance's clock is 30 s ahead of the store's: its use at T0 + 30 s is the feed's entry at T0.
    expect(places.consume(40, "aaaaaaaa", T0 + 30_000)).toBe("first");
    places.learn(
      { places: [{ position: 40, device: "aaaaaaaa", at: T0 }], cursor: T0, skipped: 0 },
      T0 + 30_050,
      30_000,
    );
    expect(places.heldBy(40, "aaaaaaaa")).toBe(true);
    // Within the grace on this clock, the same client is let in again.
    expect(places.consume(40, "aaaaaaaa", T0 + 35_000)).toBe("again");
    // Read on the store's clock (no offset), the same entry looks 30 s older than the use: lost.
    const naive = new ConsumedPlaces();
    naive.consume(40, "aaaaaaaa", T0 + 30_000);
    naive.learn({ places: [{ position: 40, device: "aaaaaaaa", at: T0 }], cursor: T0, skipped: 0 }, T0 + 30_050);
    expect(naive.heldBy(40, "aaaaaaaa")).toBe(false);
  });

  it("remembers a use here that lost to an older one elsewhere after that one's grace is over", () => {
    const places = new ConsumedPlaces();
    // Another client used place 30 long ago; this instance hears of it only after using it here.
    expect(places.consume(30, "aaaaaaaa", T0)).toBe("first");
    places.learn(
      { places: [{ position: 30, device: "bbbbbbbb", at: T0 - 30_000 }], cursor: T0 - 30_000, skipped: 0 },
      T0 + 5,
    );
    expect(places.heldBy(30, "aaaaaaaa")).toBe(false);
    expect(places.consume(30, "aaaaaaaa", T0 + 10)).toBe("spent");
    expect(places.consume(30, "bbbbbbbb", T0 + 10)).toBe("spent");
    // The same client, but its first use was longer than the grace before: a copy of an old place too.
    expect(places.consume(31, "cccccccc", T0)).toBe("first");
    places.learn(
      { places: [{ position: 31, device: "cccccccc", at: T0 - PLACE_GRACE_MS - 1 }], cursor: T0, skipped: 0 },
      T0 + 5,
    );
    expect(places.heldBy(31, "cccccccc")).toBe(false);
    // Within the grace, the same client keeps it.
    expect(places.consume(32, "dddddddd", T0)).toBe("first");
    places.learn({ places: [{ position: 32, device: "dddddddd", at: T0 - 2_000 }], cursor: T0, skipped: 0 }, T0 + 5);
    expect(places.heldBy(32, "dddddddd")).toBe(true);
    // The store heard of a use here later than it was made: the grace still runs from the use.
    expect(places.consume(33, "eeeeeeee", T0)).toBe("first");
    places.learn(
      { places: [{ position: 33, device: "eeeeeeee", at: T0 + 3_000 }], cursor: T0, skipped: 0 },
      T0 + 3_000,
    );
    expect(places.consume(33, "eeeeeeee", T0 + PLACE_GRACE_MS)).toBe("again");
    expect(places.consume(33, "eeeeeeee", T0 + PLACE_GRACE_MS + 1)).toBe("spent");
  });

  it("takes the store's word that a place it reported was used before, unless the feed showed the same client", () => {
    const places = new ConsumedPlaces();
    expect(places.consume(40, "aaaaaaaa", T0)).toBe("first");
    expect(places.consume(41, "bbbbbbbb", T0)).toBe("first");
    // The feed (read first) shows 41's first use by the same client within the grace; 40's it never showed.
    places.learn({ places: [{ position: 41, device: "bbbbbbbb", at: T0 - 1_000 }], cursor: T0, skipped: 0 }, T0 + 5);
    places.learnTaken([40, 41], T0 + 5);
    expect(places.heldBy(40, "aaaaaaaa")).toBe(false);
    expect(places.heldBy(41, "bbbbbbbb")).toBe(true);
    // Whoever used 40 first is unknown here: nobody is let in again on it.
    expect(places.consume(40, "aaaaaaaa", T0 + 10)).toBe("spent");
    expect(places.consume(41, "bbbbbbbb", T0 + 10)).toBe("again");
  });

  it("may miss places used elsewhere for the feed's length after a tick skipped entries", () => {
    const places = new ConsumedPlaces();
    places.learn({ places: [], cursor: T0, skipped: 0 }, T0);
    expect(places.mayMiss(T0)).toBe(false);
    places.learn({ places: [], cursor: T0, skipped: 3 }, T0);
    expect(places.mayMiss(T0 + CONSUMED_FEED_MS - 1)).toBe(true);
    expect(places.mayMiss(T0 + CONSUMED_FEED_MS)).toBe(false);
  });

  it("remembers the last REMEMBERED_POSITIONS positions behind the newest, in a window that slides", () => {
    const places = new ConsumedPlaces();
    expect(places.consume(3, null, T0)).toBe("first");
    const far = REMEMBERED_POSITIONS + 100;
    expect(places.consume(far, null, T0)).toBe("first");
    expect(places.consume(far, null, T0)).toBe("spent");
    // Still within the window behind the newest.
    expect(places.consume(far - REMEMBERED_POSITIONS / 2, null, T0)).toBe("first");
    expect(places.consume(far - REMEMBERED_POSITIONS / 2, null, T0)).toBe("spent");
    // Slid out: a first use cannot be told from a copy's any more, so its ticket is spent.
    expect(places.consume(3, null, T0)).toBe("spent");
    expect(places.consume(4, null, T0)).toBe("spent");
  });
});

describe("Denylist: released subjects", () => {
  it("refuses passes issued at or before the release, learns others' releases, and forgets old ones", () => {
    const denylist = new Denylist();
    denylist.deny("a", T0);
    expect(denylist.isReleased("a", T0 / 1000)).toBe(true);
    expect(denylist.isReleased("a", T0 / 1000 + 1)).toBe(false);
    expect(denylist.isReleased("b", T0 / 1000)).toBe(false);
    expect(denylist.cursor).toBe(0);
    denylist.learn({ releases: [{ subject: "b", at: T0 + 5000 }], cursor: T0 + 6000 });
    denylist.learn({ releases: [{ subject: "a", at: T0 - 5000 }], cursor: T0 + 1 });
    expect(denylist.cursor).toBe(T0 + 6000);
    expect(denylist.isReleased("b", T0 / 1000 + 5)).toBe(true);
    // An older report of a release never moves the release time back.
    expect(denylist.isReleased("a", T0 / 1000)).toBe(true);
    denylist.forget(T0 + 1);
    expect(denylist.isReleased("a", 0)).toBe(false);
    expect(denylist.isReleased("b", 0)).toBe(true);
  });
});

describe("capPace: the pace the active-users cap lets the line move at", () => {
  const held = reading({ frontier: 10, ceiling: 10, settings: { ...SETTINGS, perMinute: 6000 } });

  it("is null without a cap or while the ceiling is more than a place ahead", () => {
    expect(capPace([], held, 0, 60_000)).toBeNull();
    expect(capPace([], { ...held, ceiling: 11.5 }, 10, 60_000)).toBeNull();
    expect(capPace([], null, 10, 60_000)).toBeNull();
  });

  it("is the measured pace of the last minute, at least a full room's turnover, at most the rate", () => {
    expect(capPace([], held, 10, 60_000)).toBeCloseTo(10, 9);
    const trail = new PaceTrail();
    trail.record(T0, 0);
    trail.record(T0 + 4_999, 50);
    // Under five seconds of readings measure nothing: the turnover floor stands.
    expect(capPace(trail.samples, held, 10, 60_000)).toBeCloseTo(10, 9);
    trail.record(T0 + 6_000, 60);
    expect(capPace(trail.samples, held, 10, 60_000)).toBeCloseTo(600, 9);
    trail.record(T0 + 66_000, 60);
    // The readings of more than a minute ago are gone: the line stood still since.
    expect(trail.samples).toEqual([
      { at: T0 + 6_000, frontier: 60 },
      { at: T0 + 66_000, frontier: 60 },
    ]);
    expect(capPace(trail.samples, held, 10, 60_000)).toBeCloseTo(10, 9);
    trail.record(T0 + 72_000, 100_060);
    expect(capPace(trail.samples, held, 10, 60_000)).toBe(6000);
  });
});

describe.each(stores)("RoomLink: the instance's link to the room: %s", (_name, makeStore) => {
  it("shares one tick among concurrent reads and asks again only after maxAgeMs", async () => {
    const t = clock();
    const { store, calls } = switchable(makeStore(t.now));
    const link = new RoomLink(store, room(600), t.now, 1000);
    const [a, b, c] = await Promise.all([link.read(), link.read(), link.read()]);
    expect(calls.tick).toBe(1);
    expect(a).toMatchObject({ kind: "known", frontier: 10 });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    t.advance(999);
    await link.read();
    expect(link.tickIfDue()).toBeNull();
    expect(calls.tick).toBe(1);
    t.advance(1);
    await link.read();
    expect(calls.tick).toBe(2);
    expect(link.tickIfDue()).toBeNull();
    t.advance(1000);
    await link.tickIfDue();
    expect(calls.tick).toBe(3);
  });

  it("sends what it has to report with a newcomer's join, and the join refreshes the view", async () => {
    const t = clock();
    const { store, calls } = switchable(makeStore(t.now));
    const spec = room(600);
    const link = new RoomLink(store, spec, t.now, 1000);
    link.recordVisit("browsing");
    const joined = await link.join({ visitorId: "new", draw: 0 });
    // Two active: the newcomer let straight in, and the visitor whose page view rode on the join.
    expect(joined).toMatchObject({ kind: "admitted", position: 1, state: { active: 2 } });
    expect(link.lastSettings()).toMatchObject({ perMinute: 600, mode: "auto" });
    expect(await link.read()).toMatchObject({ kind: "known", frontier: 10 });
    expect(calls).toEqual({ tick: 0, join: 1, claim: 0 });
  });

  it("keeps what a failed call did not deliver and sends it with the next one, and remembers the failure", async () => {
    const t = clock();
    const { store, calls, setDown } = switchable(makeStore(t.now));
    const spec = room(600);
    const link = new RoomLink(store, spec, t.now, 1000);
    await link.read();
    setDown(true);
    link.recordVisit("one");
    expect(await link.join({ visitorId: "two", draw: 0 })).toMatchObject({ kind: "unavailable" });
    link.recordVisit("three");
    t.advance(1000);
    expect(await link.read()).toMatchObject({ kind: "known", degraded: true });
    // The failure is remembered for a second: polls do not hammer a dead store.
    t.advance(500);
    expect(await link.read()).toMatchObject({ kind: "known", degraded: true });
    expect(calls.tick).toBe(2);
    setDown(false);
    t.advance(500);
    expect(await link.read()).toMatchObject({ kind: "known", degraded: false });
    expect(calls.tick).toBe(3);
    const direct = await store.tick(spec);
    expect(direct).toMatchObject({ kind: "state", state: { active: 2 } });
  }, 15_000);

  it("refuses a place used here at once, and one used elsewhere after its next tick; the store counts it once", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600);
    const here = new RoomLink(store, spec, t.now, 1000);
    const elsewhere = new RoomLink(store, spec, t.now, 1000);
    for (let i = 0; i < 30; i++) await store.join(spec, { visitorId: `p${i}`, draw: 0 });
    await here.read();
    await elsewhere.read();
    const issuedAt = Math.floor(t.now() / 1000);
    expect(here.consumePlace(3, "p2", issuedAt, "aaaaaaaa")).toBe("first");
    expect(here.consumePlace(3, "p2", issuedAt, "bbbbbbbb")).toBe("spent");
    expect(here.consumePlace(3, "p2", issuedAt, "aaaaaaaa")).toBe("again");
    // Elsewhere does not know yet: a copy gets in there once (and is reported too).
    expect(elsewhere.consumePlace(4, "p3", issuedAt, "cccccccc")).toBe("first");
    t.advance(1000);
    await here.tickIfDue();
    expect(elsewhere.consumePlace(3, "p2", issuedAt, "cccccccc")).toBe("first");
    await elsewhere.tickIfDue();
    t.advance(1000);
    await here.tickIfDue();
    // Each knows the other's places now; the holder's own device is still let in within the grace.
    expect(elsewhere.consumePlace(3, "p2", issuedAt, "dddddddd")).toBe("spent");
    expect(here.consumePlace(4, "p3", issuedAt, "dddddddd")).toBe("spent");
    expect(here.consumePlace(4, "p3", issuedAt, "cccccccc")).toBe("again");
    // Positions 3 and 4 were reported three times in all; the store took each in once.
    const feed = await store.tick(spec, { consumedSince: 0 });
    if (feed.kind !== "state") throw new Error("store unavailable");
    expect(feed.consumed.places.map((p) => [p.position, p.device])).toEqual([
      [3, "aaaaaaaa"],
      [4, "cccccccc"],
    ]);
  });

  for (const ageMs of [2_000, 30_000]) {
    it(`refuses a copy at an instance that has not ticked of a place used elsewhere ${ageMs} ms before, after its catch-up`, async () => {
      const t = clock();
      const store = makeStore(t.now);
      const spec = room(600_000);
      for (let i = 0; i < 3; i++) await store.join(spec, newArrival());
      const holder = new RoomLink(store, spec, t.now, 1000);
      expect(holder.consumePlace(2, "s2", 0, "aaaaaaaa0000")).toBe("first");
      await holder.tickIfDue(); // the store's feed now says aaaaaaaa used place 2
      t.advance(ageMs);
      const copy = new RoomLink(store, spec, t.now, 1000);
      expect(copy.consumePlace(2, "s2", 0, "bbbbbbbb0000")).toBe("first");
      await copy.catchUp();
      expect(copy.placeStillHeld(2, "s2", 0, "bbbbbbbb0000")).toBe(false);
      expect(copy.consumePlace(2, "s2", 0, "bbbbbbbb0000")).toBe("spent");
      // The holder's own client is let in again within the grace only.
      expect(copy.consumePlace(2, "s2", 0, "aaaaaaaa0000")).toBe(ageMs <= PLACE_GRACE_MS ? "again" : "spent");
    });
  }

  it("knows the newest places at its first tick though the feed holds more than a tick's worth, and checks the older ones with the store", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600_000);
    const used = CONSUMED_ENTRIES_PER_TICK + 50;
    for (let i = 0; i < used + 10; i++) await store.join(spec, newArrival());
    const busy = new RoomLink(store, spec, t.now, 1000);
    for (let position = 1; position <= used; position++) {
      busy.consumePlace(position, `s${position}`, 0, "aaaaaaaa0000");
      t.advance(1001);
      await busy.tickIfDue(); // one feed entry a second, as one busy instance makes
    }
    const fresh = new RoomLink(store, spec, t.now, 1000);
    await fresh.read(); // a new instance's first reading ticks
    // The newest places are known at once: copies of them are spent without another call.
    expect(fresh.consumePlace(used - 10, `s${used - 10}`, 0, "bbbbbbbb0000")).toBe("spent");
    // An older place, skipped: the instance may miss places, so it reports this use at once (though it
    // just ticked) and the store's answer shows the copy for what it is.
    expect(fresh.consumePlace(10, "s10", 0, "bbbbbbbb0000")).toBe("first");
    await fresh.catchUp();
    expect(fresh.placeStillHeld(10, "s10", 0, "bbbbbbbb0000")).toBe(false);
    expect(fresh.consumePlace(10, "s10", 0, "bbbbbbbb0000")).toBe("spent");
    // A place nobody used is still let in, once.
    expect(fresh.consumePlace(used + 1, "new", 0, "cccccccc0000")).toBe("first");
    await fresh.catchUp();
    expect(fresh.placeStillHeld(used + 1, "new", 0, "cccccccc0000")).toBe(true);
  });

  it("refuses the ticket of a subject released here or elsewhere, whatever the device", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600);
    const here = new RoomLink(store, spec, t.now, 1000);
    const elsewhere = new RoomLink(store, spec, t.now, 1000);
    for (let i = 0; i < 5; i++) await store.join(spec, { visitorId: `q${i}`, draw: 0 });
    await here.read();
    await elsewhere.read();
    const issuedAt = Math.floor(t.now() / 1000);
    here.recordRelease("q1");
    expect(here.consumePlace(2, "q1", issuedAt, "aaaaaaaa")).toBe("spent");
    t.advance(1000);
    await here.tickIfDue();
    await elsewhere.tickIfDue();
    expect(elsewhere.consumePlace(2, "q1", issuedAt, "aaaaaaaa")).toBe("spent");
    expect(elsewhere.consumePlace(3, "q2", issuedAt, "aaaaaaaa")).toBe("first");
  });

  it("refuses a pass released here at once, and one released elsewhere after its next tick", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600);
    const here = new RoomLink(store, spec, t.now, 1000);
    const elsewhere = new RoomLink(store, spec, t.now, 1000);
    await elsewhere.read();
    const issuedAt = Math.floor(t.now() / 1000);
    here.recordRelease("gone");
    expect(here.isReleased("gone", issuedAt)).toBe(true);
    await here.tickIfDue();
    expect(elsewhere.isReleased("gone", issuedAt)).toBe(false);
    t.advance(1000);
    await elsewhere.tickIfDue();
    expect(elsewhere.isReleased("gone", issuedAt)).toBe(true);
  });
});

describe("RoomLink when Redis lost the room (no persistence)", () => {
  it("forgets the places it knew used, and the store marks no place it has not handed out", async () => {
    const t = clock();
    const store = new RedisStore(redisClient(), { now: t.now });
    const spec = room(600);
    const link = new RoomLink(store, spec, t.now, 1000);
    for (let i = 0; i < 5; i++) await store.join(spec, { visitorId: `l${i}`, draw: 0 });
    await link.read();
    const issuedAt = Math.floor(t.now() / 1000);
    expect(link.consumePlace(3, "l2", issuedAt, "aaaaaaaa")).toBe("first");
    // Redis comes back empty a second later (a new epoch: epochs are the store's ms), and a newcomer
    // that knows nothing (no witness: an instance that never heard of the room) gets there first:
    // positions are handed out again from 1.
    t.advance(1000);
    await new Redis({ url: inject("bridgeUrl"), token: inject("bridgeToken") }).del(...roomKeys(spec.room));
    expect(await store.join(spec, { visitorId: "after", draw: 0 })).toMatchObject({ position: 1 });
    t.advance(1000);
    await link.read(); // its tick reports place 3, which the store has not handed out again yet: not marked
    expect(link.consumePlace(3, "m2", issuedAt, "bbbbbbbb")).toBe("first");
    for (let i = 0; i < 3; i++) await store.join(spec, { visitorId: `m${i}`, draw: 0 });
    const feed = await store.tick(spec, { consumedSince: 0 });
    if (feed.kind !== "state") throw new Error("store unavailable");
    expect(feed.consumed.places).toEqual([]);
  });
});

/** The autopilot's deployed settings, on. */
const AUTOPILOT_ON: AutopilotSettings = {
  on: true,
  minRate: 10,
  maxRate: 1000,
  targetP95Ms: 800,
  maxErrorRate: 0.01,
  timeoutMs: 10_000,
};

/**
 * A store whose calls are counted and whose calls under way can be awaited,
 * and a clock whose sleepers (the link's scheduled flushes) wake as the test
 * moves it: background work runs as it would after responses, with no
 * later request.
 */
function paced(live: AdmissionStore, t: ReturnType<typeof clock>) {
  const calls = { tick: 0, join: 0, claim: 0 };
  const underway = new Set<Promise<unknown>>();
  const store: AdmissionStore = new Proxy(live, {
    get(target, name: keyof AdmissionStore) {
      const value = target[name];
      if (name !== "tick" && name !== "join" && name !== "joinMany" && name !== "claim") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        calls[name === "joinMany" ? "join" : name] += 1;
        const call = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        underway.add(call);
        void call.finally(() => underway.delete(call));
        return call;
      };
    },
  });
  const sleepers: { at: number; wake: () => void }[] = [];
  /** Lets what was woken run: microtasks, then every store call it made, until nothing is under way. */
  const settle = async () => {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (underway.size === 0) return;
      await Promise.allSettled([...underway]);
    }
  };
  return {
    store,
    calls,
    sleep: (ms: number) => new Promise<void>((wake) => sleepers.push({ at: t.now() + ms, wake })),
    settle,
    /** Moves the clock `ms` on, waking each sleeper at its time and letting what it starts finish. */
    async advance(ms: number) {
      const end = t.now() + ms;
      for (;;) {
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers[0];
        if (next === undefined || next.at > end) break;
        sleepers.shift();
        t.set(Math.max(t.now(), next.at));
        next.wake();
        await settle();
      }
      t.set(end);
      await settle();
    },
  };
}

describe("reachAt: how far the frontier can have got since a reading (pure)", () => {
  it("moves REACH_MARGIN times the reading's pace, past the last ticket, the cap's ceiling and a pause", () => {
    const view = reading({ frontier: 10, lastTicket: 12, ceiling: 11, settings: { ...SETTINGS, mode: "paused" } });
    // 600 a minute is 10 a second: twice that for 2 s from 10.
    expect(REACH_MARGIN).toBe(2);
    expect(reachAt(view, T0 + 2000)).toBeCloseTo(50, 9);
    expect(reachAt({ ...view, showRatio: 0.5 }, T0 + 2000)).toBeCloseTo(90, 9);
    expect(reachAt(view, T0 - 1000)).toBe(10);
  });

  it("lets the view answer a poll far from the frontier until the view is idleMs old, and never after a failure", () => {
    const view = new RoomView(1000);
    view.observe({ frontier: 10, lastTicket: 500, updatedAt: T0 }, SETTINGS, T0);
    // At T0 + 2000 the frontier can be at 10 + 20 x 3 = 70 one second later: 70 is near, 71 far.
    expect(view.answersFar(70, T0 + 2000, 5000)).toBe(false);
    expect(view.answersFar(71, T0 + 2000, 5000)).toBe(true);
    expect(view.answersFar(1000, T0 + 4999, 5000)).toBe(true);
    expect(view.answersFar(1000, T0 + 5000, 5000)).toBe(false);
    view.fail("timeout", T0 + 2000);
    expect(view.answersFar(1000, T0 + 3500, 5000)).toBe(false);
  });
});

describe.each(stores)("RoomLink: when an instance talks to the store: %s", (_name, makeStore) => {
  it("sends places used soon after the answers, with no later request, in at most one tick per maxAgeMs however many", async () => {
    const t = clock();
    const live = makeStore(t.now);
    const pace = paced(live, t);
    const spec = room(600_000);
    for (let i = 0; i < 300; i++) await pace.store.join(spec, { visitorId: `b${i}`, draw: 0 });
    pace.calls.join = 0;
    const link = new RoomLink(pace.store, spec, t.now, 1000, { sleep: pace.sleep });
    await link.read();
    // A burst: 250 admissions by ticket over 2.5 s, one every 10 ms, each answered and followed by the flush.
    for (let position = 1; position <= 250; position++) {
      expect(link.consumePlace(position, `b${position - 1}`, 0, "aaaaaaaa0000")).toBe("first");
      void link.flushSoon(true);
      await pace.advance(10);
    }
    // Then silence: no request comes again. Within a second, every place has reached the store.
    await pace.advance(1000);
    const feed = await live.tick(spec, { consumedSince: 0 });
    if (feed.kind !== "state") throw new Error("store unavailable");
    expect(feed.consumed.places.map((place) => place.position).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 250 }, (_, i) => i + 1),
    );
    // The first reading, then one tick a second: 3.5 s in all.
    expect(pace.calls).toEqual({ tick: 4, join: 0, claim: 0 });
    // Nothing left to send: no more calls, however long.
    await pace.advance(60_000);
    expect(link.flushSoon()).toBeNull();
    expect(pace.calls.tick).toBe(4);
  });

  it("sends a release within maxAgeMs of the last tick, and another instance refuses the pass after its next", async () => {
    const t = clock();
    const live = makeStore(t.now);
    const pace = paced(live, t);
    const spec = room(600);
    const here = new RoomLink(pace.store, spec, t.now, 1000, { sleep: pace.sleep });
    const elsewhere = new RoomLink(pace.store, spec, t.now, 1000, { sleep: pace.sleep });
    await here.read();
    await elsewhere.read();
    const issuedAt = Math.floor(t.now() / 1000);
    here.recordRelease("gone");
    void here.flushSoon(true);
    await pace.advance(1000);
    expect(pace.calls.tick).toBe(3);
    // Elsewhere serves admitted visitors only: it hears of the release within IDLE_TICK_MS.
    void elsewhere.flushSoon(true);
    expect(elsewhere.isReleased("gone", issuedAt)).toBe(false);
    await pace.advance(IDLE_TICK_MS - 1000);
    expect(elsewhere.isReleased("gone", issuedAt)).toBe(true);
    expect(pace.calls.tick).toBe(4);
  });

  it("costs one call per IDLE_TICK_MS, not one a second, under admitted views with nothing urgent to say", async () => {
    const t = clock();
    const live = makeStore(t.now);
    const pace = paced(live, t);
    const spec = room(600);
    const link = new RoomLink(pace.store, spec, t.now, 1000, { sleep: pace.sleep });
    // 20 s of admitted views, one every 100 ms by 50 shoppers: passes in use and the origin's answers.
    for (let view = 0; view < 200; view++) {
      link.recordVisit(`shopper-${view % 50}`);
      link.originAnswered(40, false);
      void link.flushSoon(true);
      await pace.advance(100);
    }
    // The first view's flush at once, then one every IDLE_TICK_MS: 5 in 20 s (a tick a second was 20).
    expect(pace.calls.tick).toBe(1 + Math.floor(20_000 / IDLE_TICK_MS));
    // What they reported reached the store: all 50 shoppers are active.
    await pace.advance(IDLE_TICK_MS);
    const state = await live.tick(spec);
    expect(state).toMatchObject({ kind: "state", state: { active: 50 } });
  });

  it("answers polls far from the frontier from its view for IDLE_TICK_MS, and ticks every second for polls near it", async () => {
    const t = clock();
    const live = makeStore(t.now);
    const pace = paced(live, t);
    const spec = room(60); // one a second
    for (let i = 0; i < 200; i++) await pace.store.join(spec, { visitorId: `f${i}`, draw: 0 });
    const link = new RoomLink(pace.store, spec, t.now, 1000, { sleep: pace.sleep });
    const first = await link.read(150);
    expect(first).toMatchObject({ kind: "known" });
    const start = first.kind === "known" ? first.frontier : 0;
    // 20 s of polls by a visitor at 150, one every 200 ms: far all along (the frontier moves 1 a second).
    let last = first;
    for (let poll = 0; poll < 100; poll++) {
      await pace.advance(200);
      last = await link.read(150);
    }
    expect(pace.calls.tick).toBe(1 + Math.floor(20_000 / IDLE_TICK_MS));
    // The figures moved on all the same, extrapolated as the store moves the frontier (never ahead of it).
    expect(last).toMatchObject({ kind: "known", degraded: false });
    const shown = last.kind === "known" ? last.frontier : 0;
    expect(shown).toBeGreaterThan(start + 15);
    const truth = await live.tick(spec);
    expect(truth.kind === "state" ? truth.state.frontier : 0).toBeGreaterThanOrEqual(shown);
    // A visitor near the frontier makes the instance ask every second, as before: 10 s, 10 or 11 ticks.
    const near = Math.ceil(shown + 2);
    const before = pace.calls.tick;
    for (let poll = 0; poll < 50; poll++) {
      await pace.advance(200);
      await link.read(near);
    }
    expect(pace.calls.tick - before).toBeGreaterThanOrEqual(10);
    expect(pace.calls.tick - before).toBeLessThanOrEqual(11);
  });

  it("sends the origin's answers every second while the autopilot is on", async () => {
    const t = clock();
    const live = makeStore(t.now);
    const pace = paced(live, t);
    const spec = { ...room(600), autopilot: { ...AUTOPILOT_ON } };
    const link = new RoomLink(pace.store, spec, t.now, 1000, { sleep: pace.sleep });
    for (let view = 0; view < 100; view++) {
      link.originAnswered(40, false);
      void link.flushSoon(true);
      await pace.advance(100);
    }
    // The first view's flush at once, then one a second for 10 s.
    expect(pace.calls.tick).toBe(11);
  });
});
