import type { Runtime } from "../runtime.ts";

/**
 * Hono typing shared by every handler: bindings from wrangler, plus the
 * per-instance runtime and, in the `anteroom()` middleware, the admitted
 * visitor's pass (a JWT) for the app's own routes.
 */
export interface AppEnv {
  Bindings: Env;
  Variables: { runtime: Runtime; anteroomPass?: string };
}
