import { CLOCK_LUA } from "./advance.ts";

/**
 * SETTINGS: applies an operator's change to a room's live settings, all
 * fields at once (nothing is half-applied; of two operators, the last write
 * wins), bumps the version so every instance can tell it changed, and notes
 * when the rate and mode were changed: a change made after a scheduled
 * event's start wins over the event (see schedule.ts).
 *
 * KEYS[1]  settings_key  hash {rate, mode, session, max, v, rate_at, mode_at}
 * ARGV[1]  rate          positions per minute, "" to leave as is, "-" to reset to the default
 * ARGV[2]  mode          mode name, "" to leave as is, "-" to reset
 * ARGV[3]  session       session minutes, "" to leave as is, "-" to reset
 * ARGV[4]  max           active-users cap (0 = none), "" to leave as is, "-" to reset
 * ARGV[5]  now_arg       time in ms, or "" to use Redis TIME
 *
 * Returns { rate, mode, session, max, version }: the stored overrides after the
 * change ('' where the default applies) and the new version.
 */
export const SETTINGS_LUA = `${CLOCK_LUA}
local settings_key = KEYS[1]
local now = now_ms(ARGV[5])
local fields = { 'rate', 'mode', 'session', 'max' }
for i, field in ipairs(fields) do
  local value = ARGV[i]
  if value == '-' then
    redis.call('HDEL', settings_key, field)
  elseif value ~= nil and value ~= '' then
    redis.call('HSET', settings_key, field, value)
  end
  if i < 3 and value ~= nil and value ~= '' then redis.call('HSET', settings_key, field .. '_at', now) end
end
local version = redis.call('HINCRBY', settings_key, 'v', 1)
local stored = redis.call('HMGET', settings_key, 'rate', 'mode', 'session', 'max')
return { stored[1] or '', stored[2] or '', stored[3] or '', stored[4] or '', version }
`;

/** Raw reply of {@link SETTINGS_LUA}. */
export type SettingsReply = [rate: string, mode: string, session: string, max: string, version: number];
