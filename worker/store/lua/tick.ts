import { admissionScript, type SettingsTail, type StateTail } from "./advance.ts";

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
 *   released     up to RELEASES_PER_TICK releases heard from RELEASES_OVERLAP_MS before
 *                releases_since on, oldest first, each "<subject>@<released at ms>" (the overlap
 *                catches releases written in the same millisecond as the last read; the instance
 *                ignores ones it already knows)
 */
export const TICK_LUA = admissionScript(`
local keys = room_keys(KEYS)
local args = room_args(ARGV)
local releases_since = tonumber(ARGV[10]) or 0

local room, settings = open_room(keys, args)
save_room(room, keys, args.ttl_ms)
local fresh = redis.call('ZRANGEBYSCORE', keys.released, releases_since - RELEASES_OVERLAP_MS, '+inf',
  'WITHSCORES', 'LIMIT', 0, RELEASES_PER_TICK)
local cursor = releases_since
local released = {}
for i = 1, #fresh, 2 do
  released[#released + 1] = fresh[i]
  if tonumber(fresh[i + 1]) > cursor then cursor = tonumber(fresh[i + 1]) end
end
return flatten(state_reply(room), settings_reply(settings), { cursor }, released)
`);

/** Raw reply of {@link TICK_LUA}. */
export type TickReply = [...state: StateTail, ...settings: SettingsTail, cursor: number, ...released: string[]];
