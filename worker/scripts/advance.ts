/**
 * Lua fragment shared by the admission scripts: loads a room's counters and
 * advances the frontier, exactly as `advance()` in `admission.ts` does.
 *
 * Both scripts take the same KEYS and ARGV (documented in each), read here
 * into named locals: state_key, per_minute, burst, now_arg, ttl_ms.
 * Defines locals: now, frontier, last_ticket, updated_at.
 * Time comes from Redis TIME unless the caller passes one (tests, replay), so
 * every worker instance shares one clock; a caller's clock that runs backwards
 * advances nothing.
 */
export const ADVANCE_LUA = `
local state_key = KEYS[1]
local per_minute = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now_arg = ARGV[3]
local ttl_ms = tonumber(ARGV[4])
local now
if now_arg == nil or now_arg == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(now_arg)
end
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
local elapsed = now - updated_at
if elapsed < 0 then elapsed = 0 end
local advanced = math.min(frontier + per_minute / 60000 * elapsed, last_ticket + burst)
if advanced > frontier then frontier = advanced end
if now > updated_at then updated_at = now end
`;

/** Lua fragment: writes the counters back and renews the key's expiry, in the same script so no key is left without one. */
export const SAVE_LUA = `
redis.call('HSET', state_key, 'f', string.format('%.17g', frontier), 't', last_ticket, 'u', updated_at)
redis.call('PEXPIRE', state_key, ttl_ms)
`;
