import { ADVANCE_LUA, SAVE_LUA, SETTINGS_REPLY_LUA, type SettingsTail } from "./advance.ts";

/**
 * JOIN: a newcomer arrives. Atomically advances the frontier, hands out the
 * next position, and says whether that position is already admitted (nobody
 * waits and the rate allows) or must queue. One call per newcomer; no
 * check-then-write race is possible because Redis runs the script alone.
 *
 * KEYS[1]  state_key     hash {f = frontier, t = last ticket, u = updated at ms}
 * KEYS[2]  settings_key  hash of operators' overrides {rate, mode, session, v}
 * KEYS[3]  history_key   hash minute -> "last_ticket:admitted" (30-minute window)
 * ARGV[1]  default rate per minute (wrangler.toml), used unless overridden
 * ARGV[2]  default mode, used unless overridden
 * ARGV[3]  now_arg       time in ms, or "" to use Redis TIME
 * ARGV[4]  ttl_ms        expiry of the keys, renewed on every write
 *
 * Returns { outcome, position, frontier, last_ticket, now, rate, mode, session, version }:
 *   outcome      1 straight in, 0 queued, 2 closed (no ticket given), 3 passthrough (in, no position)
 *   position     the newcomer's position (0 unless outcome is 0 or 1)
 *   frontier     the advanced frontier, as a string (keeps its fraction)
 *   last_ticket  last position handed out
 *   now          the time used, ms
 *   rate, mode, session, version   the live settings (session '' = default)
 */
export const JOIN_LUA = `
${ADVANCE_LUA}
local outcome = 0
local position = 0
if mode == 'closed' then
  outcome = 2
elseif mode == 'passthrough' then
  outcome = 3
else
  last_ticket = last_ticket + 1
  position = last_ticket
  if position <= frontier and mode ~= 'queue-all' then outcome = 1 end
end
${SAVE_LUA}
return { outcome, position, string.format('%.17g', frontier), last_ticket, updated_at, ${SETTINGS_REPLY_LUA} }
`;

/** Raw reply of {@link JOIN_LUA}. */
export type JoinReply = [
  outcome: number,
  position: number,
  frontier: string | number,
  lastTicket: number,
  now: number,
  ...settings: SettingsTail,
];
