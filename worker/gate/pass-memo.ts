import { type PassClaims, type PassOptions, type PassRead, readPass } from "../tokens/pass.ts";

/** How many verified passes an instance remembers by default (a few MB: a token is about 450 characters). */
export const PASS_MEMO_ENTRIES = 10_000;

/**
 * The passes one worker instance has already verified, so a visitor's
 * further page views skip the ES256 signature check (the bulk of an admitted
 * view's cost). Keyed by the whole token string: a token differing in any
 * character (a forged signature on the same claims included) is a miss and
 * is verified in full. Only successful verifications are remembered. Time is
 * still checked on every read, against the caller's clock, exactly as jose
 * checks it (`nbf <= now < exp`, in whole seconds); whether the session was
 * released is the gate's check, made on every request too.
 *
 * Bounded: the least recently used entry goes when a new one would exceed
 * `capacity`, so memory stays flat however many visitors pass.
 *
 * @example
 * ```ts
 * const passes = new PassMemo(passOptions);
 * const read = await passes.read(cookie, Date.now());
 * ```
 */
export class PassMemo {
  readonly #options: PassOptions;
  readonly #capacity: number;
  readonly #verify: typeof readPass;
  /** Token -> its verified claims, least recently used first (a Map keeps insertion order). */
  readonly #entries = new Map<string, PassClaims>();

  /**
   * @param options what every pass is verified against (keys, issuer, audience, room)
   * @param capacity most passes remembered
   * @param verify the full verification, `readPass` (replaceable to count calls in tests)
   */
  constructor(options: PassOptions, capacity = PASS_MEMO_ENTRIES, verify: typeof readPass = readPass) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#options = options;
    this.#capacity = capacity;
    this.#verify = verify;
  }

  /** How many passes are remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Reads a pass as `readPass` would at `nowMs`, verifying its signature only the first time this token is seen. */
  async read(token: string, nowMs: number): Promise<PassRead> {
    const known = this.#entries.get(token);
    if (known) {
      const window = timeWindow(known, nowMs);
      if (window === "expired") {
        this.#entries.delete(token);
        return { ok: false, reason: "expired" };
      }
      if (window === "not_yet_valid") return { ok: false, reason: "not_yet_valid" };
      // Most recently used goes last, so the visitors browsing now are the last to be evicted.
      this.#entries.delete(token);
      this.#entries.set(token, known);
      return { ok: true, claims: known };
    }
    const read = await this.#verify(token, this.#options, nowMs);
    if (read.ok) this.#remember(token, read.claims);
    return read;
  }

  #remember(token: string, claims: PassClaims): void {
    this.#entries.delete(token);
    while (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, Object.freeze({ ...claims }));
  }
}

/** Where `nowMs` falls in a pass's validity, by jose's rule: whole seconds, `nbf <= now`, `now < exp`. */
function timeWindow(claims: PassClaims, nowMs: number): "valid" | "expired" | "not_yet_valid" {
  const now = Math.floor(nowMs / 1000);
  if (claims.nbf > now) return "not_yet_valid";
  if (claims.exp <= now) return "expired";
  return "valid";
}
