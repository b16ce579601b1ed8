import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { adminAuth } from "./auth.ts";
import { metricFamilies } from "./metrics.ts";
import { EXPOSITION_CONTENT_TYPE, exposition } from "./metrics-text.ts";
import { readRoom } from "./reading.ts";

/**
 * `GET /__anteroom/admin/metrics`: every room (ROOMS) in Prometheus's text format, for
 * a scraper holding the admin token or the read-only METRICS_TOKEN (bearer).
 * Always 200 with what is known: a store that cannot answer shows as
 * `anteroom_store_up 0` beside this instance's own counters, since a scrape
 * that fails says less than one that says the store is down.
 *
 * @example
 * ```ts
 * app.route("/__anteroom/admin/metrics", metricsApi());
 * ```
 */
export function metricsApi(): Hono<AppEnv> {
  const metrics = new Hono<AppEnv>();
  metrics.get("/", adminAuth({ metrics: true }), async function metricsHandler(c) {
    const runtime = c.var.runtime;
    // Every room of the deployment, one scrape: each room's figures carry its `room` label.
    const rooms = await Promise.all(
      runtime.deployment.rooms.map(async (room) => {
        const reading = await readRoom(room);
        return {
          room: room.config.room,
          reading: reading.kind === "reading" ? reading : null,
          autopilotDefaults: room.gate.room.autopilot,
          fallback: room.gate.fallback.counts(),
          rejected: room.gate.link.rejectedCount(),
        };
      }),
    );
    const text = exposition(
      metricFamilies({
        rooms,
        instance: { ...runtime.instance, storeFailures: runtime.storeFailures.counts() },
      }),
    );
    return c.body(text, 200, { "Content-Type": EXPOSITION_CONTENT_TYPE, "Cache-Control": "no-store" });
  });
  return metrics;
}
