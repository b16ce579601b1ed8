import { RELEASE_HEADER } from "./contract.ts";

/** Anything a response's headers can be set on: Fetch `Headers`, Node/Express `res`, Fastify `reply`, Hono `c`. */
export type ReleaseTarget =
  | { set(name: string, value: string): unknown }
  | { setHeader(name: string, value: string): unknown }
  | { header(name: string, value: string): unknown };

/**
 * Marks a response as the end of the visitor's session (checkout complete,
 * logout), so the waiting room lets the next visitor in without waiting for
 * the session to expire. Call it on the response to a request that came
 * through the worker with a pass.
 *
 * @example
 * ```ts
 * // Express / Node
 * app.post("/checkout", (req, res) => { placeOrder(req); releaseAdmission(res); res.send("Thank you!"); });
 * // Hono
 * app.post("/checkout", (c) => { releaseAdmission(c); return c.text("Thank you!"); });
 * // Fetch API (Next.js route handlers, Workers)
 * const response = new Response("Thank you!"); releaseAdmission(response.headers);
 * ```
 */
export function releaseAdmission(target: ReleaseTarget, reason = "session-complete"): void {
  if (/[\r\n]/.test(reason)) throw new TypeError("releaseAdmission: reason must not contain line breaks");
  // `header` before `set`: Hono's context has both, and its `set` stores a variable, not a header.
  if ("setHeader" in target) target.setHeader(RELEASE_HEADER, reason);
  else if ("header" in target) target.header(RELEASE_HEADER, reason);
  else target.set(RELEASE_HEADER, reason);
}
