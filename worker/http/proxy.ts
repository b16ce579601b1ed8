import { PASS_HEADER } from "../../origin-adapter/contract.ts";
import { log } from "../log.ts";
import { HOST_PREFIX, ROOM_COOKIE_SEPARATOR, TICKET_COOKIE } from "./cookies.ts";

/**
 * Builds the upstream request: the client's method, headers and body, sent to
 * ORIGIN_URL (or, when unset, to the request's own URL, as a Worker on a route
 * does). Only the path and query come from the client, so it can never choose
 * the upstream host; Anteroom's ticket cookie is removed and the pass header is
 * set by the worker alone.
 *
 * @param incoming the request's URL, when the caller has parsed it already
 * @example
 * ```ts
 * const upstream = upstreamRequest(request, new URL("https://origin.internal"), passJwt);
 * ```
 */
export function upstreamRequest(
  request: Request,
  originUrl: URL | null,
  pass: string | null,
  incoming: URL = new URL(request.url),
): Request {
  let target = incoming;
  if (originUrl) {
    target = new URL(originUrl.href);
    // Assigning pathname (never `new URL(path, base)`) keeps "//evil.example/x" a path, not a host.
    const base = originUrl.pathname.replace(/\/$/, "");
    target.pathname = `${base}${incoming.pathname}`;
    target.search = incoming.search;
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  // The constructor copies the client's headers once, and the copy is changed in place: each copy
  // and each change of a header list is a call into the runtime, on every proxied request.
  const upstream = new Request(target.href, {
    method: request.method,
    headers: request.headers,
    body: hasBody ? request.body : null,
    redirect: "manual",
  });
  const headers = upstream.headers;
  if (pass) headers.set(PASS_HEADER, pass);
  else if (headers.has(PASS_HEADER)) headers.delete(PASS_HEADER);
  // Both spellings: the origin never needs a ticket, whichever scheme the browser used. A header
  // that holds neither name goes as the client sent it.
  const sent = headers.get("cookie");
  if (sent?.includes(TICKET_COOKIE)) {
    const cookie = withoutCookies(sent, isTicketCookie);
    if (cookie === null) headers.delete("cookie");
    else headers.set("cookie", cookie);
  } else if (sent === "") headers.delete("cookie");
  if (originUrl) {
    headers.set("x-forwarded-host", incoming.host);
    headers.set("x-forwarded-proto", incoming.protocol.replace(":", ""));
  }
  return upstream;
}

/** A ticket cookie of any room (`anteroom_ticket`, `anteroom_ticket__<room>` with ROOMS), in either spelling. */
function isTicketCookie(name: string): boolean {
  const bare = name.startsWith(HOST_PREFIX) ? name.slice(HOST_PREFIX.length) : name;
  return bare === TICKET_COOKIE || bare.startsWith(`${TICKET_COOKIE}${ROOM_COOKIE_SEPARATOR}`);
}

/** Drops some cookies from a Cookie header, leaving every other pair byte for byte as the client sent it. */
function withoutCookies(header: string | null, drop: (name: string) => boolean): string | null {
  if (!header) return null;
  const kept = header.split(";").filter((pair) => !drop(pair.split("=", 1)[0]?.trim() ?? ""));
  const joined = kept
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "")
    .join("; ");
  return joined === "" ? null : joined;
}

/**
 * Result of forwarding: the origin's response as the fetch returned it (its
 * headers may be immutable: copy them before changing anything), or a value
 * saying it could not be reached.
 */
export type Forwarded =
  | { readonly kind: "response"; readonly response: Response }
  | { readonly kind: "unreachable"; readonly reason: string };

/** How the worker reaches the origin: the platform's fetch, or a stand-in in tests. */
export type Upstream = (request: Request) => Promise<Response>;

/**
 * Sends the upstream request; a network failure becomes a value, not an
 * exception. The response is not copied here: most leave unchanged, and the
 * runtime passes an untouched response on more cheaply than any copy.
 */
export async function forward(upstream: Request, fetcher: Upstream): Promise<Forwarded> {
  try {
    return { kind: "response", response: await fetcher(upstream) };
  } catch (error) {
    return { kind: "unreachable", reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Where {@link forwardTimed} reports how the origin answered (the instance's `RoomLink`). */
export interface OriginRecorder {
  originAnswered(latencyMs: number, error: boolean): void;
}

/**
 * {@link forward}, timed for the autopilot: the time from now (`now`, the
 * runtime's clock) to the response headers, and whether the request failed:
 * a 5xx, a 429, an origin that could not be reached, or no headers within
 * `timeoutMs`. When the timeout passes first, one failure is recorded at
 * that moment (its latency is the timeout) and the late answer is not
 * recorded again; the request is not aborted, so the visitor still gets the
 * origin's answer if it comes. Recording never throws into the request.
 *
 * @example
 * ```ts
 * const forwarded = await forwardTimed(upstream, fetch, Date.now, 10_000, link);
 * ```
 */
export async function forwardTimed(
  upstream: Request,
  fetcher: Upstream,
  now: () => number,
  timeoutMs: number,
  recorder: OriginRecorder,
): Promise<Forwarded> {
  const started = now();
  let waiting = true;
  const timer = setTimeout(() => {
    if (!waiting) return;
    waiting = false;
    recordSafely(recorder, timeoutMs, true);
  }, timeoutMs);
  const forwarded = await forward(upstream, fetcher);
  if (waiting) {
    waiting = false;
    clearTimeout(timer);
    const latencyMs = now() - started;
    const error = forwarded.kind === "unreachable" || failed(forwarded.response.status) || latencyMs >= timeoutMs;
    recordSafely(recorder, latencyMs, error);
  }
  return forwarded;
}

/** The statuses that say the origin is overwhelmed or broken: any 5xx, and 429 (it asks clients to slow down). */
function failed(status: number): boolean {
  return status >= 500 || status === 429;
}

/** The signal is the room's business, not the visitor's: a failure to record it never fails the request. */
function recordSafely(recorder: OriginRecorder, latencyMs: number, error: boolean): void {
  try {
    recorder.originAnswered(latencyMs, error);
  } catch (problem) {
    log({ event: "origin_signal_failed", reason: problem instanceof Error ? problem.message : String(problem) });
  }
}

/** Cache-Control directives that let a shared cache store a response, dropped from a personal one. */
const SHARED_DIRECTIVES: ReadonlySet<string> = new Set(["public", "private", "s-maxage"]);
/** Headers that steer CDNs and other shared caches past Cache-Control (RFC 9213 and its forerunners). */
const SHARED_CACHE_HEADERS = ["cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control"];

/**
 * Marks a proxied response as personal: the worker set, renewed or cleared a
 * pass on it, so no shared cache may keep it and hand that cookie, or a page
 * rendered for this visitor, to someone else. The origin's own directives
 * stay (`max-age`, `no-store`, `must-revalidate`, ...) for the browser's
 * cache, except those that address shared caches (`public`, `s-maxage`, a
 * field-limited `private="..."`, which `private` alone outranks), and headers
 * aimed at CDNs alone are removed.
 *
 * @example
 * ```ts
 * keepPrivate(response.headers); // "public, max-age=600" becomes "private, max-age=600"
 * ```
 */
export function keepPrivate(headers: Headers): void {
  const kept = directivesOf(headers.get("cache-control")).filter(
    (directive) => !SHARED_DIRECTIVES.has(directiveName(directive)),
  );
  headers.set("cache-control", ["private", ...kept].join(", "));
  for (const name of SHARED_CACHE_HEADERS) headers.delete(name);
}

/** The directives of a Cache-Control value, commas inside quoted arguments (`no-cache="a, b"`) respected. */
function directivesOf(value: string | null): string[] {
  if (!value) return [];
  return (value.match(/(?:[^,"]|"(?:[^"\\]|\\.)*"?)+/g) ?? []).map((part) => part.trim()).filter((part) => part !== "");
}

function directiveName(directive: string): string {
  return (directive.split("=", 1)[0] ?? "").trim().toLowerCase();
}
