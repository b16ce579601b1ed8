import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { errorResponse } from "../responses.ts";
import { adminAuth } from "./auth.ts";
import { checkSettingsPatch } from "./settings.ts";
import { roomStats } from "./stats.ts";

/**
 * The operator API under `/__anteroom/admin/`: stats and live settings.
 * Every answer is JSON and `no-store`; a store outage is a 503 with
 * `store_unavailable`, and a rejected change leaves the running settings untouched.
 *
 * @example
 * ```ts
 * app.route("/__anteroom/admin", adminApi());
 * ```
 */
export function adminApi(): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();
  admin.use(adminAuth());
  admin.use(async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });

  admin.get("/stats", async (c) => {
    const { gate, config } = c.var.runtime;
    const [tick, history] = await Promise.all([gate.store.tick(gate.room), gate.store.history(gate.room)]);
    if (tick.kind === "unavailable" || history.kind === "unavailable") return storeDown(c);
    gate.frontier.observe(tick.state, tick.settings);
    return c.json(
      roomStats({
        room: config.room,
        state: tick.state,
        settings: tick.settings,
        history: history.minutes,
        defaultSessionMinutes: config.sessionSeconds / 60,
        now: tick.state.updatedAt,
      }),
    );
  });

  admin.get("/settings", async (c) => {
    const { gate } = c.var.runtime;
    const tick = await gate.store.tick(gate.room);
    if (tick.kind === "unavailable") return storeDown(c);
    return c.json(settingsJson(tick.settings, c.var.runtime.config.sessionSeconds / 60));
  });

  admin.patch("/settings", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: { code: "invalid_json", message: "The body is not valid JSON." } }, 400);
    }
    const check = checkSettingsPatch(body);
    if (!check.ok) {
      return c.json(
        { error: { code: "invalid_settings", message: check.problems.join("; "), problems: check.problems } },
        400,
      );
    }
    const { gate } = c.var.runtime;
    const outcome = await gate.store.updateSettings(gate.room, check.patch);
    if (outcome.kind === "unavailable") return storeDown(c);
    return c.json(settingsJson(outcome.settings, c.var.runtime.config.sessionSeconds / 60));
  });

  admin.all("*", (c) => errorResponse(c, 404, "not_found", "No such Anteroom endpoint."));
  return admin;
}

function settingsJson(
  settings: { perMinute: number; mode: string; sessionMinutes: number | null; version: number },
  defaultSession: number,
) {
  return {
    ratePerMinute: settings.perMinute,
    mode: settings.mode,
    sessionMinutes: settings.sessionMinutes ?? defaultSession,
    version: settings.version,
  };
}

function storeDown(c: Parameters<typeof errorResponse>[0]): Response {
  c.header("Retry-After", "5");
  return c.json(
    { error: { code: "store_unavailable", message: "The store is not answering; nothing was changed." } },
    503,
  );
}
