import { PASS_HEADER } from "../../origin-adapter/contract.ts";
import { HOST_PREFIX, TICKET_COOKIE } from "./cookies.ts";

/**
 * Builds the upstream request: the client's method, headers and body, sent to
 * ORIGIN_URL (or, when unset, to the request's own URL, as a Worker on a route
 * does). Only the path and query come from the client, so it can never choose
 * the upstream host; Anteroom's ticket cookie is removed and the pass header is
 * set by the worker alone.
 *
 * @example
 * ```ts
 * const upstream = upstreamRequest(request, new URL("https://origin.internal"), passJwt);
 * ```
 */
export function upstreamRequest(request: Request, originUrl: URL | null, pass: string | null): Request {
  const incoming = new URL(request.url);
  let target = incoming;
  if (originUrl) {
    target = new URL(originUrl.href);
    // Assigning pathname (never `new URL(path, base)`) keeps "//evil.example/x" a path, not a host.
    const base = originUrl.pathname.replace(/\/$/, "");
    target.pathname = `${base}${incoming.pathname}`;
    target.search = incoming.search;
  }
  const headers = new Headers(request.headers);
  headers.delete(PASS_HEADER);
  if (pass) headers.set(PASS_HEADER, pass);
  // Both spellings: the origin never needs a ticket, whichever scheme the browser used.
  const cookie = withoutCookies(headers.get("cookie"), [TICKET_COOKIE, `${HOST_PREFIX}${TICKET_COOKIE}`]);
  if (cookie) headers.set("cookie", cookie);
  else headers.delete("cookie");
  if (originUrl) {
    headers.set("x-forwarded-host", incoming.host);
    headers.set("x-forwarded-proto", incoming.protocol.replace(":", ""));
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(target.href, {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: "manual",
  });
}

/** Drops some cookies from a Cookie header, leaving every other pair byte for byte as the client sent it. */
function withoutCookies(header: string | null, names: readonly string[]): string | null {
  if (!header) return null;
  const kept = header.split(";").filter((pair) => !names.includes(pair.split("=", 1)[0]?.trim() ?? ""));
  const joined = kept
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "")
    .join("; ");
  return joined === "" ? null : joined;
}

/** Result of forwarding: the origin's response, or a value saying it could not be reached. */
export type Forwarded =
  | { readonly kind: "response"; readonly response: Response }
  | { readonly kind: "unreachable"; readonly reason: string };

/** How the worker reaches the origin: the platform's fetch, or a stand-in in tests. */
export type Upstream = (request: Request) => Promise<Response>;

/** Sends the upstream request; a network failure becomes a value, not an exception. */
export async function forward(upstream: Request, fetcher: Upstream): Promise<Forwarded> {
  try {
    const response = await fetcher(upstream);
    // A fresh Response has mutable headers, so the room can add its cookies.
    return { kind: "response", response: new Response(response.body, response) };
  } catch (error) {
    return { kind: "unreachable", reason: error instanceof Error ? error.message : String(error) };
  }
}
