import { createLocalJWKSet, SignJWT } from "jose";
import {
  type AdmissionCode,
  DEFAULT_SESSION_MAX_MINUTES,
  PASS_ALGORITHM,
  type PassClaims,
} from "../../origin-adapter/contract.ts";
import { checkPass } from "../../origin-adapter/pass-check.ts";
import type { Keyring } from "./keyring.ts";
import { MAX_TOKEN_LENGTH } from "./ticket.ts";

/** The claims of an admission pass: the wire contract's, which origins verify with the JWKS. */
export type { PassClaims };
/** SESSION_MAX_MINUTES's default: the wire contract's, which the origin adapter defaults to as well. */
export { DEFAULT_SESSION_MAX_MINUTES };

/**
 * Why a pass was not accepted: the origin adapter's code for it (the same
 * check runs on both sides, see origin-adapter/pass-check.ts), or `oversized`
 * for a token longer than any the worker reads from a cookie.
 * `jwks_unavailable` cannot occur here: the worker's keys are local.
 */
export type PassRejection = "oversized" | Exclude<AdmissionCode, "missing">;

export type PassRead =
  | { readonly ok: true; readonly claims: PassClaims }
  | { readonly ok: false; readonly reason: PassRejection };

/** Settings of pass signing and checking. */
export interface PassOptions {
  readonly keyring: Keyring;
  readonly issuer: string;
  readonly audience: string;
  readonly room: string;
  /** How long one pass lives; renewal half-way slides it, up to {@link PassOptions.maxSessionSeconds}. */
  readonly sessionSeconds: number;
  /**
   * The absolute end of a session (SESSION_MAX_MINUTES), seconds after the
   * admission: no pass, renewed or not, lives past it, and a pass claiming a
   * longer session is refused. Default: the contract's default, 3600.
   */
  readonly maxSessionSeconds?: number;
  /**
   * Whether passes are bound to the client they were issued to (PASS_BINDING
   * other than `none`): the gate then compares the pass's `cb` with the
   * requester's hint on every request. Default false.
   */
  readonly bound?: boolean;
}

/**
 * What a pass carries over from the admission it continues: the admission
 * time and the client hint, unchanged by renewal.
 */
export interface PassSession {
  /** When the visitor was admitted, seconds since the epoch. */
  readonly admittedAt: number;
  /** The client the pass is bound to (PASS_BINDING), or null when unbound. */
  readonly hint: string | null;
}

const DEFAULT_MAX_SESSION_SECONDS = DEFAULT_SESSION_MAX_MINUTES * 60;

/** A session that starts now: a visitor just admitted, bound to `hint` when passes are bound. */
export function newSession(nowMs: number, hint: string | null = null): PassSession {
  return { admittedAt: Math.floor(nowMs / 1000), hint };
}

/** The session a pass continues; a pass signed before `adm` existed counts from its own issue time. */
export function sessionOf(claims: PassClaims): PassSession {
  return { admittedAt: claims.adm ?? claims.iat, hint: claims.cb ?? null };
}

/**
 * How long a pass signed at `nowMs` for `session` lives, in seconds: the
 * session length, cut short at the session's absolute end. Zero or less
 * when that end has come.
 */
export function passLifetimeSeconds(options: PassOptions, session: PassSession, nowMs: number): number {
  return Math.min(options.sessionSeconds, sessionEnd(session, options) - Math.floor(nowMs / 1000));
}

/** When a session ends for good, seconds since the epoch: its admission plus SESSION_MAX_MINUTES. */
function sessionEnd(session: PassSession, options: Pick<PassOptions, "maxSessionSeconds">): number {
  return session.admittedAt + (options.maxSessionSeconds ?? DEFAULT_MAX_SESSION_SECONDS);
}

/**
 * Signs a pass for a visitor: a new session by default, or the renewal of
 * `session`, which keeps its admission time and client hint and never lives
 * past the session's absolute end ({@link passLifetimeSeconds}).
 *
 * @example
 * ```ts
 * const jwt = await signPass("visitor-id", options, Date.now());
 * const renewed = await signPass(claims.sub, options, Date.now(), sessionOf(claims));
 * ```
 */
export async function signPass(
  visitorId: string,
  options: PassOptions,
  nowMs: number,
  session: PassSession = newSession(nowMs),
): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  const bound = session.hint === null ? {} : { cb: session.hint };
  return (
    new SignJWT({ room: options.room, adm: session.admittedAt, ...bound })
      .setProtectedHeader({ alg: PASS_ALGORITHM, kid: options.keyring.signing.kid, typ: "JWT" })
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setSubject(visitorId)
      // Never issued before its admission: a renewal signed on a clock behind the admitting instance's
      // would otherwise carry adm > iat, which every verifier refuses as a lifetime no worker signs.
      .setIssuedAt(Math.max(now, session.admittedAt))
      .setNotBefore(now)
      .setExpirationTime(now + passLifetimeSeconds(options, session, nowMs))
      .setJti(crypto.randomUUID())
      .sign(options.keyring.signing.key)
  );
}

const verifiers = new WeakMap<Keyring, ReturnType<typeof createLocalJWKSet>>();

/**
 * How far (seconds) a pass's `nbf` may be ahead of this instance's clock: a
 * pass signed by another instance whose clock is ahead is good at once, not
 * "not yet valid" (and its holder sent back through the gate). 60 covers two
 * instances each 30 s off the other way. Expiry gets no tolerance: a pass
 * ends on this instance's clock.
 */
export const PASS_NBF_TOLERANCE_SECONDS = 60;

/**
 * Verifies a pass exactly as an origin's adapter does (ES256 only, a known
 * `kid`, issuer, audience, room, time, every claim of the right type), with
 * a tolerance for `nbf` only ({@link PASS_NBF_TOLERANCE_SECONDS}): the
 * worker checks expiry against its own clock. Never throws: every failure is
 * a reason.
 *
 * @example
 * ```ts
 * const read = await readPass(cookie, options, Date.now());
 * if (read.ok) read.claims.sub;
 * ```
 */
export async function readPass(token: string, options: PassOptions, nowMs: number): Promise<PassRead> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "oversized" };
  let keys = verifiers.get(options.keyring);
  if (!keys) {
    keys = createLocalJWKSet(options.keyring.jwks);
    verifiers.set(options.keyring, keys);
  }
  const checked = await checkPass(token, keys, {
    issuer: options.issuer,
    audience: options.audience,
    rooms: new Set([options.room]),
    clockToleranceSeconds: PASS_NBF_TOLERANCE_SECONDS,
    maxSessionSeconds: options.maxSessionSeconds ?? DEFAULT_MAX_SESSION_SECONDS,
    currentDate: new Date(nowMs),
  });
  if (!checked.ok) return { ok: false, reason: checked.code };
  // jose's tolerance covers `exp` too; here a pass expires on this clock, as jose checks it without one.
  return checked.claims.exp <= Math.floor(nowMs / 1000) ? { ok: false, reason: "expired" } : checked;
}

/**
 * Sliding session: a pass is re-issued once half its life is gone, unless it
 * already lasts to the session's absolute end, where a renewal would add
 * nothing (after that end the visitor goes through the gate again).
 */
export function needsRenewal(
  claims: PassClaims,
  nowMs: number,
  options: Pick<PassOptions, "maxSessionSeconds"> = {},
): boolean {
  if (claims.exp >= sessionEnd(sessionOf(claims), options)) return false;
  return nowMs / 1000 >= claims.iat + (claims.exp - claims.iat) / 2;
}
