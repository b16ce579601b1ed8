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
 * A genuine stamp, read: its unique id (`jti`), which the store records as
 * spent with the place the stamp buys (a stamp buys one place), and when it
 * expires, ms since the epoch (worker clock).
 */
export interface Stamp {
  readonly id: string;
  readonly expiresAt: number;
}

/** Reading a stamp: genuine, or not (forged, expired, another kind, room or client: the visitor is asked again). */
export type StampRead = ({ readonly ok: true } & Stamp) | { readonly ok: false };

/** The form of a stamp id: a UUID, which travels in a comma-separated script argument without splitting it. */
const STAMP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Signs a short-lived, room-bound stamp (HS256): "this browser kept a cookie"
 * (probe) or "this browser solved the challenge" (human). Each carries a new
 * id (`jti`), so the store can tell a second use of the same stamp, and,
 * when `hint` is given, the client hint it is bound to (claim `ch`).
 *
 * @example
 * ```ts
 * const token = await signStamp("probe", key, Date.now(), 600);
 * ```
 */
export function signStamp(
  kind: StampKind,
  key: StampKey,
  nowMs: number,
  seconds: number,
  hint: string | null = null,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ room: key.room, ...(hint === null ? {} : { ch: hint }) })
    .setProtectedHeader({ alg: "HS256", typ: `anteroom-${kind}+jwt` })
    .setIssuer(key.issuer)
    .setAudience(`anteroom:${kind}`)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + seconds)
    .sign(key.key);
}

/**
 * Reads a stamp: genuine, of this kind, for this room, unexpired, with an id,
 * and bound to `hint` when one is given (a stamp signed without a hint
 * matches only `null`). Never throws.
 */
export async function readStamp(
  kind: StampKind,
  token: string | undefined,
  key: StampKey,
  nowMs: number,
  hint: string | null = null,
): Promise<StampRead> {
  if (!token || token.length > MAX_TOKEN_LENGTH) return { ok: false };
  try {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: ["HS256"],
      typ: `anteroom-${kind}+jwt`,
      issuer: key.issuer,
      audience: `anteroom:${kind}`,
      currentDate: new Date(nowMs),
      requiredClaims: ["exp", "jti"],
    });
    const { jti, exp } = payload;
    const bound = (typeof payload.ch === "string" ? payload.ch : null) === hint;
    if (payload.room !== key.room || !bound || typeof jti !== "string" || !STAMP_ID.test(jti) || exp === undefined)
      return { ok: false };
    return { ok: true, id: jti, expiresAt: exp * 1000 };
  } catch {
    // Forged, expired, another kind or room: the visitor is simply asked again.
    return { ok: false };
  }
}
