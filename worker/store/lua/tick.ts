import {
  ADVANCE_LUA,
  SAVE_LUA,
  SETTINGS_REPLY_LUA,
  type SettingsTail,
  STATE_REPLY_LUA,
  type StateTail,
} from "./advance.ts";

/**
 * TICK: reads a room's frontier and live settings, advancing the frontier
 * first. Worker instances call it to refresh their cached view (about once a
 * second each), so the frontier moves with the traffic itself, with no cron
 * and no external driver, and operators' changes reach every instance.
 *
 * KEYS[1..9], ARGV[1..9]: as every admission script (see advance.ts).
 * ARGV[10] releases_since  store time of the newest release the instance knows (0 = none yet)
 *
 * Returns { frontier, last_ticket, now, show, active, ceiling, rate, mode, session, max, version, cursor, released... }:
 *   frontier     the advanced frontier, as a string (keeps its fraction)
 *   last_ticket  last position handed out
 *   now          the time used, ms
 *   show         the show ratio (no-show compensation), as a string
 *   active       visitors active (the active-users cap)
 *   ceiling      the highest frontier the cap allows, as a string; -1 = no cap
 *   rate, mode, session, max, version   the live settings (session, max "" = default)
 *   cursor       store time of the newest release returned (releases_since when none)
 *   released     up to 500 releases heard from 1 s before releases_since on, oldest first, each
 *                "<subject>@<released at ms>" (the overlap catches releases written in the same
 *                millisecond as the last read; the instance ignores ones it already knows)
 */
export const TICK_LUA = `
${ADVANCE_LUA}
${SAVE_LUA}
local reply = { ${STATE_REPLY_LUA}, ${SETTINGS_REPLY_LUA} }
local cursor = tonumber(ARGV[10]) or 0
local fresh = redis.call('ZRANGEBYSCORE', released_key, cursor - 1000, '+inf', 'WITHSCORES', 'LIMIT', 0, 500)
local released = {}
for i = 1, #fresh, 2 do
  released[#released + 1] = fresh[i]
  if tonumber(fresh[i + 1]) > cursor then cursor = tonumber(fresh[i + 1]) end
end
reply[#reply + 1] = cursor
for _, entry in ipairs(released) do reply[#reply + 1] = entry end
return reply
`;

/** Raw reply of {@link TICK_LUA}. */
export type TickReply = [...state: StateTail, ...settings: SettingsTail, cursor: number, ...released: string[]];
