import { describe, expect, it } from "vitest";
import { IDLE_TICK_MS } from "../../worker/gate/room-link.ts";
import { SETTLE_MS } from "../../worker/model/autopilot.ts";
import type { OriginFigures } from "../../worker/model/origin-signal.ts";
import type { AutopilotReading } from "../../worker/store/store.ts";
import { T0, testRoom, Visitor } from "./helpers.ts";

type Room = Awaited<ReturnType<typeof testRoom>>;

/**
 * An origin stand-in that answers by path, on the room's clock:
 * - `/slow...`: after `slowMs` of the room's clock (it moves the clock);
 * - `/held`: when the test calls {@link release} (so many requests can be slow at once, on one clock move);
 * - `/hang`: after `hangMs` of real time (for the timeout, which is a real timer);
 * - `/fail` 503, `/busy` 429, `/down` unreachable (the fetch throws);
 * - anything else at once.
 */
class Shop {
  requests = 0;
  slowMs = 1500;
  hangMs = 400;
  /** The room's clock; set once the room exists. */
  advance: (ms: number) => void = () => {};
  #held: (() => void)[] = [];

  readonly fetch = async (request: Request): Promise<Response> => {
    this.requests += 1;
    const path = new URL(request.url).pathname;
    if (path.startsWith("/slow")) this.advance(this.slowMs);
    if (path === "/held") await new Promise<void>((resolve) => this.#held.push(resolve));
    if (path === "/hang") await sleep(this.hangMs);
    if (path === "/fail") return new Response("overloaded", { status: 503 });
    if (path === "/busy") return new Response("slow down", { status: 429 });
    if (path === "/down") throw new Error("connection refused");
    return new Response(`page ${path}`);
  };

  /** Requests waiting at `/held`. */
  get held(): number {
    return this.#held.length;
  }

  /** Answers every request waiting at `/held`. */
  release(): void {
    for (const resolve of this.#held.splice(0)) resolve();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A room in front of a {@link Shop}, whose slow answers move the room's clock. */
async function shopRoom(settings: Record<string, string> = {}) {
  const shop = new Shop();
  const room = await testRoom(settings, { fetcher: shop.fetch });
  shop.advance = room.advance;
  const { store, spec } = await room.store();
  /** What the store says of the autopilot and the origin (the fleet's last minute). */
  const reading = async (): Promise<AutopilotReading> => {
    const outcome = await store.autopilot(spec);
    if (outcome.kind !== "autopilot") throw new Error(`autopilot reading: ${outcome.kind}`);
    return outcome;
  };
  /** A tick as an instance makes it (no report): the rate in force, after any decision it made. */
  const rate = async (): Promise<number> => {
    const outcome = await store.tick(spec);
    if (outcome.kind !== "state") throw new Error(`tick: ${outcome.kind}`);
    return outcome.settings.perMinute;
  };
  return { shop, room, reading, rate };
}

/** Polls `read` (real time) until `done` holds or `timeoutMs` passes; returns the last value. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await sleep(50);
    value = await read();
  }
  return value;
}

/** `count` newcomers asking at once (API clients): a queue past the rate's lead. */
async function crowd(room: Room, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => room.request(new Visitor("application/json"), "/")));
}

/** Requests from `visitor` to `path`, `count` at once, all held by the shop and answered after `ms` of the room's clock. */
async function slowAtOnce(room: Room, shop: Shop, visitor: Visitor, count: number, ms: number): Promise<number[]> {
  const views = Array.from({ length: count }, () => room.request(visitor, "/held"));
  await eventually(
    async () => shop.held,
    (held) => held === count,
  );
  room.advance(ms);
  shop.release();
  return (await Promise.all(views)).map((res) => res.status);
}

describe("the origin's signal (workerd, real Redis)", () => {
  it("times admitted visitors' requests, not bypassed ones; 503, 429 and unreachable count as errors; the store keeps the sample", async () => {
    const { shop, room, reading } = await shopRoom();
    const visitor = new Visitor();
    // Let in at once (nobody waits): the first view is proxied with the new pass, and timed (0 ms on the room's clock).
    expect((await room.request(visitor, "/")).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await room.request(visitor, "/slow")).status).toBe(200);
    expect((await room.request(visitor, "/fail")).status).toBe(503);
    expect((await room.request(visitor, "/busy")).status).toBe(429);
    expect((await room.request(visitor, "/down")).status).toBe(502);
    // Bypassed paths go straight through, slow or not, and the room does not meter them.
    for (let i = 0; i < 3; i++) expect((await room.request(visitor, "/slow.css")).status).toBe(200);
    expect(shop.requests).toBe(11);
    // The sample rides the script calls the instance makes anyway: background ticks after proxying (at most
    // one a second, one at a time) and newcomers' JOINs. A view from the stand-in origin does no I/O, so the
    // tick under way since the first view (it carries that view) ends only once the test lets the event loop turn.
    await eventually(reading, (r) => r.origin.requests >= 1);
    room.advance(1000);
    // A newcomer's JOIN brings what the instance saw since its last tick; the tick after its own view brings that.
    expect((await room.request(new Visitor(), "/")).status).toBe(200);
    const { origin } = await eventually(reading, (r) => r.origin.requests >= 9);
    // /, 4 x /slow, /fail, /busy, /down, and the newcomer's own view: 9; 3 errors; 4 of 9 at 1500 ms.
    expect(origin).toMatchObject({ requests: 9, errors: 3 });
    expect(origin.errorRate).toBeCloseTo(3 / 9, 9);
    expect(origin.p95Ms).toBeGreaterThanOrEqual(1500);
    expect(origin.p95Ms).toBeLessThan(2500);
    expect(origin.p50Ms).toBeLessThan(100);
  }, 15_000);

  it("counts an origin silent past ORIGIN_TIMEOUT_MS as one error when the timeout passes, and still hands over its late answer", async () => {
    const { shop, room, reading } = await shopRoom({ ORIGIN_TIMEOUT_MS: "100" });
    const visitor = new Visitor();
    expect((await room.request(visitor, "/")).status).toBe(200);
    await eventually(reading, (r) => r.origin.requests >= 1);
    room.advance(1000);
    const late = room.request(visitor, "/hang");
    // The timeout (100 ms, a real timer set before the origin is asked) passes while the origin is silent: the
    // error is recorded then, and reaches the store with the instance's next tick (with the autopilot off, the
    // origin's answers go every IDLE_TICK_MS), while the visitor's request still waits.
    await eventually(
      async () => shop.requests,
      (requests) => requests === 2,
    );
    await sleep(150);
    room.advance(IDLE_TICK_MS);
    expect((await room.request(new Visitor(), "/")).status).toBe(200);
    const during: OriginFigures = (await eventually(reading, (r) => r.origin.requests >= 3)).origin;
    // /, the silent /hang and the newcomer's view.
    expect(during).toMatchObject({ requests: 3, errors: 1 });
    // The answer comes after all, and the visitor gets it.
    const res = await late;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("page /hang");
    // It is not counted again: once everything has been reported, four requests (/, /hang, two newcomers), one error.
    room.advance(IDLE_TICK_MS);
    expect((await room.request(new Visitor(), "/")).status).toBe(200);
    const { origin } = await eventually(reading, (r) => r.origin.requests >= 4);
    await sleep(200);
    expect((await reading()).origin).toEqual(origin);
    expect(origin).toMatchObject({ requests: 4, errors: 1 });
    // Its latency is the timeout (the 100-150 ms bin), not the answer's.
    expect(origin.p95Ms).toBeGreaterThanOrEqual(100);
    expect(origin.p95Ms).toBeLessThanOrEqual(150);
  }, 15_000);
});

// These depend on the controller in the admission scripts (store/lua/autopilot.ts).
describe("the autopilot steers the rate (workerd, real Redis)", () => {
  it("cuts the rate within seconds when the origin is slow, and says why", async () => {
    const { shop, room, reading, rate } = await shopRoom({
      AUTOPILOT: "on",
      ADMIT_PER_MINUTE: "600",
      ORIGIN_TARGET_P95_MS: "500",
    });
    const visitor = new Visitor();
    expect((await room.request(visitor, "/")).status).toBe(200);
    await crowd(room, 30);
    expect(await rate()).toBe(600);
    room.advance(2_000);
    const startedAt = room.now();
    // Twelve views at once, each 1.5 s to its headers (three times the target).
    expect(await slowAtOnce(room, shop, visitor, 12, 1500)).toEqual(new Array(12).fill(200));
    // Whatever the background tick did not carry goes with the next newcomer's JOIN.
    await room.request(new Visitor("application/json"), "/");
    let perMinute = 600;
    for (let second = 0; second < 6 && perMinute >= 600; second++) {
      room.advance(1000);
      perMinute = await rate();
    }
    expect(perMinute).toBeLessThan(600);
    expect(perMinute).toBeGreaterThanOrEqual(60); // AUTOPILOT_MIN_RATE: ADMIT_PER_MINUTE / 10
    expect(room.now() - startedAt).toBeLessThanOrEqual(8_000);
    const { changes } = await reading();
    expect(changes.at(-1)).toMatchObject({ from: 600, to: perMinute, reason: { code: "p95_high", targetMs: 500 } });
  });

  it("cuts the rate within seconds when the origin fails", async () => {
    const { room, reading, rate } = await shopRoom({ AUTOPILOT: "on", ADMIT_PER_MINUTE: "600" });
    const visitor = new Visitor();
    expect((await room.request(visitor, "/")).status).toBe(200);
    await crowd(room, 30);
    room.advance(2_000);
    const failures = await Promise.all(Array.from({ length: 12 }, () => room.request(visitor, "/fail")));
    expect(failures.map((res) => res.status)).toEqual(new Array(12).fill(503));
    await room.request(new Visitor("application/json"), "/");
    let perMinute = 600;
    for (let second = 0; second < 6 && perMinute >= 600; second++) {
      room.advance(1000);
      perMinute = await rate();
    }
    expect(perMinute).toBeLessThan(600);
    const { changes } = await reading();
    expect(changes.at(-1)).toMatchObject({ from: 600, to: perMinute, reason: { code: "errors_high" } });
  });

  it("raises the rate while the origin is fast and a queue waits, once the last change has settled", async () => {
    const { room, reading, rate } = await shopRoom({ AUTOPILOT: "on", ADMIT_PER_MINUTE: "60" });
    const visitor = new Visitor();
    expect((await room.request(visitor, "/")).status).toBe(200);
    await crowd(room, 40);
    let perMinute = await rate();
    expect(perMinute).toBe(60);
    let roseAt = 0;
    for (let second = 0; second < 20 && perMinute <= 60; second++) {
      room.advance(1000);
      for (let view = 0; view < 3; view++) expect((await room.request(visitor, "/fast")).status).toBe(200);
      perMinute = await rate();
      if (perMinute > 60) roseAt = room.now();
    }
    expect(perMinute).toBeGreaterThan(60);
    expect(perMinute).toBeLessThanOrEqual(60 * 1.2);
    // Not before the load of the rate in force had time to arrive (it started with the first admission, at T0).
    expect(roseAt - T0).toBeGreaterThanOrEqual(SETTLE_MS);
    const { changes } = await reading();
    expect(changes.at(-1)).toMatchObject({ from: 60, to: perMinute, reason: { code: "healthy" } });
  });
});
