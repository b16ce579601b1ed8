import { jwtVerify, SignJWT } from "jose";
import { MAX_TOKEN_LENGTH } from "./ticket.ts";

/** What a stamp attests; each kind has its own `typ` and audience, so one is never taken for another. */
export type StampKind = "probe" | "human";

/** The key and names a stamp is signed with (the ticket key: only this worker reads stamps). */
export interface StampKey {
  readonly key: Uint8Array;
  readonly issuer: string;
  readonly room: string;
}

/**
 * Signs a short-lived, room-bound stamp (HS256): "this browser kept a cookie"
 * (probe) or "this browser solved the challenge" (human).
 *
 * @example
 * ```ts
 * const token = await signStamp("probe", key, Date.now(), 600);
 * ```
 */
export function signStamp(kind: StampKind, key: StampKey, nowMs: number, seconds: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ room: key.room })
    .setProtectedHeader({ alg: "HS256", typ: `anteroom-${kind}+jwt` })
    .setIssuer(key.issuer)
    .setAudience(`anteroom:${kind}`)
    .setIssuedAt(iat)
    .setExpirationTime(iat + seconds)
    .sign(key.key);
}

/** Whether a stamp is genuine, of this kind, for this room and unexpired. Never throws. */
export async function hasStamp(
  kind: StampKind,
  token: string | undefined,
  key: StampKey,
  nowMs: number,
): Promise<boolean> {
  if (!token || token.length > MAX_TOKEN_LENGTH) return false;
  try {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: ["HS256"],
      typ: `anteroom-${kind}+jwt`,
      issuer: key.issuer,
      audience: `anteroom:${kind}`,
      currentDate: new Date(nowMs),
      requiredClaims: ["exp"],
    });
    return payload.room === key.room;
  } catch {
    // Forged, expired, another kind or room: the visitor is simply asked again.
    return false;
  }
}
