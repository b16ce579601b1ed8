// Issue 14, item 4: what an instance holds for Redis (places used, above all) reaches it soon after the
// response that produced it, in the background (waitUntil), with no later request; a burst of admissions
// makes one tick, not one each. The real worker in workerd against the real Redis.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { IDLE_TICK_MS } from "../../worker/gate/room-link.ts";
import { createApp } from "../../worker/index.ts";
import type { AdmissionStore } from "../../worker/store/store.ts";
import { testRoom, Visitor } from "./helpers.ts";

/** The instance's store, with its script calls counted. */
function counted(live: AdmissionStore) {
  const calls = { tick: 0, join: 0, claim: 0 };
  const store: AdmissionStore = new Proxy(live, {
    get(target, name: keyof AdmissionStore) {
      const value = target[name];
      if (typeof value !== "function") return value;
      if (name === "tick" || name === "join" || name === "claim") calls[name] += 1;
      // A batch of newcomers is one JOIN call.
      if (name === "joinMany") calls.join += 1;
      return value.bind(target);
    },
  });
  return { store, calls };
}

describe("the outbox after a response", () => {
  it("sends the places a burst of admissions used in one background tick, with no later request", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60" });
    const { store, spec } = await room.store();
    const instance = counted(store);
    const app = createApp({ store: instance.store, now: room.now });
    const waiting = Array.from({ length: 20 }, () => new Visitor("application/json"));
    expect((await new Visitor("application/json").send(app, room.env, "/api/echo")).status).toBe(200);
    for (const visitor of waiting) expect((await visitor.send(app, room.env, "/api/echo")).status).toBe(429);
    room.advance(25_000); // every one's turn has come
    instance.calls.tick = 0;
    instance.calls.join = 0;

    // All twenty are let in by their status polls within one second of the instance's clock.
    const contexts: ExecutionContext[] = [];
    for (const visitor of waiting) {
      const context = createExecutionContext();
      contexts.push(context);
      const res = await visitor.send(app, room.env, "/__anteroom/status", {}, context);
      expect(await res.json()).toMatchObject({ state: "admitted" });
    }
    // Then nobody comes again. What the platform waits for after those answers is all there is.
    for (const context of contexts) await waitOnExecutionContext(context);

    // The first poll's reading, then one background tick that carried every place: not one call each.
    expect(instance.calls).toEqual({ tick: 2, join: 0, claim: 0 });
    const feed = await store.tick(spec, { consumedSince: 0 });
    if (feed.kind !== "state") throw new Error("store unavailable");
    expect(feed.consumed.places.map((place) => place.position).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
  });
});

describe("an instance with nothing urgent to say", () => {
  it("ticks once per IDLE_TICK_MS under a constant load of admitted views and of polls far from the frontier", async () => {
    // Six a minute: the frontier stays far from the back of the line for the whole test.
    const room = await testRoom({ ADMIT_PER_MINUTE: "6" });
    const { store } = await room.store();
    const instance = counted(store);
    const app = createApp({ store: instance.store, now: room.now });
    const shopper = new Visitor("application/json");
    expect((await shopper.send(app, room.env, "/api/echo")).status).toBe(200);
    // A line forms behind the shopper: forty newcomers, of whom the last polls.
    const line = Array.from({ length: 40 }, () => new Visitor("application/json"));
    for (const visitor of line) await visitor.send(app, room.env, "/api/echo");
    const last = line.at(-1) ?? new Visitor();
    instance.calls.tick = 0;
    instance.calls.join = 0;
    // 20 s: every 200 ms a page view by the shopper and a poll by the last in line.
    for (let step = 0; step < 100; step++) {
      room.advance(200);
      expect((await shopper.send(app, room.env, "/api/echo")).status).toBe(200);
      expect(await (await last.send(app, room.env, "/__anteroom/status")).json()).toMatchObject({ state: "queued" });
    }
    // A tick a second before (20); now one per IDLE_TICK_MS.
    expect(instance.calls).toEqual({ tick: 20_000 / IDLE_TICK_MS, join: 0, claim: 0 });
  });
});
