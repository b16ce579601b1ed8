import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { errorResponse } from "../http/responses.ts";

/**
 * Guards the admin API with `Authorization: Bearer <ADMIN_TOKEN>`. With no
 * token configured the whole API does not exist (404, like any unknown path);
 * a wrong or missing token gets 401 and nothing else. Tokens are compared as
 * SHA-256 digests with the runtime's constant-time comparison, so timing
 * reveals neither content nor length.
 *
 * @example
 * ```ts
 * admin.use(adminAuth());
 * ```
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const expected = c.var.runtime.config.adminToken;
    if (!expected) return errorResponse(c, 404, "not_found", "No such Anteroom endpoint.");
    const header = c.req.header("authorization") ?? "";
    const presented = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!(await sameSecret(presented, expected))) {
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
