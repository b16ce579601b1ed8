// Issue 14, item 6: newcomers who reach one instance while its JOIN is in flight go together in the
// next JOIN (group commit), each with their own place, in arrival order. The real worker in workerd
// against the real Redis.
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/index.ts";
import type { AdmissionStore } from "../../worker/store/store.ts";
import { testRoom, Visitor } from "./helpers.ts";

/** The instance's store, with its JOIN calls and the newcomers each carried counted. */
function counted(live: AdmissionStore) {
  const batches: number[] = [];
  const store: AdmissionStore = new Proxy(live, {
    get(target, name: keyof AdmissionStore) {
      const value = target[name];
      if (typeof value !== "function") return value;
      if (name === "joinMany") {
        return (...args: Parameters<AdmissionStore["joinMany"]>) => {
          batches.push(args[1].length);
          return target.joinMany(...args);
        };
      }
      if (name === "join") batches.push(1);
      return value.bind(target);
    },
  });
  return { store, batches };
}

describe("batched joins at one instance", () => {
  it("gives 30 concurrent newcomers 30 places in arrival order in a few JOIN calls", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60" });
    const { store } = await room.store();
    const instance = counted(store);
    const app = createApp({ store: instance.store, now: room.now });
    const newcomers = Array.from({ length: 30 }, () => new Visitor("application/json"));
    const answers = await Promise.all(newcomers.map((visitor) => visitor.send(app, room.env, "/api/echo")));
    const bodies = (await Promise.all(answers.map((res) => res.json()))) as { position?: number }[];
    // The first straight in (an idle room's burst of one), the others queued behind it in the order they came.
    expect(answers.map((res) => res.status)).toEqual([200, ...Array(29).fill(429)]);
    expect(bodies.slice(1).map((body) => body.position)).toEqual(Array.from({ length: 29 }, (_, i) => i + 2));
    // The first alone, at once; the rest arrived while it was in flight: one more call (two at most).
    expect(instance.batches[0]).toBe(1);
    expect(instance.batches.reduce((a, b) => a + b, 0)).toBe(30);
    expect(instance.batches.length).toBeLessThanOrEqual(3);
  });
});
