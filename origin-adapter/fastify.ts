import type { onRequestAsyncHookHandler } from "fastify";
import { createGuard, DENY_BODY, FAILURE_HEADERS, type GuardOptions } from "./guard.ts";
import type { AdmissionResult } from "./types.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by Anteroom's hook: the verification result of this request's pass. */
    anteroom?: AdmissionResult;
  }
}

/**
 * A Fastify `onRequest` hook that admits requests carrying a valid Anteroom
 * pass and sets `request.anteroom`. `onRequest` runs before the body is read,
 * so a refused request costs no parsing.
 *
 * @throws {OriginAdapterError} at once on bad options.
 * @example
 * ```ts
 * const app = Fastify();
 * app.addHook("onRequest", anteroom({ jwksUrl: "https://shop.example/__anteroom/jwks.json", onFailure: "redirect", waitingRoomUrl: "https://shop.example" }));
 * app.get("/", async (request) => `hello ${request.anteroom?.ok ? request.anteroom.claims.sub : "stranger"}`);
 * ```
 */
export function anteroom(options: GuardOptions): onRequestAsyncHookHandler {
  const guard = createGuard(options);
  return async function anteroom(request, reply) {
    const { result, action } = await guard(request, request.url);
    request.anteroom = result;
    if (action.kind === "continue") return;
    reply.code(action.status).headers(FAILURE_HEADERS);
    // Returning the reply after send() tells Fastify the hook answered the request.
    if (action.kind === "redirect") return reply.redirect(action.location, action.status);
    return reply.type("text/plain; charset=utf-8").send(DENY_BODY);
  };
}
