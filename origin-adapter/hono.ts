import type { MiddlewareHandler } from "hono";
import { createGuard, DENY_BODY, FAILURE_HEADERS, type GuardOptions } from "./guard.ts";
import type { AdmissionResult } from "./types.ts";

/** Context variables the middleware sets: `c.get("anteroom")` is the verification result. */
export interface AnteroomVariables {
  anteroom: AdmissionResult;
}

/**
 * Hono middleware that admits requests carrying a valid Anteroom pass. Works
 * on every runtime Hono runs on (Node, Workers, Deno, Bun).
 *
 * @throws {OriginAdapterError} at once on bad options.
 * @example
 * ```ts
 * const app = new Hono<{ Variables: AnteroomVariables }>();
 * app.use(anteroom({ jwksUrl: "https://shop.example/__anteroom/jwks.json", onFailure: "redirect", waitingRoomUrl: "https://shop.example" }));
 * app.get("/", (c) => c.text(`hello ${c.var.anteroom.ok ? c.var.anteroom.claims.sub : "stranger"}`));
 * ```
 */
export function anteroom(options: GuardOptions): MiddlewareHandler<{ Variables: AnteroomVariables }> {
  const guard = createGuard(options);
  return async function anteroom(c, next) {
    const url = new URL(c.req.url);
    const { result, action } = await guard(c.req.raw, url.pathname + url.search);
    c.set("anteroom", result);
    if (action.kind === "continue") return next();
    for (const [name, value] of Object.entries(FAILURE_HEADERS)) c.header(name, value);
    return action.kind === "redirect" ? c.redirect(action.location, action.status) : c.text(DENY_BODY, action.status);
  };
}
