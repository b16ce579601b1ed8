/**
 * Lua fragments shared by the admission scripts (JOIN, TICK and CLAIM take the
 * same KEYS 1-9 and ARGV 1-9, documented here; each script documents its own
 * KEYS and ARGV from 10 on).
 *
 * KEYS[1]  state_key     hash {f = frontier, t = last ticket, u = updated at ms, s = show ratio,
 *                        b = last bucket folded, k = buckets folded, a = admitted when offers were
 *                        last noted} (see compensation.ts)
 * KEYS[2]  settings_key  hash of operators' overrides {rate, mode, session, max, v, rate_at, mode_at}
 * KEYS[3]  history_key   hash minute -> "last_ticket:admitted" (30-minute window)
 * KEYS[4]  events_key    hash {list = JSON array of scheduled events sorted by startsAt (null fields omitted), v}
 * KEYS[5]  prequeue_key  zset of pre-queue entries "<seq>:<visitor>", score seq + [0, 1) (lottery or arrival)
 * KEYS[6]  frozen_key    hash event seq -> last ticket before its pre-queue got its places
 * KEYS[7]  claims_key    hash "c<bucket>" -> claims, "o<bucket>" -> time fully offered (see compensation.ts)
 * KEYS[8]  active_key    zset pass subject -> last use reported (ms), the active visitors (see active.ts)
 * KEYS[9]  released_key  zset "<subject>@<released at ms>" -> time the store heard of it (ms)
 * ARGV[1]  default rate per minute (wrangler.toml), used unless overridden
 * ARGV[2]  default mode, used unless overridden
 * ARGV[3]  now_arg       time in ms, or "" to use Redis TIME
 * ARGV[4]  ttl_ms        expiry of the keys, renewed on every write
 * ARGV[5]  claims        the calling instance's claims since its last report, "bucket:count,..." ("" = none)
 * ARGV[6]  seen          pass subjects the instance saw in use since its last report, "sub,sub,..." ("" = none)
 * ARGV[7]  released      sessions the origin ended, "sub@ms,..." ("" = none)
 * ARGV[8]  max_active    the active-users cap (MAX_ACTIVE), 0 = none; an operator's value wins
 * ARGV[9]  session_ms    default session length (SESSION_MINUTES) in ms; an operator's value wins
 *
 * ADVANCE_LUA loads the live settings and the events, and advances the
 * frontier from the last update to now piece by piece, with the settings in
 * force in each piece, exactly as `advanceThrough()` in `schedule.ts` does. At
 * an event's start it freezes the event's pre-queue: the counter moves past
 * the pre-queue's size, so everyone pre-queued holds a place ahead of anyone
 * arriving later. It also keeps the no-show compensation of
 * `compensation.ts`: it counts the reported claims, folds matured buckets
 * into the show ratio, moves the frontier 1/show times faster, and notes
 * when buckets become fully offered. And it keeps the active-users cap of
 * `active.ts`: it records the reported subjects and releases, drops
 * subjects unused for the session length, and stops the frontier at the
 * ceiling (the places offered plus the room left under the cap, over the
 * show ratio). It defines: now, events, per_minute, mode, burst, session,
 * version, max_override, frontier, last_ticket, updated_at, show, active, ceiling,
 * session_ms, snapshot, and the functions prequeue_at(t), event_by_seq(seq),
 * freeze(event), count_claims(bucket, count).
 *
 * Time comes from Redis TIME unless the caller passes one (tests, replay), so
 * every worker instance shares one clock; a caller's clock that runs
 * backwards advances nothing.
 */
export const ADVANCE_LUA = `
local state_key = KEYS[1]
local settings_key = KEYS[2]
local history_key = KEYS[3]
local events_key = KEYS[4]
local prequeue_key = KEYS[5]
local frozen_key = KEYS[6]
local claims_key = KEYS[7]
local CLAIM_BUCKET = 10
local MATURE_MS = 6000
local SMOOTHING = 0.2
local MIN_SHOW = 0.02
local MAX_FOLDS = 200
local MAX_OFFERS = 1000
local MAX_PENDING = 2000
local default_rate = tonumber(ARGV[1])
local default_mode = ARGV[2]
local now_arg = ARGV[3]
local ttl_ms = tonumber(ARGV[4])
local now
if now_arg == nil or now_arg == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(now_arg)
end
local live = redis.call('HMGET', settings_key, 'rate', 'mode', 'session', 'v', 'rate_at', 'mode_at', 'max')
local live_rate = tonumber(live[1])
local live_mode = live[2]
local session = live[3] or ''
local version = tonumber(live[4]) or 0
local rate_at = tonumber(live[5]) or 0
local mode_at = tonumber(live[6]) or 0
local max_override = live[7] or ''
local events = {}
local raw_events = redis.call('HGET', events_key, 'list')
if raw_events then events = cjson.decode(raw_events) end

local function active_at(t)
  local found = nil
  for _, e in ipairs(events) do
    if e.startsAt <= t then found = e else break end
  end
  if found and found.endsAt and found.endsAt <= t then return nil end
  return found
end

local function settings_at(t)
  local rate = live_rate or default_rate
  local m = live_mode or default_mode
  local e = active_at(t)
  if e then
    if e.perMinute and rate_at < e.startsAt then rate = e.perMinute end
    if e.mode and mode_at < e.startsAt then m = e.mode end
  end
  return rate, m
end

local function prequeue_at(t)
  for _, e in ipairs(events) do
    if e.prequeueFrom and e.prequeueFrom <= t and t < e.startsAt then return e end
  end
  return nil
end

local function event_by_seq(seq)
  for _, e in ipairs(events) do
    if e.seq == seq then return e end
  end
  return nil
end

local per_minute, mode = settings_at(now)
local burst = math.max(1, per_minute / 60)
local stored = redis.call('HMGET', state_key, 'f', 't', 'u', 's', 'b', 'k', 'a')
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
local show = tonumber(stored[4]) or 1
local samples = tonumber(stored[6]) or 0
local folded = tonumber(stored[5]) or (math.floor(math.min(math.floor(frontier), last_ticket) / CLAIM_BUCKET) - 1)

-- Claims (admissions that happened) count for their bucket until the bucket is folded;
-- a late one (its holder polled late) corrects the ratio by the share its bucket would have gained.
local function count_claims(bucket, count)
  if bucket > folded then
    redis.call('HINCRBY', claims_key, 'c' .. bucket, count)
    redis.call('PEXPIRE', claims_key, ttl_ms)
  elseif samples > 0 then
    show = math.min(1, show + math.max(SMOOTHING, 1 / samples) * count / CLAIM_BUCKET)
  end
end
if ARGV[5] and ARGV[5] ~= '' then
  for bucket, count in string.gmatch(ARGV[5], '(%-?%d+):(%d+)') do count_claims(tonumber(bucket), tonumber(count)) end
end
for _ = 1, MAX_FOLDS do
  local bucket = folded + 1
  local offered_at = tonumber(redis.call('HGET', claims_key, 'o' .. bucket))
  if not offered_at or offered_at > now - MATURE_MS then break end
  local claimed = tonumber(redis.call('HGET', claims_key, 'c' .. bucket)) or 0
  samples = samples + 1
  show = show + math.max(SMOOTHING, 1 / samples) * (math.min(1, claimed / CLAIM_BUCKET) - show)
  redis.call('HDEL', claims_key, 'o' .. bucket, 'c' .. bucket)
  folded = bucket
end
if show < MIN_SHOW then show = MIN_SHOW end

-- Active visitors: subjects whose pass was used within the session length (plus the reporting lag).
local active_key = KEYS[8]
local released_key = KEYS[9]
local max_active = tonumber(max_override) or tonumber(ARGV[8]) or 0
local session_ms = tonumber(ARGV[9]) or 600000
if tonumber(session) then session_ms = tonumber(session) * 60000 end
local function see(subjects)
  local batch = {}
  for subject in string.gmatch(subjects, '[^,]+') do
    batch[#batch + 1] = now
    batch[#batch + 1] = subject
    if #batch >= 400 then
      redis.call('ZADD', active_key, unpack(batch))
      batch = {}
    end
  end
  if #batch > 0 then redis.call('ZADD', active_key, unpack(batch)) end
end
if ARGV[6] and ARGV[6] ~= '' then see(ARGV[6]) end
if ARGV[7] and ARGV[7] ~= '' then
  for subject, at in string.gmatch(ARGV[7], '([^,@]+)@(%d+)') do
    redis.call('ZREM', active_key, subject)
    redis.call('ZADD', released_key, now, subject .. '@' .. at)
  end
end
local active_since = now - session_ms - math.min(60000, session_ms / 4)
redis.call('ZREMRANGEBYSCORE', active_key, '-inf', '(' .. active_since)
redis.call('ZREMRANGEBYSCORE', released_key, '-inf', '(' .. active_since)
local active = redis.call('ZCARD', active_key)
if active > 0 then redis.call('PEXPIRE', active_key, ttl_ms) end
if redis.call('EXISTS', released_key) == 1 then redis.call('PEXPIRE', released_key, ttl_ms) end
-- The cap's ceiling: the places offered plus the room left, over the show ratio. Places offered
-- but not measured yet count as the claims they are expected to bring. -1 = no cap.
local ceiling = -1
if max_active > 0 then
  local offered_so_far = math.min(math.floor(frontier), last_ticket)
  local pending = 0
  local top = math.floor((offered_so_far - 1) / CLAIM_BUCKET)
  for bucket = folded + 1, math.min(top, folded + MAX_PENDING) do
    local offered = math.min(CLAIM_BUCKET, offered_so_far - bucket * CLAIM_BUCKET)
    local expected = offered * show - (tonumber(redis.call('HGET', claims_key, 'c' .. bucket)) or 0)
    if expected > 0 then pending = pending + expected end
  end
  ceiling = offered_so_far + math.max(0, max_active - active - pending) / show
end
-- Admitted count when offers were last noted (a join's own admission lands between calls).
local noted = tonumber(stored[7]) or math.min(math.floor(frontier), last_ticket)

-- Places the pre-queue of event e ahead of everyone arriving later (once).
local function freeze(e)
  if redis.call('HSETNX', frozen_key, e.seq, last_ticket) == 1 then
    redis.call('PEXPIRE', frozen_key, ttl_ms)
    last_ticket = last_ticket + redis.call('ZCOUNT', prequeue_key, e.seq, '(' .. (e.seq + 1))
  end
end

local function step(t1)
  local rate, m = settings_at(updated_at)
  if m ~= 'paused' then
    local elapsed = t1 - updated_at
    if elapsed < 0 then elapsed = 0 end
    local cap = last_ticket + math.max(1, rate / 60)
    if m == 'queue-all' then cap = last_ticket end
    if ceiling >= 0 and ceiling < cap then cap = ceiling end
    local advanced = math.min(frontier + rate / 60000 * elapsed / show, cap)
    if advanced > frontier then frontier = advanced end
    -- A lead nobody holds yet is withdrawn at the cap; places handed out are never taken back.
    if ceiling >= 0 and frontier > last_ticket and frontier > ceiling then frontier = math.max(last_ticket, ceiling) end
  end
  if t1 > updated_at then updated_at = t1 end
end

if not stored[1] then
  -- A new (or expired) room: any pre-queue whose event already started gets its places now.
  for _, e in ipairs(events) do
    if e.prequeueFrom and e.startsAt <= now then freeze(e) end
  end
end
for _, e in ipairs(events) do
  if e.startsAt > updated_at and e.startsAt <= now then
    step(e.startsAt)
    if e.prequeueFrom then freeze(e) end
  end
  if e.endsAt and e.endsAt > updated_at and e.endsAt <= now then step(e.endsAt) end
end
step(now)
-- Note when buckets became fully offered; a jump too big for that starts the measuring over past it.
local admitted_after = math.min(math.floor(frontier), last_ticket)
local first_bucket = math.floor(noted / CLAIM_BUCKET)
if admitted_after > noted then noted = admitted_after end
local last_bucket = math.floor(admitted_after / CLAIM_BUCKET) - 1
if last_bucket - first_bucket + 1 > MAX_OFFERS then
  folded = last_bucket
  redis.call('DEL', claims_key)
elseif last_bucket >= first_bucket then
  for bucket = first_bucket, last_bucket do redis.call('HSET', claims_key, 'o' .. bucket, now) end
  redis.call('PEXPIRE', claims_key, ttl_ms)
end
-- The queue emptied: the next surge starts from a show ratio of 1, and places
-- offered while nobody waited are not measured, except those offered within
-- MATURE_MS: their holders may still be on their way, which the active-users
-- cap must count (they are measured when they mature).
if admitted_after >= last_ticket then
  show = 1
  samples = 0
  local caught_up = math.floor(admitted_after / CLAIM_BUCKET) - 1
  local recent = false
  for bucket = folded + 1, math.min(caught_up, folded + MAX_FOLDS) do
    local offered_at = tonumber(redis.call('HGET', claims_key, 'o' .. bucket))
    if offered_at and offered_at > now - MATURE_MS then
      recent = true
      break
    end
    redis.call('HDEL', claims_key, 'o' .. bucket, 'c' .. bucket)
    folded = bucket
  end
  if not recent and caught_up > folded then folded = caught_up end
end
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
redis.call('HSET', state_key, 'f', string.format('%.17g', frontier), 't', last_ticket, 'u', updated_at,
  's', string.format('%.17g', show), 'b', folded, 'k', samples, 'a', noted)
redis.call('PEXPIRE', state_key, ttl_ms)
local minute = math.floor(updated_at / 60000)
if redis.call('HSETNX', history_key, minute, snapshot) == 1 then
  for _, field in ipairs(redis.call('HKEYS', history_key)) do
    if tonumber(field) < minute - 30 then redis.call('HDEL', history_key, field) end
  end
  redis.call('PEXPIRE', history_key, ttl_ms)
end
`;

/**
 * The settings part of every admission script's reply: rate, mode, session minutes, active-users
 * cap ('' = the default for either), version.
 */
export const SETTINGS_REPLY_LUA = `tostring(per_minute), mode, session, max_override, version`;

/**
 * The state part of every admission script's reply: frontier (string, keeps
 * its fraction), last ticket, now, show ratio (string), active visitors, the
 * cap's ceiling (string; -1 = no cap).
 */
export const STATE_REPLY_LUA = `string.format('%.17g', frontier), last_ticket, updated_at, string.format('%.17g', show), active, string.format('%.17g', ceiling)`;

/** The state part of a reply (see {@link STATE_REPLY_LUA}). */
export type StateTail = [
  frontier: string | number,
  lastTicket: number,
  now: number,
  show: string | number,
  active: number,
  ceiling: string | number,
];

/** The settings part of a JOIN or TICK reply (see {@link SETTINGS_REPLY_LUA}); '' means the default. */
export type SettingsTail = [
  rate: string | number,
  mode: string,
  session: string | number,
  max: string | number,
  version: number,
];
