import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { errorResponse } from "../http/responses.ts";
import { clientName } from "./auth-throttle.ts";

/**
 * Guards the admin API with `Authorization: Bearer <ADMIN_TOKEN>`. With no
 * token configured the whole API does not exist (404, like any unknown path);
 * a wrong or missing token gets 401 and nothing else. Tokens are compared as
 * SHA-256 digests with the runtime's constant-time comparison, so timing
 * reveals neither content nor length. A client with 10 failures in the last
 * minute on this instance gets 429 with `Retry-After`, before any comparison
 * and whatever token it sends (auth-throttle.ts).
 *
 * @example
 * ```ts
 * admin.use(adminAuth());
 * ```
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const { config, adminThrottle, gate } = c.var.runtime;
    const expected = config.adminToken;
    if (!expected) return errorResponse(c, 404, "not_found", "No such Anteroom endpoint.");
    const client = clientName(c.req.raw);
    const allowance = adminThrottle.allowance(client, gate.now());
    if (allowance.kind === "throttled") {
      c.header("Retry-After", String(allowance.retryAfterSeconds));
      return errorResponse(c, 429, "too_many_attempts", "Too many wrong admin tokens from here; try again later.");
    }
    const header = c.req.header("authorization") ?? "";
    const presented = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!(await sameSecret(presented, expected))) {
      adminThrottle.fail(client, gate.now());
      c.header("WWW-Authenticate", 'Bearer realm="anteroom-admin"');
      return errorResponse(c, 401, "unauthorized", "A valid admin token is required.");
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
