import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { adminAuth } from "./auth.ts";
import { metricFamilies } from "./metrics.ts";
import { EXPOSITION_CONTENT_TYPE, exposition } from "./metrics-text.ts";
import { readRoom } from "./reading.ts";

/**
 * `GET /__anteroom/admin/metrics`: the room in Prometheus's text format, for
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
    const reading = await readRoom(runtime);
    const text = exposition(
      metricFamilies({
        rooms: [
          {
            room: runtime.config.room,
            reading: reading.kind === "reading" ? reading : null,
            autopilotDefaults: runtime.gate.room.autopilot,
            fallback: runtime.gate.fallback.counts(),
          },
        ],
        instance: { ...runtime.instance, storeFailures: runtime.storeFailures.counts() },
      }),
    );
    return c.body(text, 200, { "Content-Type": EXPOSITION_CONTENT_TYPE, "Cache-Control": "no-store" });
  });
  return metrics;
}
