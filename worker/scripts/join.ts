import { ADVANCE_LUA, SAVE_LUA } from "./advance.ts";

/**
 * JOIN: a newcomer arrives. Atomically advances the frontier, hands out the
 * next position, and says whether that position is already admitted (nobody
 * waits and the rate allows) or must queue. One call per newcomer; no
 * check-then-write race is possible because Redis runs the script alone.
 *
 * KEYS[1]  state_key   hash {f = frontier, t = last ticket, u = updated at ms}
 * ARGV[1]  per_minute  admission rate, positions per minute
 * ARGV[2]  burst       most positions the frontier may lead the last ticket by
 * ARGV[3]  now_arg     time in ms, or "" to use Redis TIME
 * ARGV[4]  ttl_ms      expiry of the state key, renewed on every write
 *
 * Returns { admitted, position, frontier, last_ticket, now }:
 *   admitted     1 when the newcomer goes straight in, 0 when queued
 *   position     the newcomer's position
 *   frontier     the advanced frontier, as a string (keeps its fraction)
 *   last_ticket  equal to position
 *   now          the time used, ms
 */
export const JOIN_LUA = `
${ADVANCE_LUA}
last_ticket = last_ticket + 1
local admitted = 0
if last_ticket <= frontier then admitted = 1 end
${SAVE_LUA}
return { admitted, last_ticket, string.format('%.17g', frontier), last_ticket, updated_at }
`;

/** Raw reply of {@link JOIN_LUA}. */
export type JoinReply = [admitted: number, position: number, frontier: string, lastTicket: number, now: number];
