/**
 * The active-users cap (MAX_ACTIVE), as pure functions. Operators think in
 * shoppers at a time; the rate alone cannot promise that, because how long
 * people stay is up to them. So the room counts who is active and stops the
 * frontier when the count, plus the places already offered whose holders
 * have not come in yet, reaches the cap. When sessions end (the origin
 * releases them) or expire (no page view within the session length), places
 * open and the frontier moves again, never faster than the rate.
 *
 * "Active" means: a pass used within the last session length (SESSION_MINUTES,
 * or the operator's live value). Worker instances report the pass subjects
 * they see with their next store call (no store call of their own), at most
 * once per subject every {@link reportEveryMs}; so the store's view of a
 * visitor's last use lags by up to that much, and a visitor counts for up to
 * that long past the window: the count errs high, never low, so the cap holds.
 * The count and the ceiling are computed by the Lua in `store/lua/advance.ts`
 * (the one implementation); here are the rules the gate shares with it.
 */

/** SESSION_MINUTES' default (config.ts), for a room spec that does not say. */
export const DEFAULT_SESSION_MS = 600_000;

/** The session length in force: the operator's live minutes, else the deployed length. */
export function sessionLengthMs(operatorMinutes: number | null | undefined, deployedMs: number | undefined): number {
  return operatorMinutes ? operatorMinutes * 60_000 : (deployedMs ?? DEFAULT_SESSION_MS);
}

/** The active-users cap in force (0 = none): the operator's live value, else the deployed MAX_ACTIVE. */
export function activeCap(operator: number | null | undefined, deployed: number | undefined): number {
  return operator ?? deployed ?? 0;
}

/** Reports of a subject an instance keeps seeing, per session length at the least (see {@link reportEveryMs}). */
export const REPORTS_PER_SESSION = 4;
/** Longest interval between two reports of a subject an instance keeps seeing. */
export const MAX_REPORT_EVERY_MS = 60_000;

/** How often an instance reports a subject it keeps seeing: a quarter of the session, at most a minute. */
export function reportEveryMs(sessionMs: number): number {
  return Math.min(MAX_REPORT_EVERY_MS, sessionMs / REPORTS_PER_SESSION);
}

/** Last use (store clock) before which a subject no longer counts as active. */
export function activeSince(now: number, sessionMs: number): number {
  return now - sessionMs - reportEveryMs(sessionMs);
}

/** Most buckets looked at for pending claims (one call stays cheap after a long idle time). */
export const MAX_PENDING_BUCKETS = 2000;

/**
 * Whether a pass was released by the origin: its subject was released at or
 * after the pass was issued. A pass issued later (the visitor queued again
 * and was admitted anew) is not affected.
 */
export function isReleased(releasedAt: number | undefined, passIssuedAtSeconds: number): boolean {
  return releasedAt !== undefined && passIssuedAtSeconds * 1000 <= releasedAt;
}
