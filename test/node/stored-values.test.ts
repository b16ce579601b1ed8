// A stored value the worker cannot read (edited by hand, or written before
// the admin API bounded it) never fails a read: the store leaves it out or
// reads it as its default, and reports it. Run on both engines the scripts
// run on: the real redis-server (through the REST bridge) and the embedded one.
import { describe, expect, it } from "vitest";
import { EmbeddedRedis } from "../../tools/embedded-redis/embedded-redis.ts";
import { eventsKey, settingsKey } from "../../worker/store/keys.ts";
import { RedisStore, type ScriptClient } from "../../worker/store/redis.ts";
import { clock, redisClient, room, T0 } from "../support/stores.ts";

/** A store on one engine, a way to write raw keys there, and what the store reported. */
interface Engine {
  readonly store: RedisStore;
  readonly write: (command: string[]) => Promise<unknown>;
  readonly reports: string[];
}

const engines: [string, () => Engine][] = [
  [
    "real redis-server",
    () => {
      const client = redisClient();
      const reports: string[] = [];
      const time = clock();
      return {
        store: new RedisStore(client, { now: time.now, unreadable: (r) => reports.push(r) }),
        write: (command) => client.eval("return redis.call(unpack(ARGV))", [], command),
        reports,
      };
    },
  ],
  [
    "embedded engine",
    () => {
      const time = clock();
      const redis = new EmbeddedRedis({ now: time.now });
      const reports: string[] = [];
      const client: ScriptClient = redis.scriptClient();
      return {
        store: new RedisStore(client, { now: time.now, unreadable: (r) => reports.push(r) }),
        write: async (command) => redis.call(command),
        reports,
      };
    },
  ],
];

const MINUTE = 60_000;

describe.each(engines)("stored values the worker cannot read (%s)", (_name, engine) => {
  it("leaves out event entries it cannot read, keeps the counts of the others, and reports each", async () => {
    const { store, write, reports } = engine();
    const spec = room(60);
    const list = [
      { id: "ev_far", seq: 1, startsAt: 1e20, perMinute: 5 },
      { id: "ev_good", seq: 2, startsAt: T0 + 10 * MINUTE, prequeueFrom: T0 - MINUTE, shuffleAtStart: true },
      { id: "ev_seq", seq: "x", startsAt: T0 + 20 * MINUTE },
      null,
      7,
      { id: "ev_mode", seq: 3, startsAt: T0 + 30 * MINUTE, mode: "turbo" },
      { id: "ev_end", seq: 4, startsAt: T0 + 40 * MINUTE, endsAt: "later" },
      { id: "ev_last", seq: 5, startsAt: T0 + 50 * MINUTE, perMinute: 100 },
    ];
    await write(["HSET", eventsKey(spec.room), "list", JSON.stringify(list), "v", "3"]);
    await write(["ZADD", `anteroom:{${spec.room}}:prequeue`, "2.5", "2:a", "2.25", "2:b"]);
    const read = await store.events(spec);
    expect(read).toMatchObject({
      kind: "events",
      version: "3",
      events: [
        { id: "ev_good", seq: 2, prequeued: 2, placed: false, endsAt: null, perMinute: null },
        { id: "ev_last", seq: 5, prequeued: 0, perMinute: 100 },
      ],
    });
    expect(read.kind === "events" && read.events).toHaveLength(2);
    expect(reports).toEqual([
      'EVENTS_READ: event 1 of 8 left out: "ev_far": startsAt is not a time within the Date range',
      'EVENTS_READ: event 3 of 8 left out: "ev_seq": seq is not a whole number above 0',
      "EVENTS_READ: event 4 of 8 left out: not an object",
      "EVENTS_READ: event 5 of 8 left out: not an object",
      'EVENTS_READ: event 6 of 8 left out: "ev_mode": mode is not a mode',
      'EVENTS_READ: event 7 of 8 left out: "ev_end": endsAt is not a time within the Date range',
    ]);
  });

  it("reads a list that is not JSON as empty, and reports it", async () => {
    const { store, write, reports } = engine();
    const spec = room(60);
    await write(["HSET", eventsKey(spec.room), "list", "{not json", "v", "1"]);
    expect(await store.events(spec)).toEqual({ kind: "events", events: [], version: "1" });
    expect(reports).toEqual(["EVENTS_READ: the events list is not JSON; read as empty"]);
  });

  it("reads a stored session length, cap or rate that is not a number as the default, as the scripts do", async () => {
    const { store, write, reports } = engine();
    const spec = { ...room(60), maxActive: 7 };
    await write(["HSET", settingsKey(spec.room), "session", "soon", "max", "lots", "rate", "fast", "v", "1"]);
    const tick = await store.tick(spec);
    expect(tick).toMatchObject({ kind: "state", settings: { perMinute: 60, sessionMinutes: null, maxActive: null } });
    const updated = await store.updateSettings(spec, { mode: "queue-all" });
    expect(updated).toMatchObject({
      kind: "settings",
      settings: { perMinute: 60, mode: "queue-all", sessionMinutes: null, maxActive: null },
    });
    expect(reports).toEqual([
      'TICK: settings field session "soon" is not a number; the default applies',
      'TICK: settings field max "lots" is not a number; the default applies',
      'SETTINGS: settings field session "soon" is not a number; the default applies',
      'SETTINGS: settings field max "lots" is not a number; the default applies',
    ]);
  });
});
