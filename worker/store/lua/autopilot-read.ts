import { CLOCK_LUA } from "./advance.ts";
import { CONSTANTS_LUA } from "./constants.ts";

/**
 * AUTOPILOT_READ: what the autopilot remembers, its recent changes and the
 * origin's slots, for the operator's stats. Read-only; the admission scripts
 * write them (see autopilot.ts).
 *
 * KEYS[1]  origin_key     hash (second mod WINDOW_SLOTS) -> "<second>,<sample>" (see advance.ts, KEYS[12])
 * KEYS[2]  autopilot_key  hash: the autopilot's state (see advance.ts, KEYS[13])
 * KEYS[3]  log_key        zset "<at>:<from>:<to>:<code>:<x>:<y>" -> at (see advance.ts, KEYS[14])
 * ARGV[1]  now_arg        time in ms, or "" to use Redis TIME
 *
 * Returns { now, r, d, o, c, k, b, g, l, q, e, h, a, n, count, change..., field, slot, field, slot, ... }:
 *   now          the time used, ms
 *   r ... n      the autopilot hash's fields ('' where absent; r '' = not started)
 *   count        how many changes follow: those of the last HISTORY_MINUTES, oldest first
 *   field, slot  the origin hash as stored (HGETALL): the reader keeps the slots of the last minute
 */
export const AUTOPILOT_READ_LUA = `${CONSTANTS_LUA}
${CLOCK_LUA}
local origin_key, autopilot_key, log_key = KEYS[1], KEYS[2], KEYS[3]
local now = now_ms(ARGV[1])
local stored = redis.call('HMGET', autopilot_key, 'r', 'd', 'o', 'c', 'k', 'b', 'g', 'l', 'q', 'e', 'h', 'a', 'n')
local reply = { now }
for i = 1, 13 do reply[i + 1] = stored[i] or '' end
local changes = redis.call('ZRANGEBYSCORE', log_key, string.format('%d', now - HISTORY_MINUTES * 60000), '+inf')
reply[#reply + 1] = #changes
for _, change in ipairs(changes) do reply[#reply + 1] = change end
for _, value in ipairs(redis.call('HGETALL', origin_key)) do reply[#reply + 1] = value end
return reply
`;

/** Raw reply of {@link AUTOPILOT_READ_LUA}. */
export type AutopilotReadReply = (string | number)[];
