import { CLOCK_LUA } from "./advance.ts";
import { CONSTANTS_LUA } from "./constants.ts";

/**
 * HISTORY: reads a room's per-minute rows over a range of minutes, with the
 * counters now, for the operator's stats and reports. Read-only; the
 * admission scripts write the rows (advance.ts, `history_row`).
 *
 * KEYS[1]  history_key   hash minute -> row (see advance.ts, KEYS[3])
 * KEYS[2]  state_key     hash of the room's counters (see advance.ts, KEYS[1])
 * ARGV[1]  now_arg       time in ms, or "" to use Redis TIME
 * ARGV[2]  from          first minute (ms since the epoch / 60 000); "" = HISTORY_MINUTES before now's minute
 * ARGV[3]  to            last minute; "" = now's minute. At most HISTORY_KEPT_MINUTES + 1 minutes are read
 *                        (the last ones of the range), one HMGET: a read never grows with the hash.
 *
 * Returns { now, frontier ('' = no state), last_ticket, minute, row, minute, row, ... }: the rows
 * present in the range, oldest first.
 */
export const HISTORY_LUA = `${CONSTANTS_LUA}
${CLOCK_LUA}
local history_key, state_key = KEYS[1], KEYS[2]
local now = now_ms(ARGV[1])
local last = tonumber(ARGV[3]) or math.floor(now / 60000)
local first = math.max(tonumber(ARGV[2]) or (math.floor(now / 60000) - HISTORY_MINUTES), last - HISTORY_KEPT_MINUTES)
local state = redis.call('HMGET', state_key, 'f', 't')
local reply = { now, state[1] or '', state[2] or '' }
if first > last then return reply end
local fields = {}
for minute = first, last do fields[#fields + 1] = minute end
local rows = redis.call('HMGET', history_key, unpack(fields))
for i, minute in ipairs(fields) do
  if rows[i] then
    reply[#reply + 1] = minute
    reply[#reply + 1] = rows[i]
  end
end
return reply
`;

/** Raw reply of {@link HISTORY_LUA}. */
export type HistoryReply = (string | number)[];
