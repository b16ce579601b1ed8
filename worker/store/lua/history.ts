/**
 * HISTORY: reads a room's per-minute snapshots for the operator's stats.
 * Read-only; the admission scripts write them.
 *
 * KEYS[1]  history_key   hash minute -> "last_ticket:admitted"
 *
 * Returns a flat list { minute, "last_ticket:admitted", ... } (HGETALL).
 */
export const HISTORY_LUA = `return redis.call('HGETALL', KEYS[1])`;

/** Raw reply of {@link HISTORY_LUA}. */
export type HistoryReply = (string | number)[];
