import { ADVANCE_LUA, SAVE_LUA } from "./advance.ts";

/**
 * TICK: reads a room's frontier, advancing it first. Called by worker
 * instances to refresh their cached frontier (about once a second each), so
 * the frontier moves with the traffic itself: no cron, no external driver.
 *
 * KEYS[1]  state_key   hash {f = frontier, t = last ticket, u = updated at ms}
 * ARGV[1]  per_minute  admission rate, positions per minute
 * ARGV[2]  burst       most positions the frontier may lead the last ticket by
 * ARGV[3]  now_arg     time in ms, or "" to use Redis TIME
 * ARGV[4]  ttl_ms      expiry of the state key, renewed on every write
 *
 * Returns { frontier, last_ticket, now }:
 *   frontier     the advanced frontier, as a string (keeps its fraction)
 *   last_ticket  last position handed out
 *   now          the time used, ms
 */
export const TICK_LUA = `
${ADVANCE_LUA}
${SAVE_LUA}
return { string.format('%.17g', frontier), last_ticket, updated_at }
`;

/** Raw reply of {@link TICK_LUA}. */
export type TickReply = [frontier: string, lastTicket: number, now: number];
