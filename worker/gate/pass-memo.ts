import {
  PASS_NBF_TOLERANCE_SECONDS,
  type PassClaims,
  type PassOptions,
  type PassRead,
  readPass,
} from "../tokens/pass.ts";
import { Memo } from "./memo.ts";

/** How many verified passes an instance remembers by default (a few MB: a token is about 450 characters). */
export const PASS_MEMO_ENTRIES = 10_000;

/**
 * The passes one worker instance has already verified, so a visitor's
 * further page views skip the ES256 signature check (the bulk of an admitted
 * view's cost). Keyed by the whole token string: a token differing in any
 * character (a forged signature on the same claims included) is a miss and
 * is verified in full. Only successful verifications are remembered. Time is
 * still checked on every read, against the caller's clock, exactly as jose
 * checks it (`nbf <= now + PASS_NBF_TOLERANCE_SECONDS`, `now < exp`, in whole seconds); whether the session was
 * released is the gate's check, made on every request too.
 *
 * Bounded like every {@link Memo}: the least recently used entry goes when
 * a new one would exceed `capacity`.
 *
 * @example
 * ```ts
 * const passes = new PassMemo(passOptions);
 * const read = await passes.read(cookie, Date.now());
 * ```
 */
export class PassMemo {
  readonly #options: PassOptions;
  readonly #verify: typeof readPass;
  /** Token -> its verified claims; kept until evicted or met expired (time is checked here, per read). */
  readonly #memo: Memo<PassClaims>;

  constructor(options: PassOptions, capacity = PASS_MEMO_ENTRIES, verify: typeof readPass = readPass) {
    this.#memo = new Memo<PassClaims>(capacity);
    this.#options = options;
    this.#verify = verify;
  }

  /** How many passes are remembered now. */
  get size(): number {
    return this.#memo.size;
  }

  /**
   * The pass's claims if `token` is valid at `nowMs`: from memory when this
   * instance verified it before, else verified in full (and remembered if valid).
   */
  async read(token: string, nowMs: number): Promise<PassRead> {
    const known = this.#memo.recall(token, nowMs);
    if (known) {
      const window = timeWindow(known, nowMs);
      if (window === "expired") {
        this.#memo.forget(token);
        return { ok: false, reason: "expired" };
      }
      if (window === "not_yet_valid") return { ok: false, reason: "not_yet_valid" };
      return { ok: true, claims: known };
    }
    const read = await this.#verify(token, this.#options, nowMs);
    // The memo's own expiry is never: a pass's time window is checked above, whole second by whole second as jose does.
    if (read.ok) this.#memo.remember(token, Object.freeze({ ...read.claims }), Number.POSITIVE_INFINITY);
    return read;
  }
}

function timeWindow(claims: PassClaims, nowMs: number): "valid" | "expired" | "not_yet_valid" {
  const now = Math.floor(nowMs / 1000);
  if (claims.nbf > now + PASS_NBF_TOLERANCE_SECONDS) return "not_yet_valid";
  if (claims.exp <= now) return "expired";
  return "valid";
}
