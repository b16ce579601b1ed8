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
 * `store/lua/advance.ts` implements the same rules.
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
    }
  }
}

/** Folds every bucket that has matured by `now` into the smoothed ratio. */
export function foldMatured(ledger: ClaimLedger, now: number): void {
  for (let i = 0; i < MAX_FOLDS_PER_CALL; i++) {
    const bucket = ledger.folded + 1;
    const offeredAt = ledger.offeredAt.get(bucket);
    if (offeredAt === undefined || offeredAt > now - MATURE_MS) break;
    const ratio = Math.min(1, (ledger.claims.get(bucket) ?? 0) / CLAIM_BUCKET);
    ledger.samples += 1;
    ledger.showRatio += Math.max(SMOOTHING, 1 / ledger.samples) * (ratio - ledger.showRatio);
    ledger.offeredAt.delete(bucket);
    ledger.claims.delete(bucket);
    ledger.folded = bucket;
  }
  ledger.showRatio = Math.max(MIN_SHOW_RATIO, ledger.showRatio);
}

/**
 * Notes when buckets became fully offered, as the admitted count went from
 * where it was last noted to `after`. A jump too big to note bucket by bucket
 * starts the measuring over past it (the ratio so far is kept).
 */
export function recordOffers(ledger: ClaimLedger, after: number, now: number): void {
  const first = Math.floor(ledger.noted / CLAIM_BUCKET);
  const last = Math.floor(after / CLAIM_BUCKET) - 1;
  ledger.noted = Math.max(ledger.noted, after);
  if (last < first) return;
  if (last - first + 1 > MAX_OFFERS_PER_CALL) {
    ledger.folded = last;
    ledger.offeredAt.clear();
    ledger.claims.clear();
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
    ledger.folded = bucket;
  }
  if (!recent) ledger.folded = Math.max(ledger.folded, caughtUp);
  for (const bucket of [...ledger.offeredAt.keys(), ...ledger.claims.keys()]) {
    if (bucket <= ledger.folded) {
      ledger.offeredAt.delete(bucket);
      ledger.claims.delete(bucket);
    }
  }
}
