import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from "jose";
import { OriginAdapterError } from "./errors.ts";

/** How the verifier resolves a pass's `kid` to a public key (jose's `JWTVerifyGetKey` shape). */
export type KeyResolver = JWTVerifyGetKey;

/** Raised by {@link remoteKeys} when the JWKS could not be fetched; mapped to `jwks_unavailable`. */
export class JwksUnavailable extends Error {
  constructor(cause?: unknown) {
    super("JWKS unavailable", { cause });
    this.name = "JwksUnavailable";
  }
}

/** Settings of a remote key source, already validated, in milliseconds. */
export interface RemoteKeySettings {
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly cacheMaxAgeMs: number;
  readonly retryMs: number;
  readonly fetch: typeof fetch | undefined;
  /** Clock, for tests. */
  readonly now: () => number;
}

/**
 * Keys from a JWKS URL (the worker's `/__anteroom/jwks.json`), through jose's
 * remote JWKS: fetched once, cached for `cacheMaxAgeMs`, re-fetched when a
 * pass names an unknown `kid` (a key added by rotation) but at most once per
 * `cooldownMs` (so a burst of forged `kid`s costs one fetch), with concurrent
 * callers sharing one fetch. jose then re-fetches on every call while the
 * endpoint is down; `retryMs` adds the missing back-off: after a failed fetch
 * every verification answers at once, without I/O, until it passes.
 *
 * @example
 * ```ts
 * const keys = remoteKeys(new URL("https://shop.example/__anteroom/jwks.json"), settings);
 * ```
 */
export function remoteKeys(url: URL, settings: RemoteKeySettings): KeyResolver {
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: settings.timeoutMs,
    cooldownDuration: settings.cooldownMs,
    cacheMaxAge: settings.cacheMaxAgeMs,
    ...(settings.fetch ? { [customFetch]: settings.fetch } : {}),
  });
  let retryAt = Number.NEGATIVE_INFINITY;
  return async function remoteKey(header, token) {
    if (settings.now() < retryAt) throw new JwksUnavailable();
    try {
      return await remote(header, token);
    } catch (error) {
      // These come from looking the kid up in keys that did load: a verdict on the pass, not on the endpoint.
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys ||
        error instanceof errors.JOSENotSupported
      ) {
        throw error;
      }
      // Timeout, refused connection, non-200, bad JSON, a set that is not a JWKS.
      retryAt = settings.now() + settings.retryMs;
      throw new JwksUnavailable(error);
    }
  };
}

/**
 * Keys given inline: a JWKS (as served at `/__anteroom/jwks.json`) or one
 * public JWK. Checked now, so a private key or a key of the wrong type fails at
 * start-up rather than on the first request.
 *
 * @throws {OriginAdapterError} naming `jwks` or `jwk`.
 * @example
 * ```ts
 * const keys = inlineKeys({ keys: [publicJwk] }, "jwks");
 * ```
 */
export function inlineKeys(jwks: JSONWebKeySet, option: "jwks" | "jwk"): KeyResolver {
  if (typeof jwks !== "object" || jwks === null || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new OriginAdapterError(option, "must hold at least one public key");
  }
  for (const [index, jwk] of jwks.keys.entries()) checkPublicKey(jwk, option === "jwk" ? "jwk" : `jwks.keys[${index}]`);
  try {
    return createLocalJWKSet(jwks);
  } catch (cause) {
    throw new OriginAdapterError(option, `is not a valid JSON Web Key Set (${String(cause)})`);
  }
}

function checkPublicKey(jwk: JWK, option: string): void {
  if (typeof jwk !== "object" || jwk === null) throw new OriginAdapterError(option, "must be a JWK object");
  if ("d" in jwk) {
    throw new OriginAdapterError(
      option,
      "is a private key: give the origin the public half only (as /__anteroom/jwks.json serves it)",
    );
  }
  if (jwk.kty !== "EC" || jwk.crv !== "P-256") throw new OriginAdapterError(option, "must be an EC P-256 key (ES256)");
  if (jwk.alg !== undefined && jwk.alg !== "ES256")
    throw new OriginAdapterError(option, `has alg ${jwk.alg}, expected ES256`);
  // Passes always name their key; a JWK without a kid would never be selected.
  if (typeof jwk.kid !== "string" || jwk.kid === "") throw new OriginAdapterError(option, "must have a kid");
}
