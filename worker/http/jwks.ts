import type { Handler } from "hono";
import type { AppEnv } from "./app-env.ts";

/**
 * `GET /__anteroom/jwks.json`: the public keys passes are signed with, current
 * and previous, for origin adapters. Cached for five minutes: a new key is
 * published well before it signs anything (see the rotation procedure).
 *
 * @example
 * ```ts
 * app.get("/__anteroom/jwks.json", jwks());
 * ```
 */
export function jwks(): Handler<AppEnv> {
  return function jwks(c) {
    c.header("Cache-Control", "public, max-age=300, stale-while-revalidate=60");
    return c.json(c.var.runtime.keyring.jwks);
  };
}
