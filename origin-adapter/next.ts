import { type NextRequest, NextResponse } from "next/server.js";
import { createGuard, DENY_BODY, FAILURE_HEADERS, type GuardOptions } from "./guard.ts";
import type { AdmissionResult } from "./types.ts";

/** The request after {@link anteroom}'s check: `request.anteroom` holds the result. */
export type AnteroomNextRequest = NextRequest & { anteroom?: AdmissionResult };

/**
 * A helper for Next.js middleware (`middleware.ts` / `proxy.ts`): checks the
 * request's Anteroom pass and returns the response to send when it is refused
 * (a redirect to the room, or 403/429), or `undefined` to carry on. Either way
 * it sets `request.anteroom`. Runs on the Edge and Node.js runtimes.
 *
 * @throws {OriginAdapterError} at once on bad options.
 * @example
 * ```ts
 * const guard = anteroom({ jwksUrl: "https://shop.example/__anteroom/jwks.json", onFailure: "redirect", waitingRoomUrl: "https://shop.example" });
 * export async function middleware(request: NextRequest) {
 *   return (await guard(request)) ?? NextResponse.next();
 * }
 * ```
 */
export function anteroom(options: GuardOptions): (request: NextRequest) => Promise<NextResponse | undefined> {
  const guard = createGuard(options);
  return async function anteroom(request) {
    const { result, action } = await guard(request, request.nextUrl.pathname + request.nextUrl.search);
    (request as AnteroomNextRequest).anteroom = result;
    if (action.kind === "continue") return undefined;
    const response =
      action.kind === "redirect"
        ? NextResponse.redirect(action.location, action.status)
        : new NextResponse(DENY_BODY, {
            status: action.status,
            headers: { "content-type": "text/plain; charset=utf-8" },
          });
    for (const [name, value] of Object.entries(FAILURE_HEADERS)) response.headers.set(name, value);
    return response;
  };
}
