/**
 * `anteroom/origin`: verify Anteroom admission passes in any runtime with Web
 * Crypto (Node >= 20, Workers, Deno, Bun). The only dependency is jose.
 *
 * @example
 * ```ts
 * import { createAdmissionVerifier } from "anteroom/origin";
 * const verifier = createAdmissionVerifier({ jwksUrl: "https://shop.example/__anteroom/jwks.json" });
 * const result = await verifier.verify(request);
 * ```
 */
export {
  ADMISSION_CODES,
  type AdmissionCode,
  ANY_ROOM,
  DEFAULT_SESSION_MAX_MINUTES,
  HOST_PASS_COOKIE,
  PASS_COOKIE,
  PASS_HEADER,
  type PassClaims,
  RELEASE_HEADER,
  ROOM_COOKIE_SEPARATOR,
  roomCookieName,
} from "./contract.ts";
export { OriginAdapterError } from "./errors.ts";
export {
  createGuard,
  DENY_BODY,
  FAILURE_HEADERS,
  type FailureAction,
  type FailureOptions,
  type Guard,
  type GuardAction,
  type GuardOptions,
  type GuardOutcome,
} from "./guard.ts";
export { MAX_PASS_LENGTH } from "./pass-check.ts";
export { cookieValue, type FoundPass, findPass, type PassOrigin } from "./pass-source.ts";
export { type ReleaseTarget, releaseAdmission } from "./release.ts";
export type { AdmissionResult, HeadersLike, PassSource } from "./types.ts";
export { type AdmissionVerifier, type AdmissionVerifierOptions, createAdmissionVerifier } from "./verifier.ts";
