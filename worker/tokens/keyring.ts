import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from "jose";
import { AnteroomError } from "../errors.ts";

/** The keys passes are signed and verified with. */
export interface Keyring {
  /** Signs new passes: the first key of PASS_SIGNING_KEYS. */
  readonly signing: { readonly kid: string; readonly key: CryptoKey };
  /** Public keys of every configured key (current and previous), as published at /__anteroom/jwks.json. */
  readonly jwks: JSONWebKeySet;
  /** True when the key was made up at start-up (development without PASS_SIGNING_KEYS). */
  readonly ephemeral: boolean;
}

/**
 * Loads the pass keys from PASS_SIGNING_KEYS: a JSON array of private ES256
 * JWKs (or `{ "keys": [...] }`, or one JWK). The first signs; all of them are
 * published, so passes signed by a previous key verify until it is removed.
 * Rotation: put the new key first, keep the old one for one session length,
 * then drop it.
 *
 * @throws {AnteroomError} `key_invalid`, naming PASS_SIGNING_KEYS (never echoing its secret content).
 * @example
 * ```ts
 * const keyring = await loadKeyring(env.PASS_SIGNING_KEYS);
 * ```
 */
export async function loadKeyring(raw: string): Promise<Keyring> {
  const jwks = parseKeySet(raw);
  const publics: JWK[] = [];
  let signing: Keyring["signing"] | undefined;
  for (const [index, jwk] of jwks.entries()) {
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string") {
      throw new AnteroomError("key_invalid", `PASS_SIGNING_KEYS[${index}] must be a private EC P-256 JWK (ES256)`);
    }
    const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
    let key: CryptoKey;
    try {
      key = (await importJWK({ ...jwk, alg: "ES256" }, "ES256")) as CryptoKey;
    } catch {
      throw new AnteroomError("key_invalid", `PASS_SIGNING_KEYS[${index}] (kid ${kid}) could not be imported as ES256`);
    }
    if (index === 0) signing = { kid, key };
    const { d: _private, ...publicPart } = jwk;
    publics.push({ ...publicPart, kid, alg: "ES256", use: "sig" });
  }
  if (!signing) throw new AnteroomError("key_invalid", "PASS_SIGNING_KEYS must hold at least one key");
  return Object.freeze({ signing, jwks: { keys: publics }, ephemeral: false });
}

/** A throwaway key for local development, so `npm start` works with no setup. */
export async function ephemeralKeyring(): Promise<Keyring> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `ephemeral-${(await calculateJwkThumbprint(publicJwk)).slice(0, 12)}`;
  return Object.freeze({
    signing: { kid, key: privateKey },
    jwks: { keys: [{ ...publicJwk, kid, alg: "ES256", use: "sig" }] },
    ephemeral: true,
  });
}

/**
 * Makes a new signing key and the value to store in PASS_SIGNING_KEYS.
 *
 * @example
 * ```ts
 * const { privateJwk } = await generateSigningKey();
 * ```
 */
export async function generateSigningKey(): Promise<{ privateJwk: JWK; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = (await calculateJwkThumbprint(await exportJWK(publicKey))).slice(0, 16);
  return { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "ES256" }, kid };
}

function parseKeySet(raw: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AnteroomError("key_invalid", "PASS_SIGNING_KEYS is not valid JSON (expected an array of private JWKs)");
  }
  const list = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && Array.isArray(parsed.keys)
      ? parsed.keys
      : isObject(parsed)
        ? [parsed]
        : null;
  if (!list?.every(isObject)) {
    throw new AnteroomError("key_invalid", "PASS_SIGNING_KEYS must be a JSON array of private JWK objects");
  }
  return list as JWK[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
