// Store failures in the operator's stats, in workerd: an instance whose store
// goes dead (a closed port) and then answers replies its mapping cannot read
// counts each kind, and GET /__anteroom/admin/stats shows the counts, also in
// the 503 it answers while the store is down.
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/index.ts";
import { connectRedis, RedisStore, type ScriptClient } from "../../worker/store/redis.ts";
import { bindings, signingKeys, T0, Visitor } from "./helpers.ts";

const TOKEN = "admin-token-for-tests-0123456789";
const sharedKeys = signingKeys();
let rooms = 0;

type Mode = "ok" | "dead" | "garbled";

/**
 * The real Redis (through the bridge) behind a switch: `dead` sends every
 * script to a port nothing listens on, `garbled` answers a reply no mapping
 * can read. Script calls are counted by the mode they were made in.
 */
function switchableClient() {
  const live = connectRedis({
    url: bindings.UPSTASH_REDIS_REST_URL ?? "",
    token: bindings.UPSTASH_REDIS_REST_TOKEN ?? "",
    timeoutMs: 3000,
  });
  const dead = connectRedis({ url: "http://127.0.0.1:9", token: "x", timeoutMs: 3000 });
  const control = { mode: "ok" as Mode, calls: { ok: 0, dead: 0, garbled: 0 }, pending: [] as Promise<unknown>[] };
  const client: ScriptClient = {
    createScript<T>(lua: string) {
      const scripts = { ok: live.createScript<T>(lua), dead: dead.createScript<T>(lua) };
      return {
        exec(keys: string[], args: string[]) {
          const mode = control.mode;
          control.calls[mode] += 1;
          // A script that returns nothing (nil) where every mapping expects a list.
          const reply = mode === "garbled" ? Promise.resolve(null as T) : scripts[mode].exec(keys, args);
          control.pending.push(reply.catch(() => undefined));
          return reply;
        },
      };
    },
  };
  return { client, control };
}

async function failingRoom() {
  rooms += 1;
  const env: Record<string, string> = {
    ...bindings,
    ROOM: `failures-${Date.now()}-${rooms}`,
    COOKIE_CHECK: "off",
    ADMIT_PER_MINUTE: "60",
    ADMIN_TOKEN: TOKEN,
    PASS_SIGNING_KEYS: await sharedKeys,
    TICKET_SECRET: "t".repeat(40),
  };
  const { client, control } = switchableClient();
  const app = createApp({ store: new RedisStore(client, { now: () => T0 }), now: () => T0 });
  return {
    control,
    newcomer: async () => (await new Visitor("application/json").send(app, env, "/api/echo")).body?.cancel(),
    stats: async () => {
      // Background ticks may still be in flight: every call made so far is counted once it has settled.
      await Promise.all(control.pending);
      const res = await app.request(
        "http://room.test/__anteroom/admin/stats",
        { headers: { authorization: `Bearer ${TOKEN}` } },
        env,
      );
      return { status: res.status, body: (await res.json()) as { storeFailures?: unknown } };
    },
  };
}

describe("GET /__anteroom/admin/stats: storeFailures", () => {
  it("counts outages and script errors apart, one per failed store call", async () => {
    const room = await failingRoom();
    expect((await room.stats()).body.storeFailures).toEqual({ outage: 0, scriptError: 0 });
    room.control.mode = "dead";
    for (let i = 0; i < 3; i++) await room.newcomer();
    room.control.mode = "garbled";
    for (let i = 0; i < 2; i++) await room.newcomer();
    room.control.mode = "ok";
    const { status, body } = await room.stats();
    expect(status).toBe(200);
    expect(room.control.calls.dead).toBeGreaterThanOrEqual(3);
    expect(room.control.calls.garbled).toBeGreaterThanOrEqual(2);
    expect(body.storeFailures).toEqual({ outage: room.control.calls.dead, scriptError: room.control.calls.garbled });
  });

  it("are in the 503 the endpoint answers while the store is down, which is when they matter", async () => {
    const room = await failingRoom();
    room.control.mode = "garbled";
    const broken = await room.stats();
    expect(broken.status).toBe(503);
    expect(room.control.calls.garbled).toBeGreaterThanOrEqual(3);
    expect(broken.body).toMatchObject({
      error: { code: "store_unavailable" },
      storeFailures: { outage: 0, scriptError: room.control.calls.garbled },
    });
    room.control.mode = "dead";
    const down = await room.stats();
    expect(down.status).toBe(503);
    expect(down.body.storeFailures).toEqual({
      outage: room.control.calls.dead,
      scriptError: room.control.calls.garbled,
    });
    expect(room.control.calls.dead).toBeGreaterThanOrEqual(3);
  });
});
