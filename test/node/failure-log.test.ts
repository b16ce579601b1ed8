// Logging store failures (worker/store/log-throttle.ts, failure-log.ts): the
// pure throttle with a fixed clock, the lines an instance writes, its counts,
// and the store wrapper that feeds them.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../worker/log.ts";
import { StoreFailureLog, watchedStore } from "../../worker/store/failure-log.ts";
import { LogThrottle, throttleStep } from "../../worker/store/log-throttle.ts";
import type { AdmissionStore, StoreUnavailable } from "../../worker/store/store.ts";
import { clock, embeddedStore, newArrival, room, T0 } from "../support/stores.ts";

const WINDOW = 10_000;

describe("throttleStep", () => {
  it("lets the first line out, counts the rest of the window, then reports them with the next line", () => {
    const first = throttleStep(undefined, T0, WINDOW);
    expect(first).toEqual({ entry: { lastLineAt: T0, suppressed: 0 }, line: { suppressed: 0, sinceMs: 0 } });
    let entry = first.entry;
    for (const at of [T0, T0 + 1, T0 + 9_999]) {
      const step = throttleStep(entry, at, WINDOW);
      expect(step.line).toBeNull();
      entry = step.entry;
    }
    expect(entry).toEqual({ lastLineAt: T0, suppressed: 3 });
    expect(throttleStep(entry, T0 + 10_000, WINDOW)).toEqual({
      entry: { lastLineAt: T0 + 10_000, suppressed: 0 },
      line: { suppressed: 3, sinceMs: 10_000 },
    });
  });

  it("says how long it really held lines back when the next one comes late", () => {
    expect(throttleStep({ lastLineAt: T0, suppressed: 12 }, T0 + 37_000, WINDOW).line).toEqual({
      suppressed: 12,
      sinceMs: 37_000,
    });
  });

  it("starts a new window when the clock went backwards, rather than staying silent until it catches up", () => {
    expect(throttleStep({ lastLineAt: T0, suppressed: 2 }, T0 - 60_000, WINDOW).line).toEqual({
      suppressed: 2,
      sinceMs: 0,
    });
  });
});

describe("LogThrottle", () => {
  it("throttles each key on its own", () => {
    const time = clock();
    const throttle = new LogThrottle({ windowMs: WINDOW, now: time.now });
    expect(throttle.admit("a")).toEqual({ suppressed: 0, sinceMs: 0 });
    expect(throttle.admit("b")).toEqual({ suppressed: 0, sinceMs: 0 });
    expect(throttle.admit("a")).toBeNull();
    time.advance(WINDOW);
    expect(throttle.admit("a")).toEqual({ suppressed: 1, sinceMs: WINDOW });
    expect(throttle.admit("b")).toEqual({ suppressed: 0, sinceMs: WINDOW });
  });

  it("remembers a bounded number of keys, forgetting the oldest first", () => {
    const time = clock();
    const throttle = new LogThrottle({ windowMs: WINDOW, now: time.now, maxKeys: 2 });
    throttle.admit("a");
    time.advance(1);
    throttle.admit("b");
    time.advance(1);
    throttle.admit("c");
    // "a" was forgotten, so it is new again; "c" is still held back.
    expect(throttle.admit("a")).toEqual({ suppressed: 0, sinceMs: 0 });
    expect(throttle.admit("c")).toBeNull();
  });
});

const outage: StoreUnavailable = { kind: "unavailable", failure: "outage", reason: "TypeError: fetch failed" };
const bug: StoreUnavailable = { kind: "unavailable", failure: "script_error", reason: 'JOIN reply unreadable: "x"' };

/** A logger (log.ts) whose JSON lines are kept, parsed, by level. */
function recorder() {
  const lines = { warn: [] as Record<string, unknown>[], error: [] as Record<string, unknown>[] };
  const keep = (into: Record<string, unknown>[]) => (line: string) => into.push(JSON.parse(line));
  const sink = { log: keep([]), warn: keep(lines.warn), error: keep(lines.error) };
  return { lines, log: createLogger({ now: () => T0, sink }) };
}

describe("StoreFailureLog", () => {
  it("counts every failure by kind, and writes one line per kind and reason per 10 s with the count held back", () => {
    const time = clock();
    const { lines, log: logger } = recorder();
    const log = new StoreFailureLog({ now: time.now, log: logger });
    for (let i = 0; i < 13; i++) log.record(outage);
    log.record(bug);
    log.record(bug);
    expect(log.counts()).toEqual({ outage: 13, scriptError: 2 });
    expect(lines.warn).toMatchObject([
      { event: "store_failure", level: "warn", kind: "outage", reason: "TypeError: fetch failed", heldBack: 0 },
    ]);
    expect(lines.error).toHaveLength(1);
    time.advance(10_000);
    log.record(outage);
    expect(lines.warn.at(-1)).toMatchObject({ reason: "TypeError: fetch failed", heldBack: 12, sinceSeconds: 10 });
    log.record({ ...outage, reason: "TimeoutError: The operation was aborted due to timeout" });
    expect(lines.warn).toHaveLength(3);
    expect(log.counts()).toEqual({ outage: 15, scriptError: 2 });
  });

  it("logs a script error loudly, as a bug and not an outage", () => {
    const { lines, log: logger } = recorder();
    new StoreFailureLog({ now: () => T0, log: logger }).record(bug);
    expect(lines.warn).toEqual([]);
    expect(lines.error).toEqual([
      {
        event: "store_failure",
        level: "error",
        at: new Date(T0).toISOString(),
        kind: "script_error",
        reason: 'JOIN reply unreadable: "x"',
        heldBack: 0,
        sinceSeconds: 0,
      },
    ]);
  });
});

describe("watchedStore", () => {
  it("records the failures of every store call and hands every outcome through unchanged", async () => {
    const time = clock();
    const { log: logger } = recorder();
    const log = new StoreFailureLog({ now: time.now, log: logger });
    const healthy = embeddedStore(time.now);
    const spec = room(60);
    const calls: string[] = [];
    // Fails every call, recording which: each of the seven must reach the log.
    const failing = new Proxy(healthy, {
      get: (_target, method: string) => () => {
        calls.push(method);
        return Promise.resolve(method === "join" ? bug : outage);
      },
    }) as AdmissionStore;
    const store = watchedStore(failing, log);
    const outcomes = await Promise.all([
      store.join(spec, newArrival()),
      store.claim(spec, 1, "v"),
      store.events(spec),
      store.writeEvents(spec, "0", []),
      store.tick(spec),
      store.updateSettings(spec, {}),
      store.history(spec),
    ]);
    expect(calls.sort()).toEqual(["claim", "events", "history", "join", "tick", "updateSettings", "writeEvents"]);
    expect(outcomes[0]).toBe(bug);
    expect(log.counts()).toEqual({ outage: 6, scriptError: 1 });
    const fine = watchedStore(healthy, log);
    expect(await fine.tick(spec)).toMatchObject({ kind: "state" });
    expect(log.counts()).toEqual({ outage: 6, scriptError: 1 });
  });
});
