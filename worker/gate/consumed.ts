import type { ConsumedFeed } from "../store/store.ts";

/**
 * How long the holder's own browser may be let in again on a place already
 * used: a second tab that sent its ticket before the first tab's pass
 * arrived, or a retry of a request whose answer (and pass cookie) was lost.
 * Counted from the place's first use; only for the same device hint.
 */
export const PLACE_GRACE_MS = 10_000;
/** Positions an instance remembers as used, behind the newest it knows (1 bit each: 128 KB). */
export const REMEMBERED_POSITIONS = 1 << 20;
/** Most places held for the grace at once (the places used within {@link PLACE_GRACE_MS}). */
const GRACE_ENTRIES = 10_000;
/** Characters of the client hint a place keeps: 32 bits tell one client from another; the hint is no secret. */
const DEVICE_CHARS = 8;

/**
 * What a ticket's admission does to its place: `first`, the place is used
 * now (the one admission that counts); `again`, the same device within
 * {@link PLACE_GRACE_MS} of the first use (the same subject is let in again,
 * nothing counts twice); `spent`, the place was used by someone else or
 * long ago: the ticket is worth nothing and its holder is a newcomer.
 */
export type PlaceUse = "first" | "again" | "spent";

/** The short form of a client hint that places keep and the feed carries (null: none). */
export function deviceOf(hint: string | null): string | null {
  return hint === null ? null : hint.slice(0, DEVICE_CHARS);
}

/**
 * The places one worker instance knows are used: its own admissions by
 * ticket at once, other instances' from the feed each tick returns (read
 * from {@link cursor} on). Bounded: a bitmap of the last
 * {@link REMEMBERED_POSITIONS} positions behind the newest it knows (a
 * position further back is not known as used), and the device and time of
 * the places used within the grace.
 *
 * No clock of its own: every call says when it is.
 *
 * @example
 * ```ts
 * places.consume(12, device, now); // "first"
 * places.consume(12, otherDevice, now); // "spent": a copy
 * ```
 */
export class ConsumedPlaces {
  /** Bit p - base is set when position p is used; allocated at the first use. */
  #bits: Uint8Array | null = null;
  /** The first position the bitmap covers (a multiple of 8). */
  #base = 0;
  /** The highest position known used (0: none). */
  #highest = 0;
  /** Places used within the grace: position -> device and first use (ms), oldest first. */
  readonly #recent = new Map<number, { readonly device: string | null; readonly at: number }>();
  #cursor = 0;

  /** Feed time of the newest entry read from the store (the next tick's `consumedSince`); 0 before any. */
  get cursor(): number {
    return this.#cursor;
  }

  /** The highest position known used (0 when none): a store whose last ticket is lower lost its state. */
  get highest(): number {
    return this.#highest;
  }

  /** A ticket for `position` is about to admit `device` at `now`: records the first use, says which use this is. */
  consume(position: number, device: string | null, now: number): PlaceUse {
    if (this.#has(position)) return this.#withinGrace(position, device, now) ? "again" : "spent";
    this.#mark(position, deviceOf(device), now);
    return "first";
  }

  /**
   * Whether the first use known of `position` was by `device` (true when
   * nothing is known of it any more): false once the feed said another
   * client used it first, so an admission made here before this instance
   * heard of that one turns out to be a copy's.
   */
  heldBy(position: number, device: string | null): boolean {
    const first = this.#recent.get(position);
    return first === undefined || first.device === deviceOf(device);
  }

  /**
   * Takes in the places a tick returned (other instances' and this one's),
   * and moves the cursor past them. The feed holds each place's first use as
   * the store heard of it, so it wins over a use made here in the meantime.
   */
  learn(feed: ConsumedFeed, now: number): void {
    for (const place of feed.places) {
      const at = Math.min(place.at, now);
      if (!this.#has(place.position)) this.#mark(place.position, place.device, at);
      else if (this.#recent.get(place.position)?.device !== place.device) {
        this.#recent.delete(place.position);
        this.#recent.set(place.position, { device: place.device, at });
      }
    }
    this.#cursor = Math.max(this.#cursor, feed.cursor);
    this.#prune(now);
  }

  /** Forgets every place and the cursor: the store lost its state and hands positions out again from 1. */
  reset(): void {
    this.#bits = null;
    this.#base = 0;
    this.#highest = 0;
    this.#recent.clear();
    this.#cursor = 0;
  }

  #withinGrace(position: number, device: string | null, now: number): boolean {
    const first = this.#recent.get(position);
    const short = deviceOf(device);
    return first !== undefined && short !== null && first.device === short && now - first.at <= PLACE_GRACE_MS;
  }

  #has(position: number): boolean {
    const offset = position - this.#base;
    if (this.#bits === null || offset < 0 || offset >= REMEMBERED_POSITIONS) return false;
    return ((this.#bits[offset >> 3] ?? 0) & (1 << (offset & 7))) !== 0;
  }

  #mark(position: number, device: string | null, at: number): void {
    if (!Number.isSafeInteger(position) || position < 1) return;
    this.#bits ??= new Uint8Array(REMEMBERED_POSITIONS / 8);
    if (position - this.#base >= REMEMBERED_POSITIONS) this.#slide(position);
    const offset = position - this.#base;
    if (offset < 0) return; // further back than remembered: the store still counts it once
    this.#bits[offset >> 3] = (this.#bits[offset >> 3] ?? 0) | (1 << (offset & 7));
    this.#highest = Math.max(this.#highest, position);
    this.#recent.delete(position);
    this.#recent.set(position, { device, at });
    this.#prune(at);
  }

  /** Moves the window so that `position` sits three quarters in, keeping what overlaps. */
  #slide(position: number): void {
    const bits = this.#bits;
    if (bits === null) return;
    const base = Math.max(0, Math.floor((position - (REMEMBERED_POSITIONS * 3) / 4) / 8) * 8);
    const shift = (base - this.#base) / 8;
    if (shift >= bits.length) bits.fill(0);
    else {
      bits.copyWithin(0, shift);
      bits.fill(0, bits.length - shift);
    }
    this.#base = base;
  }

  /** Drops the grace of places first used more than the grace ago, and the oldest past {@link GRACE_ENTRIES}. */
  #prune(now: number): void {
    for (const [position, first] of this.#recent) {
      if (now - first.at <= PLACE_GRACE_MS && this.#recent.size <= GRACE_ENTRIES) break;
      this.#recent.delete(position);
    }
  }
}
