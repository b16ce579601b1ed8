import { describe, expect, it } from "vitest";
import { RoomLink } from "../../worker/gate/room-link.ts";
import { rateOf, standing } from "../../worker/model/admission.ts";
import type { RoomSpec } from "../../worker/store/store.ts";
import { clock, room, stores } from "../support/stores.ts";

/** A room with the active-users cap, sessions of `sessionMs`. */
function cappedRoom(perMinute: number, maxActive: number, sessionMs: number): RoomSpec {
  return { ...room(perMinute), maxActive, sessionMs };
}

describe.each(stores)("active-users cap (MAX_ACTIVE): %s", (_name, makeStore) => {
  it("offers no more places than the cap leaves room for, counting offers not yet claimed", async () => {
    const t = clock();
    const store = makeStore(t.now);
    // 100 a second, everyone through the holding page: the rate alone would offer all 50 places within a second.
    const spec: RoomSpec = { ...cappedRoom(6000, 10, 60_000), defaultMode: "queue-all" };
    for (let i = 0; i < 50; i++) await store.join(spec, { visitorId: `v${i}`, draw: 0 });
    t.advance(1000);
    expect(await store.tick(spec)).toMatchObject({ kind: "state", state: { frontier: 10, active: 0, ceiling: 10 } });
    // Nobody has claimed the 10 places offered yet: they are expected, so nothing more is offered.
    t.advance(1000);
    expect(await store.tick(spec)).toMatchObject({ kind: "state", state: { frontier: 10 } });
    // Four come in: 4 active + 6 still expected is still the cap.
    const consumed = [1, 2, 3, 4].map((position) => ({ position, device: null }));
    t.advance(1000);
    expect(await store.tick(spec, { consumed, seen: ["v0", "v1", "v2", "v3"] })).toMatchObject({
      kind: "state",
      state: { frontier: 10, active: 4 },
    });
  });

  it("keeps the visitors active within a session at or below the cap, and moves on as sessions expire", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const sessionMs = 30_000;
    const maxActive = 50;
    const spec = cappedRoom(600, maxActive, sessionMs);
    const instance = new RoomLink(store, spec, t.now, 1000);
    for (let i = 0; i < 400; i++) await store.join(spec, { visitorId: `q${i}`, draw: 0 });
    // Every visitor whose turn comes shows up at once, browses for 10 s (a page every 5 s), then leaves.
    const admittedAt = new Map<number, number>();
    const lastUse = new Map<number, number>();
    let peak = 0;
    for (let second = 0; second < 150; second++) {
      t.advance(1000);
      const reading = await instance.read();
      if (reading.kind !== "known") throw new Error("store unavailable");
      for (let position = 2; position <= Math.floor(reading.frontier); position++) {
        if (admittedAt.has(position)) continue;
        admittedAt.set(position, t.now());
        lastUse.set(position, t.now());
        instance.consumePlace(position, `q${position - 1}`, Math.floor(t.now() / 1000), null);
      }
      for (const [position, at] of admittedAt) {
        if (t.now() - at < 10_000 && (t.now() - at) % 5000 === 0 && t.now() > at) {
          lastUse.set(position, t.now());
          instance.recordVisit(`q${position - 1}`);
        }
      }
      // The definition: a pass used within the last session length (the first visitor included).
      const active = 1 + [...lastUse.values()].filter((at) => t.now() - at < sessionMs).length;
      peak = Math.max(peak, active);
    }
    expect(peak).toBeGreaterThanOrEqual(maxActive * 0.9);
    expect(peak).toBeLessThanOrEqual(maxActive * 1.05);
    // Sessions ended (no page view for a session) and the places went to the next in line, more than once over.
    expect(admittedAt.size).toBeGreaterThan(maxActive * 2);
  }, 30_000);

  it("opens a released visitor's place at once and tells every instance, which then refuses that pass", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = cappedRoom(6000, 5, 600_000);
    const here = new RoomLink(store, spec, t.now, 1000);
    const elsewhere = new RoomLink(store, spec, t.now, 1000);
    for (let i = 0; i < 20; i++) await store.join(spec, { visitorId: `r${i}`, draw: 0 });
    t.advance(1000);
    await here.read();
    for (let position = 2; position <= 5; position++) here.consumePlace(position, `r${position - 1}`, 0, null);
    t.advance(1000);
    const full = await here.read();
    expect(full).toMatchObject({ kind: "known", frontier: 5 });
    await elsewhere.read();
    const issuedAt = Math.floor(t.now() / 1000);

    here.recordRelease("r1");
    here.recordRelease("r2");
    expect(here.isReleased("r1", issuedAt)).toBe(true);
    expect(elsewhere.isReleased("r1", issuedAt)).toBe(false);
    t.advance(1000);
    const opened = await here.read();
    if (opened.kind !== "known") throw new Error("store unavailable");
    expect(opened.frontier).toBeCloseTo(7, 6);
    t.advance(1000);
    await elsewhere.read();
    expect(elsewhere.isReleased("r1", issuedAt)).toBe(true);
    expect(elsewhere.isReleased("r2", issuedAt)).toBe(true);
    expect(elsewhere.isReleased("r3", issuedAt)).toBe(false);
    // A pass issued after the release (the visitor queued again and was let in anew) is not affected.
    expect(elsewhere.isReleased("r1", issuedAt + 5)).toBe(false);
  });

  it("estimates the wait from the pace the cap allows, not from the rate, while the cap holds the line", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec: RoomSpec = { ...cappedRoom(6000, 10, 60_000), defaultMode: "queue-all" };
    const instance = new RoomLink(store, spec, t.now, 1000);
    for (let i = 0; i < 50; i++) await store.join(spec, { visitorId: `w${i}`, draw: 0 });
    t.advance(1000);
    const reading = await instance.read();
    expect(reading).toMatchObject({ kind: "known", frontier: 10 });
    if (reading.kind !== "known") return;
    // Nobody has left yet: the floor is a full room turning over once a session, 10 a minute.
    expect(reading.capPace).toBeCloseTo(10, 6);
    const rate = rateOf(6000);
    expect(standing(20, 0, reading.frontier, rate, 1, reading.capPace)).toMatchObject({ etaSeconds: 60 });
    // At the rate alone the estimate would be a tenth of a second: the cap's figure is the honest one.
    expect(standing(20, 0, reading.frontier, rate, 1)).toMatchObject({ etaSeconds: 1 });
  });

  it("follows an operator's cap over MAX_ACTIVE: set live, 0 for none, null for the deployed one", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec: RoomSpec = { ...cappedRoom(6000, 0, 60_000), defaultMode: "queue-all" };
    expect(await store.updateSettings(spec, { maxActive: 5 })).toMatchObject({ settings: { maxActive: 5 } });
    for (let i = 0; i < 50; i++) await store.join(spec, { visitorId: `v${i}`, draw: 0 });
    t.advance(1000);
    expect(await store.tick(spec)).toMatchObject({ state: { frontier: 5, ceiling: 5 }, settings: { maxActive: 5 } });
    await store.updateSettings(spec, { maxActive: 0 });
    t.advance(100);
    const open = await store.tick(spec);
    expect(open).toMatchObject({ state: { ceiling: Number.POSITIVE_INFINITY }, settings: { maxActive: 0 } });
    if (open.kind === "state") expect(open.state.frontier).toBeGreaterThan(5);
    const deployed = { ...spec, maxActive: 3 };
    expect(await store.updateSettings(deployed, { maxActive: null })).toMatchObject({ settings: { maxActive: null } });
    t.advance(100);
    const back = await store.tick(deployed);
    // The deployed cap of 3 is below the places already offered (none claimed yet): the ceiling is
    // the places offered, and the frontier stays where it was (nothing offered is taken back).
    expect(back).toMatchObject({ settings: { maxActive: null } });
    if (back.kind !== "state" || open.kind !== "state") throw new Error("no state");
    expect(back.state.ceiling).toBe(Math.min(Math.floor(open.state.frontier), open.state.lastTicket));
    expect(back.state.frontier).toBe(open.state.frontier);
  });

  it("counts active visitors without a cap, and the ceiling stays open", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const spec = room(600);
    expect(await store.join(spec, { visitorId: "a1", draw: 0 })).toMatchObject({ kind: "admitted" });
    expect(await store.join(spec, { visitorId: "a2", draw: 0 })).toMatchObject({
      kind: "admitted",
      state: { active: 2, ceiling: Number.POSITIVE_INFINITY },
    });
    t.advance(700_000); // past the default 10-minute session (and its reporting lag)
    expect(await store.tick(spec, { seen: ["a3"] })).toMatchObject({ kind: "state", state: { active: 1 } });
  });
});
