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
 * `store/lua/advance.ts` implements these rules (the one implementation);
 * here are their constants, which it takes, and the bucket of a position,
 * which instances use to report their claims.
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
