import type { Runtime } from "../runtime.ts";

/** Hono typing shared by every handler: bindings from wrangler, plus the per-instance runtime. */
export interface AppEnv {
  Bindings: Env;
  Variables: { runtime: Runtime };
}
