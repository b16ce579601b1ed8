// The gate across a restore of the room's state (a new epoch): a ticket from before it is placed
// where it stands now (model/epoch.ts) both to answer its poll and to sign it again.
import { describe, expect, it } from "vitest";
import { EmbeddedRedis } from "../../tools/embedded-redis/embedded-redis.ts";
import { StoreFallback } from "../../worker/gate/fallback.ts";
import { evaluate, type GateDeps, type Placement } from "../../worker/gate/gate.ts";
import { Memo } from "../../worker/gate/memo.ts";
import { PassMemo } from "../../worker/gate/pass-memo.ts";
import { RoomLink } from "../../worker/gate/room-link.ts";
import { stateKey } from "../../worker/store/keys.ts";
import { RedisStore } from "../../worker/store/redis.ts";
import type { AdmissionStore } from "../../worker/store/store.ts";
import { readTicket, signTicket } from "../../worker/tokens/ticket.ts";
import { testKey } from "../support/passes.ts";
import { clock, newArrival, room, T0 } from "../support/stores.ts";

/**
 * A room at 60 a minute whose 30 places were handed out in the epoch created at T0, then its state
 * key was lost and restored a second later by this instance, which had seen only ticket 10 (the
 * frontier at 8): the new epoch's base is 10, so ticket 25 of the first epoch stands at 10 now.
 */
async function restoredRoom() {
  const t = clock();
  const engine = new EmbeddedRedis({ now: t.now });
  const live = new RedisStore(engine.scriptClient(), { now: t.now });
  const ticks = { count: 0 };
  const store: AdmissionStore = new Proxy(live, {
    get(target, name: keyof AdmissionStore) {
      const value = target[name];
      if (name === "tick") ticks.count += 1;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const spec = room(60);
  for (let i = 0; i < 30; i++) await live.join(spec, newArrival());
  t.advance(1000);
  engine.call(["DEL", stateKey(spec.room)]);
  const link = new RoomLink(store, spec, t.now);
  link.learnTicket(10, T0, 8);
  const restored = await link.read();
  expect(restored).toMatchObject({ kind: "known", frontier: 8 });
  expect(link.placeOf(25, T0)).toBe(10);
  const keys = { key: new TextEncoder().encode("s".repeat(40)), issuer: "anteroom", room: spec.room };
  const { keyring } = await testKey();
  const pass = { keyring, issuer: "anteroom", audience: "anteroom-origin", room: spec.room, sessionSeconds: 600 };
  const deps: GateDeps = {
    room: spec,
    store,
    link,
    passes: new PassMemo(pass, 16),
    fallback: new StoreFallback({ mode: "closed", rateShare: 1 }, spec),
    pass,
    ticket: { ...keys, ttlSeconds: 3600 },
    now: t.now,
    offerSeconds: 300,
    turnstile: null,
    probe: { ...keys, mode: "off" },
    placements: new Memo<Placement>(),
    spentStamps: new Memo(),
  };
  return { t, deps, ticks, spec };
}

describe("the gate after a restore of the room's state", () => {
  it("asks the store for a ticket of the earlier epoch that stands near the frontier, whatever its number", async () => {
    const { t, deps, ticks, spec } = await restoredRoom();
    const ticket = await signTicket(
      {
        kind: "place",
        room: spec.room,
        position: 25,
        joinedFrontier: 0,
        visitorId: "before",
        issuedAt: Math.floor(T0 / 1000),
        clientHint: null,
        epoch: T0,
      },
      deps.ticket,
    );
    // 1.5 s on, the view (frontier 8 then) is stale; position 25 is out of its reach, place 10 is not.
    t.advance(1500);
    const before = ticks.count;
    await evaluate({ pass: undefined, ticket }, deps);
    expect(ticks.count).toBe(before + 1);
  });

  it("signs a remembered pre-queue placement again in the epoch it was placed in, not the link's newer one", async () => {
    const { deps, spec } = await restoredRoom();
    const prequeue = { kind: "prequeue" as const, room: spec.room, event: 1, startsAt: T0 - 60_000 };
    const ticket = await signTicket(
      { ...prequeue, visitorId: "early", issuedAt: Math.floor((T0 - 120_000) / 1000), clientHint: null },
      deps.ticket,
    );
    // Placed before the loss at 25 (the exchange remembered here): it stands at the base, 10, now.
    deps.placements.remember("1:early", { position: 25, base: 0, epoch: T0 }, T0 + 3_600_000);
    const verdict = await evaluate({ pass: undefined, ticket }, deps);
    expect(verdict.kind).toBe("queued");
    if (verdict.kind !== "queued" || verdict.newTicket === null) throw new Error("no ticket signed");
    const read = await readTicket(verdict.newTicket, deps.ticket, deps.now());
    expect(read).toMatchObject({ ok: true, ticket: { kind: "place", position: 25, epoch: T0 } });
    expect(deps.link.placeOf(25, T0)).toBe(10);
  });
});
