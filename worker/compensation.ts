/**
 * No-show compensation, as pure functions. People leave queues; a frontier
 * that moves N places a minute then lets in N minus those who left. So the
 * room measures the share of offered places whose holders actually came in
 * (the show ratio) and moves the frontier 1/ratio times faster.
 *
 * Claims are counted per bucket of {@link CLAIM_BUCKET} consecutive positions
 * (not per visitor, so memory does not grow with the crowd). A bucket counts
 * once it has been fully offered for {@link MATURE_MS}: by then nearly every
 * holder who is still there has polled (the holding page polls every 2-3 s
 * near the front, and each instance reports its claims within about a second).
 * The ratio is the running mean of the first matured buckets, then a moving
 * average in which each bucket weighs {@link SMOOTHING}: quick to settle at the
 * start of a surge, steady after. When the queue empties, the ratio starts over at 1, so one
 * surge's abandonment does not speed up the next. The Lua in
 * `scripts/advance.ts` implements the same rules.
 *
 * A ratio learnt from the past is always a little behind: at the start of a
 * surge it is 1 while people already leave, at its tail it is low while fewer
 * leave. So each bucket also remembers the claims the frontier counted on
 * when it was offered (the ratio in force for each of its places), and when it matures the
 * difference from the claims it brought is made up ({@link ClaimLedger.owed}):
 * places owed are offered on top of the pace, places over are held back from
 * it, by at most a quarter of the pace ({@link MAKE_UP_SHARE}). Over any stretch of a surge the visitors who come in then match
 * the rate, not just the rate times the error of the estimate. What may be
 * made up is bounded by {@link MAX_OWED_SECONDS} of the rate, so lost claim
 * reports cannot turn into a flood.
 */

/** Positions per claims bucket. */
export const CLAIM_BUCKET = 10;
/** How long a bucket waits after being fully offered before its claims count. */
export const MATURE_MS = 6_000;
/** Least weight of a matured bucket in the smoothed ratio (the first ones weigh 1, 1/2, 1/3 ...). */
export const SMOOTHING = 0.2;
/** Lowest ratio used: the frontier never moves more than 50 times the rate. */
export const MIN_SHOW_RATIO = 0.02;
/** Most buckets folded per call, so one call stays cheap after a long idle time. */
export const MAX_FOLDS_PER_CALL = 200;
/** Most buckets recorded per call; a bigger jump (a huge rate change) starts the measuring over. */
export const MAX_OFFERS_PER_CALL = 1000;
/**
 * Most claims owed (or over) at a time, in seconds of the rate: 5% of a
 * minute, so making up never adds more than that to a minute. A shortfall
 * beyond it (the lag at the start of a surge when many leave) is forgotten;
 * with 10 s the surge lab's first full minute at 60% abandonment came in at
 * 1.16 in real time, paying back the minute before.
 */
export const MAX_OWED_SECONDS = 3;
/**
 * Most of an advance that making up may add (or hold back): the frontier moves
 * between 0.75 and 1.25 times its pace. A jump would reach holders who expect
 * their turn later and poll late: counted as gone, they would be made up again
 * (the surge lab oscillated at 60% abandonment with make-up at once).
 */
export const MAKE_UP_SHARE = 0.25;

/** The bucket of a position (1-based positions; bucket b holds b*10+1 .. b*10+10). */
export function bucketOf(position: number): number {
  return Math.floor((position - 1) / CLAIM_BUCKET);
}

/** Claims and offer times of the buckets not yet matured. */
export interface ClaimLedger {
  /** bucket -> time it was fully offered (store clock). */
  readonly offeredAt: Map<number, number>;
  /** bucket -> claims counted so far. */
  readonly claims: Map<number, number>;
  /** bucket -> claims the frontier counted on: each place offered counts the ratio in force then. */
  readonly expected: Map<number, number>;
  /**
   * Claims owed: counted on by matured buckets but not brought (negative: brought
   * beyond what was counted on). Made up by {@link makeUp}.
   */
  owed: number;
  /** Last bucket folded into the ratio. */
  folded: number;
  showRatio: number;
  /** Buckets folded since the ratio last started over. */
  samples: number;
  /** Admitted count when offers were last noted (a join's own admission lands between calls). */
  noted: number;
}

/** A ledger for a room whose first `admitted` places were offered before anyone measured. */
export function newLedger(admitted: number): ClaimLedger {
  return {
    offeredAt: new Map(),
    claims: new Map(),
    expected: new Map(),
    owed: 0,
    folded: Math.floor(admitted / CLAIM_BUCKET) - 1,
    showRatio: 1,
    samples: 0,
    noted: admitted,
  };
}

/**
 * Counts claims (admissions that happened) by bucket. A claim for a bucket
 * already folded (its holder polled late) corrects the ratio directly, by the
 * share that bucket would have gained: left out, late claims would make the
 * ratio too low and the room admit too fast.
 */
export function recordClaims(ledger: ClaimLedger, claims: ReadonlyMap<number, number>): void {
  for (const [bucket, count] of claims) {
    if (bucket > ledger.folded) {
      ledger.claims.set(bucket, (ledger.claims.get(bucket) ?? 0) + count);
    } else if (ledger.samples > 0) {
      const weight = Math.max(SMOOTHING, 1 / ledger.samples);
      ledger.showRatio = Math.min(1, ledger.showRatio + (weight * count) / CLAIM_BUCKET);
      ledger.owed -= count;
    }
  }
}

/**
 * Folds every bucket that has matured by `now` into the smoothed ratio, and
 * what it brought short of (or beyond) what was counted on into the claims
 * owed, bounded by {@link MAX_OWED_SECONDS} of `perMinute`.
 */
export function foldMatured(ledger: ClaimLedger, now: number, perMinute: number): void {
  for (let i = 0; i < MAX_FOLDS_PER_CALL; i++) {
    const bucket = ledger.folded + 1;
    const offeredAt = ledger.offeredAt.get(bucket);
    if (offeredAt === undefined || offeredAt > now - MATURE_MS) break;
    const claimed = Math.min(CLAIM_BUCKET, ledger.claims.get(bucket) ?? 0);
    ledger.owed += (ledger.expected.get(bucket) ?? CLAIM_BUCKET * ledger.showRatio) - claimed;
    ledger.samples += 1;
    ledger.showRatio += Math.max(SMOOTHING, 1 / ledger.samples) * (claimed / CLAIM_BUCKET - ledger.showRatio);
    ledger.offeredAt.delete(bucket);
    ledger.claims.delete(bucket);
    ledger.expected.delete(bucket);
    ledger.folded = bucket;
  }
  ledger.showRatio = Math.max(MIN_SHOW_RATIO, ledger.showRatio);
  const bound = (perMinute / 60) * MAX_OWED_SECONDS;
  ledger.owed = Math.min(bound, Math.max(-bound, ledger.owed));
}

/**
 * The share of its pace the frontier moves at while `owed` claims are owed:
 * less than 1 while claims over are held back.
 */
export function paceShare(owed: number): number {
  return owed < 0 ? 1 - MAKE_UP_SHARE : 1;
}

/**
 * The frontier after making up the claims owed, given the frontier before
 * this call's advance and after it. Owed claims move it on by owed/ratio
 * places, at most {@link MAKE_UP_SHARE} of the advance and up to `limit` (the
 * last ticket plus the lead, or the active-users ceiling): what cannot be
 * offered yet stays owed, unless the frontier is at `limit` (then nothing is owed).
 * Claims over hold back as much of the advance, so no place already offered is
 * taken back.
 *
 * @example
 * ```ts
 * // 3 claims owed at a ratio of 0.5 (6 places), an advance of 8 places: 2 more now.
 * makeUp(ledger, 100, 108, 500); // 110 (ledger.owed is now 2)
 * ```
 */
export function makeUp(ledger: ClaimLedger, before: number, after: number, limit: number): number {
  const share = Math.max(0, after - before) * MAKE_UP_SHARE;
  if (ledger.owed > 0) {
    const moved = Math.max(0, Math.min(ledger.owed / ledger.showRatio, limit - after, share));
    ledger.owed -= moved * ledger.showRatio;
    // At the limit nothing is owed: the queue is empty, or the cap holds the line (and its
    // ceiling already counts the no-shows).
    if (after + moved >= limit) ledger.owed = 0;
    return after + moved;
  }
  const held = Math.min(share, -ledger.owed / ledger.showRatio);
  ledger.owed += held * ledger.showRatio;
  return after - held;
}

/**
 * Notes when buckets became fully offered, as the admitted count went from
 * where it was last noted to `after`. A jump too big to note bucket by bucket
 * starts the measuring over past it (the ratio so far is kept).
 */
export function recordOffers(ledger: ClaimLedger, after: number, now: number): void {
  const from = ledger.noted;
  const first = Math.floor(from / CLAIM_BUCKET);
  const last = Math.floor(after / CLAIM_BUCKET) - 1;
  ledger.noted = Math.max(ledger.noted, after);
  if (after <= from) return;
  if (last - first + 1 <= MAX_OFFERS_PER_CALL) {
    // Each place offered is counted on for the ratio in force when it was offered.
    for (let bucket = first; bucket <= Math.floor((after - 1) / CLAIM_BUCKET); bucket++) {
      const places = Math.min(after, (bucket + 1) * CLAIM_BUCKET) - Math.max(from, bucket * CLAIM_BUCKET);
      ledger.expected.set(bucket, (ledger.expected.get(bucket) ?? 0) + places * ledger.showRatio);
    }
  }
  if (last < first) return;
  if (last - first + 1 > MAX_OFFERS_PER_CALL) {
    ledger.folded = last;
    ledger.owed = 0;
    ledger.offeredAt.clear();
    ledger.claims.clear();
    ledger.expected.clear();
    return;
  }
  for (let bucket = first; bucket <= last; bucket++) ledger.offeredAt.set(bucket, now);
}

/**
 * The queue emptied: the next surge starts from a ratio of 1, and places
 * offered while nobody waited are not measured (there was nothing to
 * compensate), except those offered within {@link MATURE_MS}: their holders
 * may still be on their way, which the active-users cap must count
 * (`active.ts`); they are measured when they mature.
 */
export function resetWhenCaughtUp(ledger: ClaimLedger, admitted: number, lastTicket: number, now: number): void {
  if (admitted < lastTicket) return;
  ledger.showRatio = 1;
  ledger.samples = 0;
  ledger.owed = 0;
  const caughtUp = Math.floor(admitted / CLAIM_BUCKET) - 1;
  let recent = false;
  for (let bucket = ledger.folded + 1; bucket <= Math.min(caughtUp, ledger.folded + MAX_FOLDS_PER_CALL); bucket++) {
    const offeredAt = ledger.offeredAt.get(bucket);
    if (offeredAt !== undefined && offeredAt > now - MATURE_MS) {
      recent = true;
      break;
    }
    ledger.offeredAt.delete(bucket);
    ledger.claims.delete(bucket);
    ledger.expected.delete(bucket);
    ledger.folded = bucket;
  }
  if (!recent) ledger.folded = Math.max(ledger.folded, caughtUp);
  for (const bucket of [...ledger.offeredAt.keys(), ...ledger.claims.keys()]) {
    if (bucket <= ledger.folded) {
      ledger.offeredAt.delete(bucket);
      ledger.claims.delete(bucket);
      ledger.expected.delete(bucket);
    }
  }
}
