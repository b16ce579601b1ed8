/**
 * The wire contract between the Anteroom worker and the origins behind it:
 * every name and shape both sides use, defined once. The worker imports it
 * from here (this adapter is published on its own and depends on jose alone,
 * so the dependency points this way). How a pass is checked, and which code
 * each failure gets, is the other half of the contract: `pass-check.ts`.
 */

/** Request header the worker sets to the pass it admitted the request with (after removing any copy the client sent). */
export const PASS_HEADER = "anteroom-pass";

/**
 * Response header that ends the visitor's session in the waiting room at once
 * (early release): the Anteroom worker in front of the origin frees the
 * visitor's place among the active visitors (MAX_ACTIVE), clears their pass,
 * and refuses that pass from then on. The worker removes the header, so
 * browsers never see it. Any value works; a short reason helps in logs.
 */
export const RELEASE_HEADER = "anteroom-release";

/** Cookie the browser holds the pass in on plain http, e.g. local development. */
export const PASS_COOKIE = "anteroom_pass";

/**
 * The prefix the worker gives its cookies on https. Browsers only accept it
 * with Secure, Path=/ and no Domain, so no other host can set or shadow the cookie.
 */
export const HOST_PREFIX = "__Host-";

/** The pass cookie on https: `__Host-` prefixed, so only the room's own host can have set it. */
export const HOST_PASS_COOKIE = `${HOST_PREFIX}${PASS_COOKIE}`;

/**
 * With several rooms (the worker's ROOMS), each room's cookies carry its name
 * after this separator (`anteroom_pass__shop`, `__Host-anteroom_pass__shop`),
 * so a browser holds a ticket or a pass in several rooms at once. A worker
 * without ROOMS uses the bare names.
 */
export const ROOM_COOKIE_SEPARATOR = "__";

/**
 * A cookie's name for one room: the bare name for the one room of a
 * deployment without ROOMS (`room` null), else suffixed with the room.
 *
 * @example
 * ```ts
 * roomCookieName(PASS_COOKIE, "shop"); // "anteroom_pass__shop"
 * roomCookieName(PASS_COOKIE, null); // "anteroom_pass"
 * ```
 */
export function roomCookieName(name: string, room: string | null): string {
  return room === null ? name : `${name}${ROOM_COOKIE_SEPARATOR}${room}`;
}

/** The origin adapter's `room` option that accepts a pass of any room the worker serves. */
export const ANY_ROOM = "*";

/** The `typ` of the room's queue tickets, which are JWTs too: never a pass. */
export const TICKET_TYP = "anteroom-ticket+jwt";

/** The one algorithm passes are signed with: pinning it rules out `none` and HMAC-with-the-public-key confusion. */
export const PASS_ALGORITHM = "ES256";

/** The claims of an admission pass, as the worker signs them: a standard ES256 JWT any origin can verify with the JWKS. */
export interface PassClaims {
  /** Issuer: the worker's PASS_ISSUER. */
  readonly iss: string;
  /** Audience: the worker's PASS_AUDIENCE. */
  readonly aud: string;
  /** Visitor id: stable for one browser across its passes. */
  readonly sub: string;
  /** The room that admitted the visitor. */
  readonly room: string;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Not before, seconds since the epoch. */
  readonly nbf: number;
  /**
   * Expiry, seconds since the epoch. The worker renews passes half-way, so this
   * slides, but never past `adm` + the session maximum (SESSION_MAX_MINUTES).
   */
  readonly exp: number;
  /** Unique id of this pass. */
  readonly jti: string;
  /**
   * Admission time, seconds since the epoch: when the visitor was let in,
   * carried unchanged through every renewal, so a session has an end however
   * busy it is. Absent from passes signed before the claim existed; a check
   * then counts from `iat`.
   */
  readonly adm?: number;
  /**
   * Client binding (PASS_BINDING): a hash of the network or browser the
   * visitor was admitted from, the same hint a queue ticket's `cb` carries.
   * The worker refuses a pass presented by another client; origins need not
   * look at it. Absent when passes are not bound.
   */
  readonly cb?: string;
}

/**
 * The longest a session lasts by default, in minutes: the worker's
 * SESSION_MAX_MINUTES and the origin adapter's `maxSessionSeconds` (x 60)
 * unless set. No pass the worker signs lives past `adm` + this.
 */
export const DEFAULT_SESSION_MAX_MINUTES = 60;

/**
 * Why a request was not admitted. Stable: callers switch on these codes, and
 * new codes are only ever added in a major version.
 *
 * - `missing`: no pass in the `anteroom-pass` header or the `__Host-anteroom_pass` / `anteroom_pass` cookie.
 * - `malformed`: not a pass at all: not a compact JWS, oversized, a queue ticket, no `kid`, claims of the wrong type or missing,
 *   or a lifetime no worker signs (`exp` more than the session maximum after `adm`, or `iat` when there is no `adm`).
 * - `bad_signature`: the signature does not verify, or the algorithm is not ES256 (`none`, HS256, ...).
 * - `expired`: `exp` has passed (beyond the clock tolerance).
 * - `not_yet_valid`: `nbf` is in the future (beyond the clock tolerance).
 * - `wrong_issuer`, `wrong_audience`, `wrong_room`: a genuine token meant for someone else.
 * - `unknown_key`: signed with a key the key source does not publish (removed after rotation, or forged `kid`).
 * - `jwks_unavailable`: the remote JWKS could not be fetched in time; nothing is known about the pass.
 */
export type AdmissionCode =
  | "missing"
  | "malformed"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "wrong_room"
  | "unknown_key"
  | "jwks_unavailable";

/** Every {@link AdmissionCode}, for exhaustive tests and metrics labels. */
export const ADMISSION_CODES: readonly AdmissionCode[] = Object.freeze([
  "missing",
  "malformed",
  "bad_signature",
  "expired",
  "not_yet_valid",
  "wrong_issuer",
  "wrong_audience",
  "wrong_room",
  "unknown_key",
  "jwks_unavailable",
]);
