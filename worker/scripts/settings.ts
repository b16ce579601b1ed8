/**
 * SETTINGS: applies an operator's change to a room's live settings, all
 * fields at once (nothing is half-applied; of two operators, the last write
 * wins), and bumps the version so every instance can tell it changed.
 *
 * KEYS[1]  settings_key  hash {rate, mode, session, v}
 * ARGV[1]  rate          positions per minute, "" to leave as is, "-" to reset to the default
 * ARGV[2]  mode          mode name, "" to leave as is, "-" to reset
 * ARGV[3]  session       session minutes, "" to leave as is, "-" to reset
 *
 * Returns { rate, mode, session, version }: the stored overrides after the
 * change ('' where the default applies) and the new version.
 */
export const SETTINGS_LUA = `
local settings_key = KEYS[1]
local fields = { 'rate', 'mode', 'session' }
for i, field in ipairs(fields) do
  local value = ARGV[i]
  if value == '-' then
    redis.call('HDEL', settings_key, field)
  elseif value ~= nil and value ~= '' then
    redis.call('HSET', settings_key, field, value)
  end
end
local version = redis.call('HINCRBY', settings_key, 'v', 1)
local stored = redis.call('HMGET', settings_key, 'rate', 'mode', 'session')
return { stored[1] or '', stored[2] or '', stored[3] or '', version }
`;

/** Raw reply of {@link SETTINGS_LUA}. */
export type SettingsReply = [rate: string, mode: string, session: string, version: number];
