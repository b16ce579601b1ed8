import { createLocalJWKSet, errors, jwtVerify, SignJWT } from "jose";
import type { Keyring } from "./keyring.ts";
import { MAX_TOKEN_LENGTH } from "./ticket.ts";

/** The claims of an admission pass: a standard ES256 JWT any origin can verify with the JWKS. */
export interface PassClaims {
  readonly iss: string;
  readonly aud: string;
  /** Visitor id. */
  readonly sub: string;
  readonly room: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly jti: string;
}

/** Why a pass was not accepted. */
export type PassRejection =
  | "oversized"
  | "malformed"
  | "bad_signature"
  | "unknown_key"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "wrong_room";

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
    .setProtectedHeader({ alg: "ES256", kid: options.keyring.signing.kid, typ: "JWT" })
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
 * Verifies a pass: ES256 only (no `none`, no HMAC confusion), known `kid`,
 * issuer, audience, room, time. Never throws: every failure is a reason.
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
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: ["ES256"],
      issuer: options.issuer,
      audience: options.audience,
      currentDate: new Date(nowMs),
      requiredClaims: ["sub", "iat", "nbf", "exp", "jti"],
    });
    if (payload.room !== options.room) return { ok: false, reason: "wrong_room" };
    return { ok: true, claims: payload as unknown as PassClaims };
  } catch (error) {
    return { ok: false, reason: passRejection(error) };
  }
}

/** The one mapping of jose's errors to pass rejections. */
function passRejection(error: unknown): PassRejection {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "nbf":
        return "not_yet_valid";
      case "iss":
        return "wrong_issuer";
      case "aud":
        return "wrong_audience";
      default:
        return "malformed";
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return "unknown_key";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  return "malformed";
}

/** Sliding session: a pass is re-issued once half its life is gone. */
export function needsRenewal(claims: PassClaims, nowMs: number): boolean {
  return nowMs / 1000 >= claims.iat + (claims.exp - claims.iat) / 2;
}
