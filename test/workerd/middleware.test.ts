// The room mounted as a Hono middleware in a site's own worker (`anteroom()`), in
// workerd against the real Redis: admitted visitors reach the app's own routes
// (no proxy), others wait, and the room's endpoints answer beside the routes.
import { Hono } from "hono";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { type AnteroomSettings, type AnteroomVariables, anteroom } from "../../worker/middleware.ts";
import { bindings, Visitor } from "./helpers.ts";

let sites = 0;

/** A site's own Hono app with the room in front; it counts what reached its routes. */
function site(settings: AnteroomSettings = {}) {
  sites += 1;
  const room = `mw-${Date.now()}-${sites}`;
  const reached: string[] = [];
  const app = new Hono<{ Bindings: Record<string, string>; Variables: AnteroomVariables }>();
  app.use(
    "*",
    anteroom<Record<string, string>>({
      // Development with no PASS_SIGNING_KEYS: the room makes an ephemeral key, so a pass it sets verifies
      // with its own JWKS only if the room and its endpoints share one runtime.
      settings: (env) => ({ ...env, ROOM: room, COOKIE_CHECK: "off", ADMIT_PER_MINUTE: "60", ...settings }),
    }),
  );
  app.get("/shop", (c) => {
    reached.push("/shop");
    c.header("x-site", "own");
    return c.json({ pass: c.get("anteroomPass") ?? null });
  });
  app.get("/raw", () => {
    reached.push("/raw");
    return new Response("raw answer", { headers: { "x-site": "raw" } });
  });
  app.post("/order", async (c) => {
    reached.push("/order");
    return c.json({ order: await c.req.json() });
  });
  app.get("/style.css", (c) => {
    reached.push("/style.css");
    return c.text("body{}");
  });
  const env = { ...bindings };
  delete env.PASS_SIGNING_KEYS;
  return {
    reached,
    request: (visitor: Visitor, path: string, init: RequestInit = {}) => visitor.send(app as never, env, path, init),
  };
}

describe("anteroom() in a site's own Hono app", () => {
  it("hands an admitted visitor on to the app's route, with the pass cookie and the pass as a variable", async () => {
    const shop = site();
    const visitor = new Visitor("application/json");
    const res = await shop.request(visitor, "/shop");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-site")).toBe("own");
    const pass = visitor.cookies.get("anteroom_pass");
    expect(pass).toBeTruthy();
    expect(await res.json()).toEqual({ pass });
    // Set once, though the route answered with c.json(), which already carries the room's cookies.
    expect(res.headers.getSetCookie().filter((line) => line.startsWith("anteroom_pass=")).length).toBe(1);
    expect(res.headers.get("cache-control")).toContain("private");
    expect(shop.reached).toEqual(["/shop"]);

    // The pass verifies with the room's JWKS, served by the same middleware: one runtime, one key.
    const jwks = (await (await shop.request(new Visitor(), "/__anteroom/jwks.json")).json()) as never;
    const { payload } = await jwtVerify(pass ?? "", createLocalJWKSet(jwks));
    expect(payload.sub).toBeTruthy();
  });

  it("queues the next newcomer without reaching the app, and answers its status", async () => {
    const shop = site();
    expect((await shop.request(new Visitor("application/json"), "/shop")).status).toBe(200);
    const second = new Visitor("application/json");
    const queued = await shop.request(second, "/shop");
    expect(queued.status).toBe(429);
    expect(await queued.json()).toMatchObject({ state: "queued", position: 2 });
    expect(shop.reached).toEqual(["/shop"]);
    const status = await shop.request(second, "/__anteroom/status");
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ state: "queued", position: 2 });
  });

  it("keeps the request body for the app's route, and the pass cookie on a raw Response", async () => {
    const shop = site();
    const visitor = new Visitor("application/json");
    const order = await shop.request(visitor, "/order", {
      method: "POST",
      body: JSON.stringify({ sku: "ticket-1" }),
      headers: { "content-type": "application/json" },
    });
    expect(order.status).toBe(200);
    expect(await order.json()).toEqual({ order: { sku: "ticket-1" } });

    const fresh = site();
    const raw = await fresh.request(new Visitor("application/json"), "/raw");
    expect(await raw.text()).toBe("raw answer");
    expect(raw.headers.get("x-site")).toBe("raw");
    expect(raw.headers.getSetCookie().some((line) => line.startsWith("anteroom_pass="))).toBe(true);
  });

  it("lets bypassed and unqueued paths through to the app untouched", async () => {
    const shop = site({ QUEUE_PATHS: "/shop" });
    expect((await shop.request(new Visitor("application/json"), "/shop")).status).toBe(200);
    const css = await shop.request(new Visitor(), "/style.css");
    expect(await css.text()).toBe("body{}");
    expect(css.headers.getSetCookie()).toEqual([]);
    // Not queued (QUEUE_PATHS is /shop only): straight to the app even though the room is full.
    const newcomer = new Visitor("application/json");
    const raw = await shop.request(newcomer, "/raw");
    expect(raw.status).toBe(200);
    expect(newcomer.cookies.size).toBe(0);
    expect(shop.reached).toEqual(["/shop", "/style.css", "/raw"]);
  });

  it("answers a bad setting with 500 config_invalid, not a stack trace", async () => {
    const shop = site({ ADMIT_PER_MINUTE: "lots" });
    const res = await shop.request(new Visitor("application/json"), "/shop");
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("config_invalid");
    expect(shop.reached).toEqual([]);
  });

  it("takes ROOMS as the array itself (as wrangler.toml [vars] gives it), typed as a setting", async () => {
    const name = `mw-rooms-${Date.now()}`;
    // A compile-time check as much as a run-time one: ROOMS is a setting, and may be an array.
    const settings: AnteroomSettings = { ROOMS: [{ name, paths: ["/shop"] }] };
    const shop = site(settings);
    const visitor = new Visitor("application/json");
    const res = await shop.request(visitor, "/shop");
    expect(res.status).toBe(200);
    expect([...visitor.cookies.keys()]).toEqual([`anteroom_pass__${name}`]);
    // Another path no room queues: straight to the app, no cookie.
    expect((await shop.request(new Visitor("application/json"), "/raw")).headers.getSetCookie()).toEqual([]);
    expect(shop.reached).toEqual(["/shop", "/raw"]);
    // @ts-expect-error: a name config.ts does not read is no setting.
    const unknown: AnteroomSettings = { NOT_A_SETTING: "1" };
    expect(unknown).toBeTruthy();
  });
});
