import { decodeProtectedHeader, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { type AdmissionCode, PASS_ALGORITHM, type PassClaims, TICKET_TYP } from "./contract.ts";
import { JwksUnavailable } from "./key-source.ts";

/** Longest accepted pass. A real one is about 450 characters; the limit is checked before any parsing or crypto. */
export const MAX_PASS_LENGTH = 8192;

const ALGORITHMS = [PASS_ALGORITHM];
const REQUIRED_CLAIMS = ["sub", "iat", "nbf", "exp", "jti"];

/** What a pass must match besides its signature. */
export interface PassExpectations {
  readonly issuer: string;
  readonly audience: string;
  /** Rooms whose passes admit; null: any room. */
  readonly rooms: ReadonlySet<string> | null;
  /** Allowed clock difference for `nbf` and `exp`, seconds. */
  readonly clockToleranceSeconds: number;
  /**
   * Longest session a pass may grant, seconds: `exp` at most this long after
   * the admission (`adm`, else `iat`). The worker never signs a longer one,
   * so a pass beyond it was signed by someone else or by a misconfigured room.
   */
  readonly maxSessionSeconds: number;
  /** The time to check against; unset: now. */
  readonly currentDate?: Date;
}

/** A checked pass: its claims, or the stable code of why it is refused. */
export type PassCheck =
  | { readonly ok: true; readonly claims: PassClaims }
  | { readonly ok: false; readonly code: Exclude<AdmissionCode, "missing"> };

/**
 * The one check of a pass token, run by the origin adapter's verifier and by
 * the worker alike, so both give any token the same code. Cheap checks come
 * first, so nothing oversized or obviously foreign reaches crypto or a JWKS
 * endpoint. Never throws.
 *
 * @param keys resolves the token's `kid` to a public key (jose's local or remote JWKS)
 * @example
 * ```ts
 * const checked = await checkPass(token, createLocalJWKSet(jwks), {
 *   issuer: "anteroom", audience: "anteroom-origin", rooms: new Set(["default"]), clockToleranceSeconds: 30,
 *   maxSessionSeconds: 3600,
 * });
 * if (checked.ok) checked.claims.sub;
 * ```
 */
export async function checkPass(token: string, keys: JWTVerifyGetKey, expect: PassExpectations): Promise<PassCheck> {
  if (token.length > MAX_PASS_LENGTH) return refuse("malformed");
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return refuse("malformed");
  }
  // A queue ticket is a JWT of another kind, whatever its algorithm: not a pass at all.
  if (typeof header.typ === "string" && header.typ.toLowerCase() === TICKET_TYP) return refuse("malformed");
  if (header.alg !== PASS_ALGORITHM) return refuse("bad_signature");
  if (typeof header.kid !== "string" || header.kid === "") return refuse("malformed");
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: ALGORITHMS,
      issuer: expect.issuer,
      audience: expect.audience,
      clockTolerance: expect.clockToleranceSeconds,
      requiredClaims: REQUIRED_CLAIMS,
      ...(expect.currentDate ? { currentDate: expect.currentDate } : {}),
    });
    if (typeof payload.room !== "string" || typeof payload.sub !== "string" || typeof payload.jti !== "string") {
      return refuse("malformed");
    }
    if (payload.cb !== undefined && typeof payload.cb !== "string") return refuse("malformed");
    if (!withinSession(payload as unknown as PassClaims, expect.maxSessionSeconds)) return refuse("malformed");
    if (expect.rooms !== null && !expect.rooms.has(payload.room)) return refuse("wrong_room");
    return { ok: true, claims: payload as unknown as PassClaims };
  } catch (error) {
    return refuse(admissionCode(error));
  }
}

/**
 * Whether a pass's claims describe a session the worker could have granted:
 * admitted no later than issued, and expiring at most `maxSeconds` after the
 * admission. jose has already checked that `iat` and `exp` are numbers.
 */
function withinSession(claims: PassClaims, maxSeconds: number): boolean {
  const { adm, iat, exp } = claims;
  if (adm !== undefined && (typeof adm !== "number" || !Number.isFinite(adm) || adm > iat)) return false;
  return exp - (adm ?? iat) <= maxSeconds;
}

/** The one mapping from jose's errors (and the key source's) to stable codes. */
function admissionCode(error: unknown): Exclude<AdmissionCode, "missing"> {
  if (error instanceof JwksUnavailable) return "jwks_unavailable";
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    // A claim that is absent or of the wrong type makes the token malformed, whichever claim it is.
    if (error.reason !== "check_failed") return "malformed";
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
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return "unknown_key";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) {
    return "bad_signature";
  }
  return "malformed";
}

function refuse(code: Exclude<AdmissionCode, "missing">): PassCheck {
  return { ok: false, code };
}
