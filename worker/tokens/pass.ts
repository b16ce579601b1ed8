import { createLocalJWKSet, SignJWT } from "jose";
import { type AdmissionCode, PASS_ALGORITHM, type PassClaims } from "../../origin-adapter/contract.ts";
import { checkPass } from "../../origin-adapter/pass-check.ts";
import type { Keyring } from "./keyring.ts";
import { MAX_TOKEN_LENGTH } from "./ticket.ts";

/** The claims of an admission pass: the wire contract's, which origins verify with the JWKS. */
export type { PassClaims };

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
  readonly sessionSeconds: number;
}

/**
 * Signs a pass for a visitor.
 *
 * @example
 * ```ts
 * const jwt = await signPass("visitor-id", options, Date.now());
 * ```
 */
export async function signPass(visitorId: string, options: PassOptions, nowMs: number): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ room: options.room })
    .setProtectedHeader({ alg: PASS_ALGORITHM, kid: options.keyring.signing.kid, typ: "JWT" })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(visitorId)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + options.sessionSeconds)
    .setJti(crypto.randomUUID())
    .sign(options.keyring.signing.key);
}

const verifiers = new WeakMap<Keyring, ReturnType<typeof createLocalJWKSet>>();

/**
 * Verifies a pass exactly as an origin's adapter does (ES256 only, a known
 * `kid`, issuer, audience, room, time, every claim of the right type), with
 * no clock tolerance: the worker checks against its own clock. Never throws:
 * every failure is a reason.
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
    clockToleranceSeconds: 0,
    currentDate: new Date(nowMs),
  });
  return checked.ok ? checked : { ok: false, reason: checked.code };
}

/** Sliding session: a pass is re-issued once half its life is gone. */
export function needsRenewal(claims: PassClaims, nowMs: number): boolean {
  return nowMs / 1000 >= claims.iat + (claims.exp - claims.iat) / 2;
}
