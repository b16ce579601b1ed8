import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { errorResponse } from "../http/responses.ts";
import { clientName } from "./auth-throttle.ts";

/**
 * Guards the admin API with `Authorization: Bearer <ADMIN_TOKEN>`. With no
 * token configured the whole API does not exist (404, like any unknown path);
 * a wrong or missing token gets 401 and nothing else. With `metrics: true`
 * (only `GET /metrics`), the read-only METRICS_TOKEN is taken as well, and
 * the endpoint exists when either token is set; everywhere else the metrics
 * token is a wrong token. Tokens are compared as
 * SHA-256 digests with the runtime's constant-time comparison, so timing
 * reveals neither content nor length. A client with 10 failures in the last
 * minute on this instance gets 429 with `Retry-After`, before any comparison
 * and whatever token it sends (auth-throttle.ts).
 *
 * @example
 * ```ts
 * admin.use(adminAuth());
 * metrics.get("/", adminAuth({ metrics: true }), handler);
 * ```
 */
export function adminAuth(options: { readonly metrics?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const { config, adminThrottle, gate } = c.var.runtime;
    const accepted = [config.adminToken, options.metrics ? config.metricsToken : null].filter(
      (token): token is string => token !== null,
    );
    if (accepted.length === 0) return errorResponse(c, 404, "not_found", "No such Anteroom endpoint.");
    const client = clientName(c.req.raw);
    const allowance = adminThrottle.allowance(client, gate.now());
    if (allowance.kind === "throttled") {
      c.header("Retry-After", String(allowance.retryAfterSeconds));
      return errorResponse(c, 429, "too_many_attempts", "Too many wrong admin tokens from here; try again later.");
    }
    const header = c.req.header("authorization") ?? "";
    const presented = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    // Every accepted token is compared, so the time taken does not say which one matched.
    const matches = await Promise.all(accepted.map((expected) => sameSecret(presented, expected)));
    if (!matches.includes(true)) {
      adminThrottle.fail(client, gate.now());
      c.header("WWW-Authenticate", 'Bearer realm="anteroom-admin"');
      const wanted = options.metrics
        ? "A valid admin or metrics token is required."
        : "A valid admin token is required.";
      return errorResponse(c, 401, "unauthorized", wanted);
    }
    return next();
  };
}

async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b) && presented.length > 0;
}
