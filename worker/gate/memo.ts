/** How many entries a {@link Memo} holds by default: about a megabyte of short keys. */
export const MEMO_ENTRIES = 10_000;

/**
 * A small per-instance memory: keys to values, each until its own expiry,
 * bounded. When a new key would exceed `capacity`, the least recently used
 * entry goes, so memory stays flat however many visitors pass. What it holds
 * is what this instance learnt; other instances of the fleet learn it for
 * themselves (an isolate may also be evicted at any time, taking it along),
 * so it saves store calls and never decides anything alone.
 *
 * @example
 * ```ts
 * const spent = new Memo<true>();
 * spent.remember(stampId, true, stampExpiresAt);
 * spent.recall(stampId, Date.now()); // true until stampExpiresAt
 * ```
 */
export class Memo<V> {
  readonly #capacity: number;
  /** Key -> value and expiry (ms), least recently used first (a Map keeps insertion order). */
  readonly #entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();

  constructor(capacity = MEMO_ENTRIES) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** How many entries are held now (expired ones included until they are met or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** The value remembered under `key`, unless it expired by `nowMs`. */
  recall(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= nowMs) return undefined;
    // Most recently used goes last, so what is in use now is the last to be evicted.
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Drops what is remembered under `key`, if anything. */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  /** Remembers `value` under `key` until `expiresAt` (ms). */
  remember(key: string, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt });
  }
}
