import { HOST_PASS_COOKIE, HOST_PREFIX, PASS_COOKIE, PASS_HEADER, roomCookieName } from "./contract.ts";
import type { HeadersLike, PassSource } from "./types.ts";

/** Where a pass was found: the worker's header, the browser's cookie, or a token the caller passed in. */
export type PassOrigin = "header" | "cookie" | "token";

/** A raw, unverified pass and where it came from. */
export interface FoundPass {
  readonly token: string;
  readonly from: PassOrigin;
}

/**
 * Finds the raw pass of a request: the `anteroom-pass` header first (set by
 * the worker, which strips any copy the client sent), then the
 * `__Host-anteroom_pass` cookie (what the worker sets on https), then the
 * `anteroom_pass` cookie (plain http), then a room's (`anteroom_pass__<room>`,
 * either spelling: a worker with ROOMS) for the rooms expected, in their
 * order (any room's with `rooms` null). The cookies serve a browser that
 * reaches the origin by another route. Nothing is verified here; an empty
 * value counts as absent. The unprefixed name is accepted on https too: it
 * only has to be a validly signed pass, so a planted one gains nothing.
 *
 * @example
 * ```ts
 * findPass(request)?.token; // "eyJhbGciOiJFUzI1NiIs..."
 * ```
 */
export function findPass(source: PassSource, rooms: ReadonlySet<string> | null = new Set()): FoundPass | null {
  if (source === null || source === undefined) return null;
  if (typeof source === "string") return source === "" ? null : { token: source, from: "token" };
  if (typeof source !== "object" || typeof source.headers !== "object" || source.headers === null) return null;
  const header = headerValue(source.headers, PASS_HEADER);
  if (header) return { token: header, from: "header" };
  const cookies = headerValue(source.headers, "cookie");
  let cookie = cookieValue(cookies, HOST_PASS_COOKIE) || cookieValue(cookies, PASS_COOKIE);
  // A worker with ROOMS names each room's pass cookie after its room: the rooms expected, in order, or any.
  for (const name of rooms === null ? roomPassCookies(cookies) : rooms) {
    if (cookie) break;
    const room = roomCookieName(PASS_COOKIE, name);
    cookie = cookieValue(cookies, `${HOST_PREFIX}${room}`) || cookieValue(cookies, room);
  }
  return cookie ? { token: cookie, from: "cookie" } : null;
}

/**
 * The pass header of a request, if any. A request that carries it came
 * through the worker (which strips the client's copy), or is forged.
 */
export function passHeader(source: PassSource): string {
  if (typeof source !== "object" || source === null || typeof source.headers !== "object") return "";
  return headerValue(source.headers, PASS_HEADER);
}

function headerValue(headers: HeadersLike, name: string): string {
  if (isFetchHeaders(headers)) return headers.get(name) ?? "";
  const value = headers[name];
  // Node gives repeated headers as an array; Fetch joins them with ", ". Either
  // way two passes are no pass: a comma never occurs in a JWT, so the joined
  // form fails as `malformed` later, and an array is joined the same way here.
  if (Array.isArray(value)) return value.join(name === "cookie" ? "; " : ", ");
  return typeof value === "string" ? value : "";
}

function isFetchHeaders(headers: HeadersLike): headers is Headers {
  return typeof (headers as Partial<Headers>).get === "function";
}

/**
 * The value of the first cookie called `name` in a Cookie header (RFC 6265
 * section 4.2: `name=value` pairs separated by `; `). Browsers list cookies
 * with longer paths first, so the first match is the most specific one.
 * Values are not percent-decoded: a JWT never needs it, and decoding would let
 * `%2E` stand in for `.`. Surrounding double quotes are removed, as the RFC
 * allows them around a value.
 *
 * @example
 * ```ts
 * cookieValue("a=1; anteroom_pass=eyJ...; b=2", "anteroom_pass"); // "eyJ..."
 * ```
 */
export function cookieValue(header: string, name: string): string {
  // Split on ";" alone and trim: some clients send ";" without the space.
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return "";
}

/** The rooms whose pass cookies a Cookie header holds (`[__Host-]anteroom_pass__<room>`), in its order. */
function roomPassCookies(header: string): string[] {
  const stem = roomCookieName(PASS_COOKIE, "");
  return header.split(";").flatMap((pair) => {
    const name = pair.slice(0, Math.max(pair.indexOf("="), 0)).trim();
    const bare = name.startsWith(HOST_PREFIX) ? name.slice(HOST_PREFIX.length) : name;
    return bare.startsWith(stem) && bare.length > stem.length ? [bare.slice(stem.length)] : [];
  });
}
