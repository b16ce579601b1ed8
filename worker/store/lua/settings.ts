import { CLOCK_LUA } from "./advance.ts";
import { AUTOPILOT_RULES_LUA } from "./autopilot.ts";
import { CONSTANTS_LUA } from "./constants.ts";

/**
 * SETTINGS: applies an operator's change to a room's live settings, all
 * fields at once (nothing is half-applied; of two operators, the last write
 * wins), bumps the version so every instance can tell it changed, and notes
 * when the rate, mode and autopilot on/off were changed: a change made after
 * a scheduled event's start wins over the event (see schedule.ts).
 *
 * The autopilot (see autopilot.ts) takes an operator's rate as its new
 * starting point: a rate given sets its rate r (changed now, kind 'set') and
 * logs the change with the code 'operator'. A rate reset ("-") or autopilot
 * turned on clears r, so the next admission script starts it again from the
 * rate in force ('started').
 *
 * KEYS[1]  settings_key  hash {rate, mode, session, max, v, rate_at, mode_at, ap, ap_at, ap_min, ap_max,
 *                        ap_p95, ap_err, ap_timeout}
 * KEYS[2]  autopilot_key hash: the autopilot's state (see advance.ts, KEYS[13] of the admission scripts)
 * KEYS[3]  autopilot_log zset of the rate's changes (see advance.ts, KEYS[14])
 * ARGV[1]  rate          positions per minute, "" to leave as is, "-" to reset to the default
 * ARGV[2]  mode          mode name, "" to leave as is, "-" to reset
 * ARGV[3]  session       session minutes, "" to leave as is, "-" to reset
 * ARGV[4]  max           active-users cap (0 = none), "" to leave as is, "-" to reset
 * ARGV[5]  ttl_ms        expiry of the autopilot's keys, renewed when written (as the room's state)
 * ARGV[6]  ap            autopilot "on" / "off", "" to leave as is, "-" to reset to the deployed default
 * ARGV[7]  ap_min        autopilot's least rate per minute, "" to leave as is, "-" to reset
 * ARGV[8]  ap_max        autopilot's highest rate per minute, "" to leave as is, "-" to reset
 * ARGV[9]  ap_p95        origin p95 target (ms), "" to leave as is, "-" to reset
 * ARGV[10] ap_err        origin's highest error share, "" to leave as is, "-" to reset
 * ARGV[11] ap_timeout    origin timeout (ms), "" to leave as is, "-" to reset
 * ARGV[12] now_arg       time in ms, or "" to use Redis TIME
 * ARGV[13] default_rate  the deployed rate (ADMIT_PER_MINUTE): the rate a change is logged as coming
 *                        from when neither the autopilot nor an operator had set one
 * ARGV[14] default_ap    the deployed AUTOPILOT ("on" / "off"): whether it was on before this change
 *                        when no operator had switched it
 *
 * Returns { rate, mode, session, max, version, ap, ap_min, ap_max, ap_p95, ap_err, ap_timeout,
 * autopilot_rate }: the stored overrides after the change ('' where the default applies), the new
 * version, and the autopilot's rate r after the change ('' when it has none: it starts at the next
 * admission script).
 */
export const SETTINGS_LUA = `${CONSTANTS_LUA}
${CLOCK_LUA}
${AUTOPILOT_RULES_LUA}
local settings_key, autopilot_key, log_key = KEYS[1], KEYS[2], KEYS[3]
local ttl_ms = tonumber(ARGV[5])
local now = now_ms(ARGV[12])
-- The rate in force before this change (events aside): the autopilot's, else the operator's, else the default.
local before = tonumber(redis.call('HGET', autopilot_key, 'r')) or tonumber(redis.call('HGET', settings_key, 'rate'))
  or tonumber(ARGV[13])
-- Whether it was on (events aside): "on" sent again while on (a client writing back what it read)
-- must not restart it.
local was_on = (redis.call('HGET', settings_key, 'ap') or ARGV[14]) == 'on'
-- field, its ARGV index, and whether the time of its change is noted (<field>_at) for the events.
local fields = { { 'rate', 1, true }, { 'mode', 2, true }, { 'session', 3, false }, { 'max', 4, false },
  { 'ap', 6, true }, { 'ap_min', 7, false }, { 'ap_max', 8, false }, { 'ap_p95', 9, false },
  { 'ap_err', 10, false }, { 'ap_timeout', 11, false } }
for _, f in ipairs(fields) do
  local field, value, noted = f[1], ARGV[f[2]], f[3]
  if value == '-' then
    redis.call('HDEL', settings_key, field)
  elseif value ~= nil and value ~= '' then
    redis.call('HSET', settings_key, field, value)
  end
  if noted and value ~= nil and value ~= '' then redis.call('HSET', settings_key, field .. '_at', now) end
end
local rate, ap = ARGV[1] or '', ARGV[6] or ''
if rate == '-' or (ap == 'on' and not was_on) then
  redis.call('HDEL', autopilot_key, 'r')
elseif rate ~= '' then
  local previous = before or tonumber(rate)
  redis.call('HSET', autopilot_key, 'r', rate, 'c', string.format('%d', now), 'k', 'set', 'h', '')
  redis.call('PEXPIRE', autopilot_key, ttl_ms)
  log_change(log_key, now, previous, tonumber(rate), 'operator', nil, nil, ttl_ms)
end
local version = redis.call('HINCRBY', settings_key, 'v', 1)
local stored = redis.call('HMGET', settings_key, 'rate', 'mode', 'session', 'max', 'ap', 'ap_min', 'ap_max',
  'ap_p95', 'ap_err', 'ap_timeout')
local reply = {}
for i = 1, 10 do reply[i] = stored[i] or '' end
table.insert(reply, 5, version)
reply[12] = redis.call('HGET', autopilot_key, 'r') or ''
return reply
`;

/** Raw reply of {@link SETTINGS_LUA}. */
export type SettingsReply = [
  rate: string,
  mode: string,
  session: string,
  max: string,
  version: number,
  autopilot: string,
  autopilotMinRate: string,
  autopilotMaxRate: string,
  originTargetP95Ms: string,
  originMaxErrorRate: string,
  originTimeoutMs: string,
  autopilotRate: string,
];
