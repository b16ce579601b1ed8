import { exportJWK, exportSPKI, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from "jose";
import { generateSigningKey, type Keyring, loadKeyring } from "../../worker/tokens/keyring.ts";
import { type PassOptions, signPass } from "../../worker/tokens/pass.ts";

/** A pass signing key as the worker holds it, plus what an origin is given. */
export interface TestKey {
  readonly privateJwk: JWK;
  readonly kid: string;
  readonly keyring: Keyring;
  /** The public JWKS of this key alone, as /__anteroom/jwks.json would serve it. */
  readonly jwks: JSONWebKeySet;
  readonly publicJwk: JWK;
}

/** A fresh ES256 key made by the worker's own key code. */
export async function testKey(): Promise<TestKey> {
  const { privateJwk, kid } = await generateSigningKey();
  const keyring = await loadKeyring(JSON.stringify([privateJwk]));
  const publicJwk = keyring.jwks.keys[0] as JWK;
  return { privateJwk, kid, keyring, jwks: keyring.jwks, publicJwk };
}

/** Signs a pass with the worker's own signPass: the real claim set and header. */
export function workerPass(
  key: TestKey,
  overrides: Partial<Omit<PassOptions, "keyring">> & { nowMs?: number; visitor?: string } = {},
): Promise<string> {
  return signPass(
    overrides.visitor ?? "visitor-1",
    {
      keyring: key.keyring,
      issuer: overrides.issuer ?? "anteroom",
      audience: overrides.audience ?? "anteroom-origin",
      room: overrides.room ?? "default",
      sessionSeconds: overrides.sessionSeconds ?? 600,
    },
    overrides.nowMs ?? Date.now(),
  );
}

/** The usual pass claims, for hand-built tokens. */
export function passClaims(nowS = Math.floor(Date.now() / 1000)) {
  return {
    iss: "anteroom",
    aud: "anteroom-origin",
    sub: "visitor-1",
    room: "default",
    iat: nowS,
    nbf: nowS,
    exp: nowS + 600,
    jti: crypto.randomUUID(),
  };
}

/** A correctly signed ES256 token from a key nobody publishes. */
export async function strangerToken(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256");
  return new SignJWT(passClaims()).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).sign(privateKey);
}

/** The public key in the forms an algorithm-confusion attacker would use as an HMAC secret. */
export async function publicKeyAsSecrets(key: TestKey): Promise<Uint8Array[]> {
  const publicKey = (await importJWK({ ...key.publicJwk, alg: "ES256" }, "ES256", { extractable: true })) as CryptoKey;
  const pem = await exportSPKI(publicKey);
  const encoder = new TextEncoder();
  return [
    encoder.encode(pem),
    encoder.encode(JSON.stringify(key.publicJwk)),
    encoder.encode(JSON.stringify(await exportJWK(publicKey))),
  ];
}

/** The token with its header or claims edited and its signature kept, as a forger would send it. */
export function resign(
  token: string,
  edit: (header: Record<string, unknown>, payload: Record<string, unknown>) => void,
): string {
  const [h, p, s] = token.split(".");
  const header = JSON.parse(Buffer.from(h ?? "", "base64url").toString());
  const payload = JSON.parse(Buffer.from(p ?? "", "base64url").toString());
  edit(header, payload);
  return `${b64url(header)}.${b64url(payload)}.${s}`;
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}
