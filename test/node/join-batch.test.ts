// Batched JOINs (issue 14 item 6): one call for the newcomers an instance
// collected gives each the outcome k calls in that order would have; the
// gate's group commit sends a lone newcomer at once and the rest together.
import { describe, expect, it, vi } from "vitest";
import { JoinBatcher, WAIT_MS } from "../../worker/gate/join-batcher.ts";
import { RoomLink } from "../../worker/gate/room-link.ts";
import type { ScheduledEvent } from "../../worker/model/schedule.ts";
import type { AdmissionStore, Arrival, JoinOutcome, RoomSpec } from "../../worker/store/store.ts";
import { clock, embeddedStore, room, stores, T0 } from "../support/stores.ts";

const MINUTE = 60_000;

/** What a newcomer was given, without the state (which differs in `now` only by call order). */
function given(outcome: JoinOutcome) {
  switch (outcome.kind) {
    case "admitted":
    case "queued":
      return { kind: outcome.kind, position: outcome.position };
    case "prequeued":
      return { kind: outcome.kind, event: outcome.event, startsAt: outcome.startsAt };
    case "stamp_used":
      return { kind: outcome.kind, id: outcome.id };
    case "limited":
      return { kind: outcome.kind, retryAfterSeconds: outcome.retryAfterSeconds };
    default:
      return { kind: outcome.kind };
  }
}

/** Two rooms alike: one joined one call per newcomer, the other in one batch. */
function twins(perMinute: number, extra: Partial<RoomSpec> = {}): [RoomSpec, RoomSpec] {
  const base = { ...room(perMinute), ...extra };
  return [base, { ...base, room: `${base.room}-batch` }];
}

async function addEvent(store: AdmissionStore, spec: RoomSpec, event: Partial<ScheduledEvent>): Promise<void> {
  const read = await store.events(spec);
  if (read.kind !== "events") throw new Error(`events: ${read.kind}`);
  const added: ScheduledEvent = {
    id: "ev_1",
    seq: 0,
    startsAt: T0 + MINUTE,
    endsAt: null,
    prequeueFrom: T0 - MINUTE,
    perMinute: null,
    mode: null,
    shuffleAtStart: false,
    ...event,
  };
  const written = await store.writeEvents(spec, read.version, [added]);
  if (written.kind !== "written") throw new Error(`writeEvents: ${written.kind}`);
}

/** Joins `arrivals` one call each into `one`, and in one batch into `many`; both lists of what each got. */
async function both(store: AdmissionStore, [one, many]: [RoomSpec, RoomSpec], arrivals: readonly Arrival[]) {
  const sequential = [];
  for (const arrival of arrivals) sequential.push(given(await store.join(one, arrival)));
  const batched = (await store.joinMany(many, arrivals)).map(given);
  return { sequential, batched };
}

let visitors = 0;
function arrival(extra: Partial<Arrival> = {}): Arrival {
  visitors += 1;
  return { visitorId: `v${visitors}-${process.pid}`, draw: (visitors * 0.137) % 1, ...extra };
}

describe.each(stores)("batched JOIN contract: %s", (_name, makeStore) => {
  it("gives k newcomers in one call the positions and outcomes of k calls in that order", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const rooms = twins(600);
    const { sequential, batched } = await both(
      store,
      rooms,
      Array.from({ length: 30 }, () => arrival()),
    );
    // burst 10: the first ten straight in, the rest queue, positions in arrival order.
    expect(batched.map((o) => o.kind)).toEqual([...Array(10).fill("admitted"), ...Array(20).fill("queued")]);
    expect(batched).toEqual(sequential);
    expect(batched.map((o) => ("position" in o ? o.position : 0))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // The state after the batch is the state after the calls.
    const [a, b] = await Promise.all(rooms.map((spec) => store.tick(spec)));
    if (a?.kind !== "state" || b?.kind !== "state") throw new Error("tick failed");
    expect({ ...b.state, now: 0 }).toEqual({ ...a.state, now: 0 });
  });

  it("counts the per-client limit and spent stamps arrival by arrival inside a batch", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const rooms = twins(60, { newTicketsPerClientPerMinute: 2 });
    const stamp = (id: string) => [{ id, expiresAt: T0 + MINUTE }];
    // Each room has its own set of spent stamps: the same ids serve both runs.
    const run = (tag: string) => [
      arrival({ client: "c1" }),
      arrival({ client: "c1" }),
      arrival({ client: "c1" }), // over the limit: nothing given
      arrival({ client: "c2", stamps: stamp(`s1${tag}`) }),
      arrival({ client: "c3", stamps: stamp(`s1${tag}`) }), // the same stamp again: spent
      arrival({ client: "c3", stamps: stamp(`s2${tag}`) }),
      arrival(),
    ];
    const sequential = [];
    for (const a of run("x")) sequential.push(given(await store.join(rooms[0], a)));
    const batched = (await store.joinMany(rooms[1], run("x"))).map(given);
    expect(sequential.map((o) => o.kind)).toEqual([
      "admitted",
      "queued",
      "limited",
      "queued",
      "stamp_used",
      "queued",
      "queued",
    ]);
    expect(batched).toEqual(sequential);
  });

  it("gives a batch pre-queue entries in arrival order, and nothing when closed, straight in when passthrough", async () => {
    const t = clock();
    const store = makeStore(t.now);
    const rooms = twins(60);
    for (const spec of rooms) await addEvent(store, spec, {});
    const pre = await both(store, rooms, [arrival(), arrival(), arrival()]);
    expect(pre.batched.map((o) => o.kind)).toEqual(["prequeued", "prequeued", "prequeued"]);
    expect(pre.batched).toEqual(pre.sequential);

    const closed = twins(60);
    for (const spec of closed) await store.updateSettings(spec, { mode: "closed" });
    const shut = await both(store, closed, [arrival(), arrival()]);
    expect(shut.batched).toEqual([{ kind: "closed" }, { kind: "closed" }]);
    expect(shut.batched).toEqual(shut.sequential);

    const open = twins(60);
    for (const spec of open) await store.updateSettings(spec, { mode: "passthrough" });
    const through = await both(store, open, [arrival(), arrival()]);
    expect(through.batched).toEqual([
      { kind: "admitted", position: 0 },
      { kind: "admitted", position: 0 },
    ]);
    expect(through.batched).toEqual(through.sequential);
  });
});

describe("pre-queue order of a batch without shuffle (embedded store)", () => {
  it("places a batch's entries in arrival order at the start", async () => {
    const t = clock();
    const store = embeddedStore(t.now);
    const spec = room(600);
    await addEvent(store, spec, {});
    const arrivals = Array.from({ length: 5 }, () => arrival());
    const outcomes = await store.joinMany(spec, arrivals);
    expect(outcomes.every((o) => o.kind === "prequeued")).toBe(true);
    t.set(T0 + MINUTE + 1);
    const placed = [];
    for (const a of arrivals) {
      const claim = await store.claim(spec, 1, a.visitorId);
      placed.push(claim.kind === "placed" ? claim.position : -1);
    }
    expect(placed).toEqual([...placed].sort((a, b) => a - b));
    expect(new Set(placed).size).toBe(5);
  });
});

/** A send that answers when told to, recording the batches it was given. */
function gatedSend() {
  const batches: string[][] = [];
  const waiting: (() => void)[] = [];
  const send = (arrivals: readonly Arrival[]): Promise<readonly JoinOutcome[]> => {
    batches.push(arrivals.map((a) => a.visitorId));
    return new Promise((resolve) => {
      waiting.push(() => resolve(arrivals.map(() => ({ kind: "limited", retryAfterSeconds: 1 }) as const)));
    });
  };
  const answer = async () => {
    waiting.shift()?.();
    // Let the waiting batch see its call before it close and go.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { batches, send, answer };
}

describe("JoinBatcher: group commit", () => {
  it("sends a lone newcomer at once, and those who came during a call together in the next, in arrival order", async () => {
    const { batches, send, answer } = gatedSend();
    const joins = new JoinBatcher(send);
    const first = joins.join(arrival({ visitorId: "a" }));
    expect(batches).toEqual([["a"]]);
    const rest = ["b", "c", "d"].map((visitorId) => joins.join(arrival({ visitorId })));
    expect(batches).toHaveLength(1);
    await answer();
    expect(batches).toEqual([["a"], ["b", "c", "d"]]);
    await answer();
    expect((await Promise.all([first, ...rest])).map((o) => o.kind)).toEqual(Array(4).fill("limited"));
    // Idle again: the next newcomer goes at once.
    const later = joins.join(arrival({ visitorId: "e" }));
    expect(batches).toEqual([["a"], ["b", "c", "d"], ["e"]]);
    await answer();
    await later;
  });

  it("sends a batch anyway when the call before never answers, and a member of an unanswered batch gets a failure", async () => {
    vi.useFakeTimers();
    try {
      const batches: string[][] = [];
      // Every call hangs (its request was cancelled): nothing ever answers.
      const joins = new JoinBatcher((arrivals) => {
        batches.push(arrivals.map((a) => a.visitorId));
        return new Promise(() => {});
      });
      void joins.join(arrival({ visitorId: "a" }));
      void joins.join(arrival({ visitorId: "b" }));
      const member = joins.join(arrival({ visitorId: "c" }));
      expect(batches).toEqual([["a"]]);
      await vi.advanceTimersByTimeAsync(WAIT_MS);
      expect(batches).toEqual([["a"], ["b", "c"]]);
      expect(await member).toMatchObject({ kind: "unavailable", failure: "outage" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("starts another batch past the most a call takes", async () => {
    const { batches, send, answer } = gatedSend();
    const joins = new JoinBatcher(send, 2);
    const all = ["a", "b", "c", "d", "e"].map((visitorId) => joins.join(arrival({ visitorId })));
    await answer();
    await answer();
    await answer();
    expect(batches).toEqual([["a"], ["b", "c"], ["d", "e"]]);
    await Promise.all(all);
  });

  it("makes fewer store calls for concurrent newcomers at one instance, with increasing positions in arrival order", async () => {
    const t = clock();
    const store = embeddedStore(t.now);
    let calls = 0;
    const counted = new Proxy(store, {
      get(target, name) {
        if (name === "joinMany") {
          return (...args: Parameters<AdmissionStore["joinMany"]>) => {
            calls += 1;
            return target.joinMany(...args);
          };
        }
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const link = new RoomLink(counted, room(60), t.now);
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => link.join(arrival())));
    expect(calls).toBeLessThanOrEqual(2);
    const positions = outcomes.map((o) => ("position" in o ? o.position : -1));
    expect(positions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});
