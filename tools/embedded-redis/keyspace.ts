// The data: strings, hashes and sorted sets under byte-string keys, with
// millisecond expiry dropped lazily when a key is looked up, as Redis does
// (a key is gone once the clock is past its expiry time). Commands live in
// the *-commands.ts files; this file only stores and types values.

import { EmbeddedReplyError, ERRORS } from "./reply.ts";
import { SortedSet } from "./sorted-set.ts";

export type Value =
  | { readonly type: "string"; value: string }
  | { readonly type: "hash"; readonly value: Map<string, string> }
  | { readonly type: "zset"; readonly value: SortedSet };

interface Slot {
  value: Value;
  /** Unix ms after which the key no longer exists; undefined = no expiry. */
  expiresAt: number | undefined;
}

export class Keyspace {
  readonly #slots = new Map<string, Slot>();
  readonly #clock: () => number;
  /** Set while a script runs: Redis freezes time for a script, so keys cannot expire mid-script. */
  frozenAt: number | undefined;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** The time commands see, ms. */
  now(): number {
    return this.frozenAt ?? this.#clock();
  }

  /** The live value of a key, dropping it first if it has expired. */
  get(key: string): Value | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt !== undefined && this.now() > slot.expiresAt) {
      this.#slots.delete(key);
      return undefined;
    }
    return slot.value;
  }

  string(key: string): string | undefined {
    return this.#typed(key, "string")?.value;
  }

  hash(key: string): Map<string, string> | undefined {
    return this.#typed(key, "hash")?.value;
  }

  zset(key: string): SortedSet | undefined {
    return this.#typed(key, "zset")?.value;
  }

  /** The hash at key, created empty if missing (the caller must add to it). */
  hashForWrite(key: string): Map<string, string> {
    const found = this.hash(key);
    if (found) return found;
    const value = new Map<string, string>();
    this.#slots.set(key, { value: { type: "hash", value }, expiresAt: undefined });
    return value;
  }

  /** The sorted set at key, created empty if missing (the caller must add to it). */
  zsetForWrite(key: string): SortedSet {
    const found = this.zset(key);
    if (found) return found;
    const value = new SortedSet();
    this.#slots.set(key, { value: { type: "zset", value }, expiresAt: undefined });
    return value;
  }

  /** Writes a string; a plain SET clears the expiry, INCR and SET KEEPTTL keep it. */
  setString(key: string, value: string, keepTtl: boolean): void {
    const expiresAt = keepTtl && this.get(key) ? this.#slots.get(key)?.expiresAt : undefined;
    this.#slots.set(key, { value: { type: "string", value }, expiresAt });
  }

  delete(key: string): boolean {
    const existed = this.get(key) !== undefined;
    this.#slots.delete(key);
    return existed;
  }

  /** Redis deletes a hash or sorted set as soon as it has no elements left. */
  dropIfEmpty(key: string): void {
    const value = this.get(key);
    if (value && value.type !== "string" && value.value.size === 0) this.#slots.delete(key);
  }

  expiresAt(key: string): number | undefined {
    return this.get(key) === undefined ? undefined : this.#slots.get(key)?.expiresAt;
  }

  /** Sets or clears the expiry of an existing key. */
  setExpiry(key: string, at: number | undefined): void {
    const slot = this.get(key) && this.#slots.get(key);
    if (slot) slot.expiresAt = at;
  }

  /** Every live key, in insertion order (Redis's order is its hash table's; callers should not rely on it). */
  keys(): string[] {
    return [...this.#slots.keys()].filter((key) => this.get(key) !== undefined);
  }

  clear(): void {
    this.#slots.clear();
  }

  #typed<T extends Value["type"]>(key: string, type: T): Extract<Value, { type: T }> | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (value.type !== type) throw new EmbeddedReplyError(ERRORS.wrongType);
    return value as Extract<Value, { type: T }>;
  }
}
