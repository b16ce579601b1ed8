import { CONSUMED_FEED_MS } from "../store/lua/constants.ts";
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
 * How long a place first used here but first used elsewhere (as the store
 * said) is remembered as lost, apart from the grace: the admission that used
 * it asks right after the tick that said so (see {@link ConsumedPlaces.heldBy}).
 */
const LOST_MS = 60_000;

/** A place's first use as this instance knows it; `fed` when the store's feed said so (else it was made here). */
interface FirstUse {
  readonly device: string | null;
  readonly at: number;
  readonly fed: boolean;
}

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
 * from {@link cursor} on), and what the store said of its own reports.
 * Bounded: a bitmap of the last {@link REMEMBERED_POSITIONS} positions behind
 * the newest it knows (a position further back counts as used: its ticket is
 * spent), the device and time of the places used within the grace, and the
 * places first used here that turned out to be copies' for {@link LOST_MS}.
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
  readonly #recent = new Map<number, FirstUse>();
  /**
   * Places first used here that the store said another client used first (or
   * long before): position -> the device that used it here (undefined: not
   * known any more, so any) and when this instance heard (ms), oldest first.
   * Kept apart from the grace, which may already have passed for the place.
   */
  readonly #lost = new Map<number, { readonly device: string | null | undefined; readonly at: number }>();
  #cursor = 0;
  /** Until when (ms) places used may be unknown here: the feed skipped entries this instance never read. */
  #blindUntil = 0;

  /** Feed time of the newest entry read from the store (the next tick's `consumedSince`); 0 before any. */
  get cursor(): number {
    return this.#cursor;
  }

  /** The highest position known used (0 when none): a store whose last ticket is lower lost its state. */
  get highest(): number {
    return this.#highest;
  }

  /**
   * Whether a place used elsewhere may be unknown here at `now`: for the
   * feed's length ({@link CONSUMED_FEED_MS}) after a tick skipped entries
   * (a new instance, or one that fell behind a surge), so a first use here
   * proves little until the store has heard of it.
   */
  mayMiss(now: number): boolean {
    return now < this.#blindUntil;
  }

  /**
   * A ticket for `position` is about to admit `device` at `now`: records the
   * first use, says which use this is. A position further behind the newest
   * than this instance remembers is `spent`: it cannot tell a first use from
   * a copy's, and a turn that far back lapsed long ago (its holder is a
   * newcomer, let straight in while nobody waits).
   */
  consume(position: number, device: string | null, now: number): PlaceUse {
    if (this.#has(position)) return this.#withinGrace(position, device, now) ? "again" : "spent";
    if (this.#bits !== null && position < this.#base) return "spent";
    this.#mark(position, { device: deviceOf(device), at: now, fed: false });
    return "first";
  }

  /**
   * Whether a place just used here is still `device`'s after what the store
   * said since (true when nothing contradicts it): false once the feed said
   * another client used it first (or the same client longer than the grace
   * before), or the store said the report of it found it used and the feed
   * did not show the same client within the grace. Then an admission made
   * here before this instance heard of the first one was a copy's.
   */
  heldBy(position: number, device: string | null): boolean {
    const lost = this.#lost.get(position);
    if (lost !== undefined && (lost.device === undefined || lost.device === deviceOf(device))) return false;
    const first = this.#recent.get(position);
    return first === undefined || first.device === deviceOf(device);
  }

  /**
   * Takes in the places a tick returned (other instances' and this one's),
   * and moves the cursor past them. The feed holds each place's first use as
   * the store heard of it, so it wins over a use made here in the meantime:
   * that use is lost unless it was the same client within the grace.
   * The feed's times are the store's clock, this instance's uses its own:
   * `storeToLocalMs` (this clock less the store's, as the tick measured it)
   * brings the feed's onto this clock, so an instance whose clock is ahead
   * of the store's does not take its own use for one made long after the
   * feed's (README, "Faults").
   */
  learn(feed: ConsumedFeed, now: number, storeToLocalMs = 0): void {
    for (const place of feed.places) {
      const first: FirstUse = { device: place.device, at: Math.min(place.at + storeToLocalMs, now), fed: true };
      if (!this.#has(place.position)) {
        this.#mark(place.position, first);
        continue;
      }
      // A use made here (or one whose record the grace already dropped) loses to the feed's, unless
      // it was the same client within the grace of the feed's.
      const known = this.#recent.get(place.position);
      const mine = known === undefined || !known.fed;
      if (mine && !(known !== undefined && known.device === first.device && known.at - first.at <= PLACE_GRACE_MS))
        this.#lose(place.position, known?.device, now);
      if (known === undefined || known.device !== first.device || mine) {
        // The same client's use here may be older than when the store heard of it: the grace runs from the first.
        const at = known?.device === first.device ? Math.min(known.at, first.at) : first.at;
        this.#recent.delete(place.position);
        this.#recent.set(place.position, { ...first, at });
      }
    }
    this.#cursor = Math.max(this.#cursor, feed.cursor);
    if (feed.skipped > 0) this.#blindUntil = now + CONSUMED_FEED_MS;
    this.#prune(now);
  }

  /**
   * Takes in the positions the store said were used before this instance
   * reported them (a tick's `taken`; learn the same tick's feed first). A use
   * made here is lost unless the feed showed the same client within the
   * grace; then nobody is let in again on it here, since who used it first
   * is unknown.
   */
  learnTaken(positions: readonly number[], now: number): void {
    for (const position of positions) {
      const known = this.#recent.get(position);
      if (known?.fed) continue; // the feed said who used it first: learn() decided
      this.#lose(position, known?.device, now);
      if (known !== undefined) {
        this.#recent.delete(position);
        // The store's word (someone else's use, device unknown): fed, so nothing here decides on it again.
        this.#recent.set(position, { device: null, at: known.at, fed: true });
      }
    }
  }

  /** Forgets every place and the cursor: the store lost its state and hands positions out again from 1. */
  reset(): void {
    this.#bits = null;
    this.#base = 0;
    this.#highest = 0;
    this.#recent.clear();
    this.#lost.clear();
    this.#cursor = 0;
    this.#blindUntil = 0;
  }

  /** Records that `device`'s use of `position` here was not the first (device undefined: whoever used it here). */
  #lose(position: number, device: string | null | undefined, now: number): void {
    const earlier = this.#lost.get(position);
    this.#lost.delete(position);
    this.#lost.set(position, { device: earlier === undefined ? device : earlier.device, at: now });
    for (const [lost, entry] of this.#lost) {
      if (now - entry.at <= LOST_MS && this.#lost.size <= GRACE_ENTRIES) break;
      this.#lost.delete(lost);
    }
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

  #mark(position: number, first: FirstUse): void {
    if (!Number.isSafeInteger(position) || position < 1) return;
    this.#bits ??= new Uint8Array(REMEMBERED_POSITIONS / 8);
    if (position - this.#base >= REMEMBERED_POSITIONS) this.#slide(position);
    const offset = position - this.#base;
    if (offset < 0) return; // further back than remembered: consume() calls it spent
    this.#bits[offset >> 3] = (this.#bits[offset >> 3] ?? 0) | (1 << (offset & 7));
    this.#highest = Math.max(this.#highest, position);
    this.#recent.delete(position);
    this.#recent.set(position, first);
    this.#prune(first.at);
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
