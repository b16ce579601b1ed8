/**
 * Why a request was not admitted. Stable: callers switch on these codes, and
 * new codes are only ever added in a major version.
 *
 * - `missing`: no pass in the `anteroom-pass` header or the `__Host-anteroom_pass` / `anteroom_pass` cookie.
 * - `malformed`: not a pass at all: not a compact JWS, oversized, a queue ticket, claims of the wrong type or missing.
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

/** The claims of a verified admission pass, as the worker signs them. */
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
  /** Expiry, seconds since the epoch (the worker renews passes half-way, so this slides). */
  readonly exp: number;
  /** Unique id of this pass. */
  readonly jti: string;
}

/** The outcome of a verification: plain data, never an exception. */
export type AdmissionResult =
  | { readonly ok: true; readonly claims: PassClaims }
  | { readonly ok: false; readonly code: AdmissionCode };

/**
 * Where a pass may be read from: a token string (or nothing), a Fetch API
 * `Request`, or anything with Node-style or Fetch-style headers (Express,
 * Fastify, Koa, `node:http` requests).
 */
export type PassSource = string | null | undefined | { readonly headers: HeadersLike };

/** Fetch API `Headers`, or a Node-style header object with lower-case names (`IncomingHttpHeaders`). */
export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
