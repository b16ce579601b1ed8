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
export {
  cookieValue,
  type FoundPass,
  findPass,
  HOST_PASS_COOKIE,
  PASS_COOKIE,
  PASS_HEADER,
  type PassOrigin,
} from "./pass-source.ts";
export { RELEASE_HEADER, type ReleaseTarget, releaseAdmission } from "./release.ts";
export {
  ADMISSION_CODES,
  type AdmissionCode,
  type AdmissionResult,
  type HeadersLike,
  type PassClaims,
  type PassSource,
} from "./types.ts";
export {
  type AdmissionVerifier,
  type AdmissionVerifierOptions,
  createAdmissionVerifier,
  MAX_PASS_LENGTH,
} from "./verifier.ts";
