import { Hono } from "hono";
import { adminApi } from "./admin/api.ts";
import { metricsApi } from "./admin/metrics-api.ts";
import { dashboard } from "./dashboard/dashboard.ts";
import type { AppEnv } from "./http/app-env.ts";
import { turnstileCheck } from "./http/challenge.ts";
import { jwks } from "./http/jwks.ts";
import { languageChoice } from "./http/language.ts";
import { errorResponse } from "./http/responses.ts";
import { waitingRoom } from "./http/room.ts";
import { status } from "./http/status.ts";
import { log } from "./log.ts";
import { type RuntimeOverrides, runtimeCache, withRuntime } from "./runtime.ts";

/**
 * Builds the Anteroom worker app. Production uses the default export; tests
 * build their own with a store, clock or upstream fetch of their choosing.
 * `runtimeFor` lets the `anteroom()` middleware (middleware.ts) share its runtimes.
 *
 * @example
 * ```ts
 * const app = createApp({ now: () => fakeNow });
 * const res = await app.request("/", {}, env);
 * ```
 */
export function createApp(overrides: RuntimeOverrides = {}, runtimeFor = runtimeCache(overrides)): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const runtime = withRuntime(runtimeFor);
  app.use("/__anteroom/*", runtime);
  app.get("/__anteroom/status", status());
  app.get("/__anteroom/jwks.json", jwks());
  app.post("/__anteroom/turnstile", turnstileCheck());
  app.post("/__anteroom/language", languageChoice());
  // Before the admin API: the metrics also take the read-only METRICS_TOKEN, which opens nothing else.
  app.route("/__anteroom/admin/metrics", metricsApi());
  app.route("/__anteroom/admin", adminApi());
  app.route("/__anteroom/dashboard", dashboard());
  app.all("/__anteroom/*", (c) => errorResponse(c, 404, "not_found", "No such Anteroom endpoint."));
  // Every other path is the room's (most requests are), and its one handler sets the runtime first:
  // Hono calls a path's only handler directly, where a middleware in front costs a composed chain.
  // withRuntime returns what its `next` returns, here the room's response (typed as Hono's Next).
  const room = waitingRoom();
  app.all("*", (c, next) => runtime(c, () => room(c, next) as Promise<void>));
  app.onError((error, c) => {
    // The name and message only: a stack or a request could carry what a log must not.
    log({
      event: "unexpected_error",
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return errorResponse(c, 500, "internal", "Something went wrong in the waiting room.");
  });
  return app;
}

export default createApp() satisfies ExportedHandler<Env>;
