/**
 * Epochs: how tickets keep one order across a store that lost the room's
 * state. The admission scripts restore a lost state as far as the calling
 * instance saw (its last ticket becomes the new epoch's base) and start a
 * new epoch (`store/lua/advance.ts`, `restore_room`); every ticket carries
 * the epoch it was issued in. A ticket of the current epoch stands at its
 * position. One of an earlier epoch stands at its position or at the base,
 * whichever comes first: positions up to the base were handed out before
 * the loss (the restorer saw them), and one beyond it was handed out by an
 * instance the restorer did not hear from, a number the new epoch hands out
 * again. Standing at the base, its holder is let in before every newcomer of
 * the new epoch (whose positions are all past the base), and shares a
 * number with none of them. A ticket older than the epoch the state was
 * restored from stood at most at that epoch's floor then; it stands at most
 * at the floor now too, so a second loss keeps the first one's order (a third
 * lumps every older epoch together at the lowest cap: earlier, never later).
 */

/** What the worker knows of the room's epoch (from the newest store reply). */
export interface EpochView {
  /** The epoch's id: the store's ms when the state was created or restored; 0 = a state from before epochs. */
  readonly epoch: number;
  /** The last ticket the epoch was restored at (0 when the state was created, not restored). */
  readonly base: number;
  /** The epoch it was restored from (0: none). */
  readonly previous?: number;
  /** The cap of tickets older than `previous` (-1 or absent: none). */
  readonly floor?: number;
}

/**
 * Where a ticket stands in the line as the store now numbers it: its
 * position, or the epoch's base for a ticket of an earlier epoch issued past
 * it. A ticket of a newer epoch than `view` (this instance has not heard of
 * the restore yet) stands at its position. Tickets without an epoch (issued
 * before epochs) are of epoch 0.
 *
 * @example
 * ```ts
 * placeInLine(57, 0, { epoch: 1764547200000, base: 52 }); // 52: issued before the loss, beyond what was restored
 * placeInLine(30, 0, { epoch: 1764547200000, base: 52 }); // 30
 * placeInLine(53, 1764547200000, { epoch: 1764547200000, base: 52 }); // 53: a newcomer of the new epoch
 * placeInLine(45, 0, { epoch: 1764547300000, base: 60, previous: 1764547200000, floor: 40 }); // 40: two losses back
 * ```
 */
export function placeInLine(position: number, ticketEpoch: number, view: EpochView | null): number {
  if (view === null || ticketEpoch >= view.epoch) return position;
  const place = Math.min(position, view.base);
  if (ticketEpoch >= (view.previous ?? 0) || view.floor === undefined || view.floor < 0) return place;
  return Math.min(place, view.floor);
}
