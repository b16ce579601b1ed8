/**
 * Lua fragments shared by the admission scripts (JOIN and TICK take the same
 * KEYS and ARGV, documented in each).
 *
 * ADVANCE_LUA reads them into named locals (state_key, settings_key,
 * history_key, now, ttl_ms), loads the room's live settings (operators'
 * overrides in the settings hash, else the defaults passed in ARGV) and its
 * counters, and advances the frontier exactly as `advance()` in
 * `admission.ts` does. It defines: per_minute, mode, burst, session, version,
 * frontier, last_ticket, updated_at.
 *
 * Time comes from Redis TIME unless the caller passes one (tests, replay), so
 * every worker instance shares one clock; a caller's clock that runs
 * backwards advances nothing.
 */
export const ADVANCE_LUA = `
local state_key = KEYS[1]
local settings_key = KEYS[2]
local history_key = KEYS[3]
local now_arg = ARGV[3]
local ttl_ms = tonumber(ARGV[4])
local now
if now_arg == nil or now_arg == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(now_arg)
end
local live = redis.call('HMGET', settings_key, 'rate', 'mode', 'session', 'v')
local per_minute = tonumber(live[1]) or tonumber(ARGV[1])
local mode = live[2] or ARGV[2]
local session = live[3] or ''
local version = tonumber(live[4]) or 0
local burst = math.max(1, per_minute / 60)
local stored = redis.call('HMGET', state_key, 'f', 't', 'u')
local frontier, last_ticket, updated_at
if stored[1] then
  frontier = tonumber(stored[1])
  last_ticket = tonumber(stored[2])
  updated_at = tonumber(stored[3])
else
  frontier = burst
  last_ticket = 0
  updated_at = now
end
if mode ~= 'paused' then
  local elapsed = now - updated_at
  if elapsed < 0 then elapsed = 0 end
  local cap = last_ticket + burst
  if mode == 'queue-all' then cap = last_ticket end
  local advanced = math.min(frontier + per_minute / 60000 * elapsed, cap)
  if advanced > frontier then frontier = advanced end
end
if now > updated_at then updated_at = now end
-- Counters as of now, before this call's own change: the minute's snapshot if it is the first write.
local snapshot = last_ticket .. ':' .. math.min(math.floor(frontier), last_ticket)
`;

/**
 * SAVE_LUA writes the counters back with their expiry (in the same script, so
 * no key is ever left without one), and keeps the per-minute history: the
 * first write of each minute records "last_ticket:admitted" as they stood just
 * before that write, under the minute number, and drops minutes older than
 * the 30-minute window.
 */
export const SAVE_LUA = `
redis.call('HSET', state_key, 'f', string.format('%.17g', frontier), 't', last_ticket, 'u', updated_at)
redis.call('PEXPIRE', state_key, ttl_ms)
local minute = math.floor(updated_at / 60000)
if redis.call('HSETNX', history_key, minute, snapshot) == 1 then
  for _, field in ipairs(redis.call('HKEYS', history_key)) do
    if tonumber(field) < minute - 30 then redis.call('HDEL', history_key, field) end
  end
  redis.call('PEXPIRE', history_key, ttl_ms)
end
`;

/** The settings part of every admission script's reply: rate, mode, session minutes ('' = default), version. */
export const SETTINGS_REPLY_LUA = `tostring(per_minute), mode, session, version`;

/** The settings part of a JOIN or TICK reply (see {@link SETTINGS_REPLY_LUA}); session '' means the default. */
export type SettingsTail = [rate: string | number, mode: string, session: string | number, version: number];
