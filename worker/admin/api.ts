import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../http/app-env.ts";
import { errorResponse } from "../http/responses.ts";
import { unknownRoom } from "../http/room-asked.ts";
import { log } from "../log.ts";
import { activeCap } from "../model/active.ts";
import type { Settings } from "../model/admission.ts";
import type { AutopilotSettings } from "../model/autopilot.ts";
import type { Runtime } from "../runtime.ts";
import { adminAuth } from "./auth.ts";
import { checkNewEvent, eventJson } from "./events.ts";
import { historyRange, historyReport, rowsToRead } from "./history.ts";
import { boundedProblems } from "./problems.ts";
import { readRoom } from "./reading.ts";
import { checkSettingsPatch, invertedBounds } from "./settings.ts";
import { autopilotInForce, roomStats } from "./stats.ts";

/**
 * The operator API under `/__anteroom/admin/`: the rooms (`GET /rooms`), and
 * each room's stats (with the autopilot's view), per-minute history of the
 * last 48 hours, live settings (with the autopilot's switch and limits) and
 * events, under `/rooms/NAME/` and, for the first room, directly (as before ROOMS).
 * Every answer is JSON and `no-store`; a store outage is a 503 with
 * `store_unavailable`, and a rejected change leaves the running settings
 * untouched. Bodies are limited to {@link MAX_BODY_BYTES} (413), and a
 * refusal lists at most 20 problems (problems.ts), so no answer grows with
 * what a client sends.
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
  admin.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        errorResponse(
          c,
          413,
          "body_too_large",
          `The body is larger than ${MAX_BODY_BYTES} bytes; nothing was changed.`,
        ),
    }),
  );

  admin.get("/rooms", async (c) => {
    const rooms = await Promise.all(c.var.runtime.deployment.rooms.map((room) => roomSummary(room)));
    return c.json({ rooms, at: new Date(c.var.runtime.gate.now()).toISOString() });
  });
  // The same endpoints for every room by name; without a name, for the first room (as before ROOMS).
  const perRoom = roomEndpoints();
  admin.use("/rooms/:name/*", namedRoom());
  admin.route("/rooms/:name", perRoom);
  admin.route("/", perRoom);
  admin.all("*", (c) => errorResponse(c, 404, "not_found", "No such Anteroom endpoint."));
  return admin;
}

/**
 * Middleware of `/__anteroom/admin/rooms/:name/...`: puts the named room's
 * runtime on the context, so the room's endpoints (the same handlers as the
 * first room's) answer for it; an unknown name is a 404 naming it. Endpoints
 * added to {@link roomEndpoints} get both addresses.
 */
function namedRoom(): MiddlewareHandler<AppEnv> {
  return async function namedRoom(c, next) {
    const name = c.req.param("name") ?? "";
    const runtime = c.var.runtime.deployment.named(name);
    if (!runtime) return unknownRoom(c, name);
    c.set("runtime", runtime);
    return next();
  };
}

/** One room's line in `GET /rooms`: its matching and its live figures (or that the store did not answer). */
async function roomSummary(runtime: Runtime) {
  const { gate, config } = runtime;
  const matching = { room: config.room, hosts: config.hosts, paths: config.queuePaths, queueing: config.queueing };
  const [tick, history] = await Promise.all([
    gate.store.tick(gate.room, { witness: gate.link.witness() }),
    gate.store.history(gate.room),
  ]);
  if (tick.kind === "unavailable" || history.kind === "unavailable") {
    return { ...matching, error: { code: "store_unavailable" } };
  }
  gate.link.observe(tick.state, tick.settings);
  const stats = roomStats({
    room: config.room,
    state: tick.state,
    settings: tick.settings,
    history: history.minutes,
    autopilot: null,
    autopilotDefaults: gate.room.autopilot,
    defaultSessionMinutes: config.sessionSeconds / 60,
    maxActive: config.maxActive,
    storeFailures: runtime.storeFailures.counts(),
    now: tick.state.updatedAt,
  });
  return {
    ...matching,
    mode: stats.mode,
    ratePerMinute: stats.ratePerMinute,
    queueLength: stats.queueLength,
    activeVisitors: stats.activeVisitors,
    maxActive: stats.maxActive,
    admittedLastMinute: stats.admittedLastMinute,
    admittedTotal: stats.admittedTotal,
    etaSecondsForNewcomer: stats.etaSecondsForNewcomer,
  };
}

/**
 * One room's endpoints: stats, events, settings. They read the room from the
 * context (`c.var.runtime`), which is the first room under
 * `/__anteroom/admin/` and the named one under `/__anteroom/admin/rooms/NAME/`.
 */
function roomEndpoints(): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();

  admin.get("/stats", async (c) => {
    // The autopilot's reading is read alongside; without it the stats still answer (no origin figures).
    const reading = await readRoom(c.var.runtime);
    if (reading.kind === "unavailable") {
      // What this instance saw is known without the store, and says whether it is down or broken.
      return storeDown(c, { storeFailures: c.var.runtime.storeFailures.counts() });
    }
    const { events, now } = reading;
    const upcoming = events.map((e) => eventJson(events, e, now)).filter((e) => e.phase !== "over");
    return c.json({ ...reading.stats, events: upcoming });
  });

  admin.get("/history", async (c) => {
    const { gate, config } = c.var.runtime;
    const range = historyRange({ from: c.req.query("from"), to: c.req.query("to") }, gate.now());
    if (!range.ok) {
      return c.json({ error: { code: "invalid_range", message: range.message, parameter: range.parameter } }, 400);
    }
    const read = await gate.store.history(gate.room, rowsToRead(range.from, range.to));
    if (read.kind === "unavailable") return storeDown(c);
    const report = historyReport({
      ...range,
      rows: read.minutes,
      current: read.current,
      now: read.now,
      offerMs: config.offerSeconds * 1000,
    });
    return c.json({ room: config.room, ...report });
  });

  admin.get("/events", async (c) => {
    const { gate } = c.var.runtime;
    const read = await gate.store.events(gate.room);
    if (read.kind === "unavailable") return storeDown(c);
    const now = gate.now();
    return c.json({ events: read.events.map((e) => eventJson(read.events, e, now)), at: new Date(now).toISOString() });
  });

  admin.post("/events", async (c) => {
    const body = await jsonBody(c.req.raw);
    if (body === INVALID_JSON) {
      return c.json({ error: { code: "invalid_json", message: "The body is not valid JSON." } }, 400);
    }
    const { gate } = c.var.runtime;
    const id = `ev_${crypto.randomUUID().slice(0, 8)}`;
    // Compare-and-set: a concurrent change makes the write fail, and the check runs again on the new list.
    for (let attempt = 0; attempt < 3; attempt++) {
      const read = await gate.store.events(gate.room);
      if (read.kind === "unavailable") return storeDown(c);
      const now = gate.now();
      const check = checkNewEvent(body, read.events, now, id);
      if (!check.ok) return refused(c, "invalid_event", check.problems);
      const written = await gate.store.writeEvents(gate.room, read.version, check.next);
      if (written.kind === "unavailable") return storeDown(c);
      if (written.kind === "written") {
        const event = { ...check.event, seq: written.seq };
        const shown = eventJson(check.next, event, now);
        log({
          event: "event_scheduled",
          room: gate.room.room,
          id: shown.id,
          startsAt: shown.startsAt ?? "",
          endsAt: shown.endsAt,
          prequeueFrom: shown.prequeueFrom,
          ratePerMinute: shown.ratePerMinute,
          mode: shown.mode,
        });
        return c.json({ event: shown }, 201);
      }
    }
    return c.json({ error: { code: "conflict", message: "The schedule kept changing; try again." } }, 409);
  });

  admin.delete("/events/:id", async (c) => {
    const { gate } = c.var.runtime;
    const id = c.req.param("id");
    for (let attempt = 0; attempt < 3; attempt++) {
      const read = await gate.store.events(gate.room);
      if (read.kind === "unavailable") return storeDown(c);
      if (!read.events.some((e) => e.id === id)) {
        return errorResponse(c, 404, "event_not_found", `No scheduled event ${JSON.stringify(id)}.`);
      }
      const next = read.events.filter((e) => e.id !== id);
      const written = await gate.store.writeEvents(gate.room, read.version, next);
      if (written.kind === "unavailable") return storeDown(c);
      if (written.kind === "written") {
        log({ event: "event_deleted", room: gate.room.room, id });
        return c.json({ deleted: id });
      }
    }
    return c.json({ error: { code: "conflict", message: "The schedule kept changing; try again." } }, 409);
  });

  admin.get("/settings", async (c) => {
    const { gate } = c.var.runtime;
    const tick = await gate.store.tick(gate.room, { witness: gate.link.witness() });
    if (tick.kind === "unavailable") return storeDown(c);
    const { config } = c.var.runtime;
    return c.json(settingsJson(tick.settings, config.sessionSeconds / 60, config.maxActive, gate.room.autopilot));
  });

  admin.patch("/settings", async (c) => {
    const body = await jsonBody(c.req.raw);
    if (body === INVALID_JSON) {
      return c.json({ error: { code: "invalid_json", message: "The body is not valid JSON." } }, 400);
    }
    const check = checkSettingsPatch(body);
    if (!check.ok) return refused(c, "invalid_settings", check.problems);
    const { gate } = c.var.runtime;
    if (check.patch.autopilotMinRate !== undefined || check.patch.autopilotMaxRate !== undefined) {
      // One bound given: the other is the one in force, read first. (Two operators changing one
      // bound each at the same moment can still cross them; the controller then keeps to the max.)
      const tick = await gate.store.tick(gate.room, { witness: gate.link.witness() });
      if (tick.kind === "unavailable") return storeDown(c);
      const inverted = invertedBounds(
        check.patch,
        autopilotInForce(tick.settings, gate.room.autopilot),
        gate.room.autopilot,
      );
      if (inverted) return refused(c, "invalid_settings", [inverted]);
    }
    const outcome = await gate.store.updateSettings(gate.room, check.patch);
    if (outcome.kind === "unavailable") return storeDown(c);
    log({
      event: "settings_changed",
      room: gate.room.room,
      changed: { ...check.patch },
      version: outcome.settings.version,
    });
    // This instance's polls far from the frontier ask the store again at once (a higher rate may reach them).
    gate.link.settingsChanged();
    const { config } = c.var.runtime;
    return c.json(settingsJson(outcome.settings, config.sessionSeconds / 60, config.maxActive, gate.room.autopilot));
  });

  return admin;
}

/**
 * The settings as PATCH takes them, so a client can write back what it read
 * (maxActive 0: no cap). The autopilot's fields are the values in force; null
 * where neither the store nor the config knows one (writing null back keeps
 * the default).
 */
function settingsJson(
  settings: Settings,
  defaultSession: number,
  defaultMaxActive: number,
  autopilotDefaults: AutopilotSettings | undefined,
) {
  const autopilot = autopilotInForce(settings, autopilotDefaults);
  return {
    ratePerMinute: settings.perMinute,
    mode: settings.mode,
    sessionMinutes: settings.sessionMinutes ?? defaultSession,
    maxActive: activeCap(settings.maxActive, defaultMaxActive),
    autopilot: autopilot?.on ? ("on" as const) : ("off" as const),
    autopilotMinRate: autopilot?.minRate ?? null,
    autopilotMaxRate: autopilot?.maxRate ?? null,
    originTargetP95Ms: autopilot?.targetP95Ms ?? null,
    originMaxErrorRate: autopilot?.maxErrorRate ?? null,
    originTimeoutMs: autopilot?.timeoutMs ?? null,
    version: settings.version,
  };
}

/** Largest request body the admin API reads: its bodies are a few fields. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A refused change: 400 with at most 20 problems and the count of the rest (`moreProblems`). */
function refused(c: Parameters<typeof errorResponse>[0], code: string, problems: readonly string[]): Response {
  const bounded = boundedProblems(problems);
  const more = bounded.more > 0 ? { moreProblems: bounded.more } : {};
  return c.json({ error: { code, message: bounded.message, problems: bounded.problems, ...more } }, 400);
}

const INVALID_JSON = Symbol("invalid JSON");

async function jsonBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    return INVALID_JSON;
  }
}

function storeDown(c: Parameters<typeof errorResponse>[0], extra: Record<string, unknown> = {}): Response {
  c.header("Retry-After", "5");
  return c.json(
    { error: { code: "store_unavailable", message: "The store is not answering; nothing was changed." }, ...extra },
    503,
  );
}
