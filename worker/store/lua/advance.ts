/**
 * The Lua library the admission scripts (JOIN, TICK, CLAIM) share: what every
 * one of them does before and after its own part, as `local function`s with
 * explicit parameters and results. Nothing in it is a variable shared
 * implicitly: at the top level it holds only constants (from
 * `constants.ts`) and functions, and a script's body names everything it
 * uses. Redis EVAL cannot `require`, so {@link admissionScript} writes the
 * library in front of each script's body; each script is one self-contained
 * text.
 *
 * The three scripts take the same KEYS 1-15 and ARGV 1-13, named by
 * `room_keys(KEYS)` and `room_args(ARGV)`; each documents its own entries
 * from KEYS[16] and ARGV[14] on.
 *
 * KEYS[1]  state     hash {f = frontier, t = last ticket, u = updated at ms, s = show ratio,
 *                    b = last bucket folded, k = buckets folded, a = admitted when offers were
 *                    last noted (see compensation.ts), e = epoch (ms the state was created or
 *                    restored; absent = 0), o = the epoch's base (last ticket it was restored at),
 *                    r = restored at (ms; absent unless restored), q = the epoch restored from (the
 *                    caller's), l = the cap of tickets older than q (-1 or absent = none)} (see restore_room)
 * KEYS[2]  settings  hash of operators' overrides {rate, mode, session, max, v, rate_at, mode_at, ap
 *                    ('on' / 'off'), ap_at, ap_min, ap_max, ap_p95, ap_err, ap_timeout} (see settings.ts)
 * KEYS[3]  history   hash minute -> "last_ticket:admitted:rate:requests:errors:p95:p50:epoch:base|peak_queue:peak_active:used"
 *                    (at the minute's first write: rate in force, the origin over the last minute, p95 and
 *                    p50 '' without requests, the room's epoch and base; after '|' the minute's running peaks
 *                    and places used first); HISTORY_KEPT_MINUTES (48 h) of rows; older rows hold
 *                    "last_ticket:admitted", lack the '|' part, or lack epoch and base
 * KEYS[4]  events    hash {list = JSON array of scheduled events sorted by startsAt (null fields omitted), v}
 * KEYS[5]  prequeue  zset of pre-queue entries "<seq>:<visitor>", score seq + [0, 1) (lottery or arrival)
 * KEYS[6]  frozen    hash event seq -> last ticket before its pre-queue got its places
 * KEYS[7]  claims    hash "c<bucket>" -> claims, "o<bucket>" -> time fully offered (see compensation.ts)
 * KEYS[8]  active    zset pass subject -> last use reported (ms), the active visitors (see active.ts)
 * KEYS[9]  released  zset "<subject>@<released at ms>" -> time the store heard of it (ms)
 * KEYS[10] consumed  string, a bitmap by position: bit p set once position p's place was used (its
 *                    ticket's first admission); 1 bit per position handed out
 * KEYS[11] consumed_feed  zset "<position>[.<device>],..." (the places one script call used first) ->
 *                    feed time (ms, strictly increasing), the last CONSUMED_FEED_MS of it
 * KEYS[12] origin    hash (second mod WINDOW_SLOTS) -> "<second>,<sample>" (second = floor(ms / SLOT_MS),
 *                    sample as encodeSample): the fleet's origin figures, one slot per second (autopilot.ts)
 * KEYS[13] autopilot hash: the autopilot's state {r rate, d decided at, o offered, a offered at, c changed at, k last
 *                    kind, b breach rate, g healthy rate, l learned, q cut p95, e cut error rate, n cut
 *                    requests, h last hold reason ('' when the last decision changed the rate)}
 * KEYS[14] autopilot_log  zset "<at>:<from>:<to>:<code>:<x>:<y>" -> at (ms): the rate's changes, the last
 *                    HISTORY_MINUTES of them (x, y: the reason's figures, '' when none)
 * KEYS[15] fleet     zset instance id -> last call (ms): the instances heard from within FLEET_WINDOW_MS
 *                    (at most FLEET_MAX ids; see note_instance)
 * ARGV[1]  default_rate  default rate per minute (wrangler.toml), used unless overridden
 * ARGV[2]  default_mode  default mode, used unless overridden
 * ARGV[3]  now           time in ms, or "" to use Redis TIME
 * ARGV[4]  ttl_ms        expiry of the keys, renewed on every write
 * ARGV[5]  consumed      places the calling instance used since its last report (its admissions by
 *                        ticket), "<position>[.<device>],..." ("" = none); device: a short hex hint of
 *                        the client admitted. Each counts as a claim the first time the store hears of it.
 * ARGV[6]  seen          pass subjects the instance saw in use since its last report, "sub,sub,..." ("" = none)
 * ARGV[7]  released      sessions the origin ended, "sub@ms,..." ("" = none)
 * ARGV[8]  max_active    the active-users cap (MAX_ACTIVE), 0 = none; an operator's value wins
 * ARGV[9]  session_ms    default session length (SESSION_MINUTES) in ms; an operator's value wins
 * ARGV[10] origin        the origin's answers to the instance's admitted visitors since its last report,
 *                        "requests,errors,bin1,...,binN" (encodeSample; '' = none); anything else is ignored
 * ARGV[11] autopilot     the autopilot's deployed settings, "on|off,min,max,target_p95_ms,max_error_rate,
 *                        timeout_ms"; '' = the room has no autopilot (off, whatever an operator or event says)
 * ARGV[12] instance      the calling instance's id (12 hex characters, random per worker instance; '' = not
 *                        counted: tests, tools). TICK and JOIN count it (note_instance): an instance that
 *                        only takes newcomers may not tick for a while, and JOIN's batches (join.ts) share
 *                        the cost (5-10 us per call measured before batching); CLAIM does not, and
 *                        replies 0 instances
 * ARGV[13] known         what the calling instance has seen of the room, "epoch,frontier,last_ticket,base,floor"
 *                        (the epoch of its newest reply, the highest frontier and last ticket it saw in
 *                        replies and tickets, that epoch's base and floor, -1 = none; '' = nothing; the last
 *                        two may be left out): a state found missing is restored from it (restore_room)
 *
 * A script's body reads, in order: `open_room(keys, args)` (load, take in the
 * instance's report, advance to now), its own part, `save_room(room, keys,
 * ttl_ms)`, and a reply built from `state_reply(room)` and
 * `settings_reply(settings)`. These scripts are the one implementation of the
 * admission rules described in `model/` (admission, schedule, compensation,
 * active); the store contract suites run them on real Redis and on the
 * embedded engine (`tools/embedded-redis/`), and a differential test requires
 * both to answer alike.
 */
import { AUTOPILOT_RULES_LUA, AUTOPILOT_STEER_LUA } from "./autopilot.ts";
import { CONSTANTS_LUA } from "./constants.ts";

/**
 * `now_ms(now_arg) -> now`: the time in ms. The caller's (tests, replay) when
 * given, else Redis TIME, so every worker instance shares one clock. Touches no key.
 */
export const CLOCK_LUA = `
-- now_ms(now_arg) -> now (ms). now_arg: the caller's time, or '' / nil for Redis TIME. Keys: none.
local function now_ms(now_arg)
  if now_arg == nil or now_arg == '' then
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return tonumber(now_arg)
end
`;

/** `room_keys(KEYS)`, `room_args(ARGV)`: the shared KEYS (1-15) and ARGV (1-13) by name. */
const INPUTS_LUA = `
-- room_keys(KEYS) -> keys: KEYS[1..15] by name (state, settings, history, events, prequeue, frozen,
-- claims, active, released, consumed, consumed_feed, origin, autopilot, autopilot_log, fleet).
local function room_keys(k)
  return { state = k[1], settings = k[2], history = k[3], events = k[4], prequeue = k[5], frozen = k[6],
    claims = k[7], active = k[8], released = k[9], consumed = k[10], consumed_feed = k[11], origin = k[12],
    autopilot = k[13], autopilot_log = k[14], fleet = k[15] }
end

-- known_of(text) -> { epoch, frontier, last_ticket, base, floor }: ARGV[13] parsed, each a finite number
-- >= 0 (0 when absent or unreadable; floor -1), last_ticket a whole number within MAX_POSITION. Keys: none.
local function known_of(text)
  local function finite(x)
    local n = tonumber(x)
    if n and n == n and n >= 0 and n ~= math.huge then return n end
    return nil
  end
  local parts = {}
  -- Each field ends at its comma (one added at the end), so every engine splits alike.
  for part in string.gmatch((text or '') .. ',', '([^,]*),') do parts[#parts + 1] = part end
  return { epoch = finite(parts[1]) or 0, frontier = finite(parts[2]) or 0,
    last_ticket = math.min(math.floor(finite(parts[3]) or 0), MAX_POSITION), base = finite(parts[4]) or 0,
    floor = finite(parts[5]) or -1 }
end

-- room_args(ARGV) -> args: ARGV[1..13] by name and parsed: default_rate, default_mode, now (ms; Redis
-- TIME when ARGV[3] is ''), ttl_ms, consumed, seen, released ('' = none), max_active (nil when not
-- given), session_ms, origin (the report, '' = none), autopilot (autopilot_defaults(ARGV[11]): nil when
-- the room has no autopilot), instance ('' = not counted), known (known_of(ARGV[13])).
local function room_args(a)
  return {
    default_rate = tonumber(a[1]),
    default_mode = a[2],
    now = now_ms(a[3]),
    ttl_ms = tonumber(a[4]),
    consumed = a[5] or '',
    seen = a[6] or '',
    released = a[7] or '',
    max_active = tonumber(a[8]),
    session_ms = tonumber(a[9]) or DEFAULT_SESSION_MS,
    origin = a[10] or '',
    autopilot = autopilot_defaults(a[11]),
    instance = a[12] or '',
    known = known_of(a[13]),
  }
end
`;

/**
 * The settings in force, as `schedule.ts` decides them: `settings_at`,
 * `prequeue_at`, `event_by_seq` (pure, over the events list) and
 * `load_settings` (reads the settings and events keys).
 */
const SETTINGS_LUA_FRAGMENT = `
-- active_at(events, t) -> the event in force at t (the last started by t, unless it ended), or nil.
local function active_at(events, t)
  local found = nil
  for _, e in ipairs(events) do
    if e.startsAt <= t then found = e else break end
  end
  if found and found.endsAt and found.endsAt <= t then return nil end
  return found
end

-- manual_at(settings, t) -> rate, mode in force at t with autopilot off: an event's, unless an
-- operator changed it after the event's start; else the operator's; else the default. Keys: none.
local function manual_at(settings, t)
  local rate = settings.live_rate or settings.default_rate
  local mode = settings.live_mode or settings.default_mode
  local e = active_at(settings.events, t)
  if e then
    if e.perMinute and settings.rate_at < e.startsAt then rate = e.perMinute end
    if e.mode and settings.mode_at < e.startsAt then mode = e.mode end
  end
  return rate, mode
end

-- autopilot_on_at(settings, t) -> whether the autopilot steers at t: an event's autopilot (true/false)
-- while it is in force, unless an operator set ap after the event's start; else the operator's ap;
-- else the deployed default. Never without deployed settings (settings.limits nil). Keys: none.
local function autopilot_on_at(settings, t)
  if not settings.limits then return false end
  local on = settings.default_ap
  if settings.live_ap ~= nil then on = settings.live_ap end
  local e = active_at(settings.events, t)
  if e and type(e.autopilot) == 'boolean' and settings.ap_at < e.startsAt then on = e.autopilot end
  return on
end

-- settings_at(settings, t) -> rate, mode in force at t: manual_at's, except that while the autopilot
-- is on the rate is its own (settings.autopilot.rate; before it started, the manual rate, as
-- start_state would set it), within its bounds. Keys: none.
local function settings_at(settings, t)
  local rate, mode = manual_at(settings, t)
  if autopilot_on_at(settings, t) then
    if settings.autopilot then
      rate = clamp_rate(settings.autopilot.rate, settings.limits)
    else
      rate = round_rate(clamp_rate(rate, settings.limits))
    end
  end
  return rate, mode
end

-- stored_number(value) -> the stored setting as a finite number, or nil ('' or absent, or not a number:
-- the default applies).
local function stored_number(value)
  local n = tonumber(value)
  if n and n == n and n ~= math.huge and n ~= -math.huge then return n end
  return nil
end

-- prequeue_at(events, t) -> the event whose pre-queue is open at t, or nil.
local function prequeue_at(events, t)
  for _, e in ipairs(events) do
    if e.prequeueFrom and e.prequeueFrom <= t and t < e.startsAt then return e end
  end
  return nil
end

-- event_by_seq(events, seq) -> the event numbered seq, or nil.
local function event_by_seq(events, seq)
  for _, e in ipairs(events) do
    if e.seq == seq then return e end
  end
  return nil
end

-- load_settings(keys, args) -> settings. Reads keys.settings (HMGET) and keys.events (HGET list), and
-- keys.autopilot (load_autopilot) only when the autopilot may be on (deployed on, set on by an operator,
-- or an event turns it on).
--   rate, mode          in force at args.now (settings_at: the autopilot's rate while it is on)
--   rate_off            the rate in force at args.now with autopilot off (manual_at)
--   live_rate, live_mode, rate_at, mode_at   the operator's overrides (nil / false when none) and
--                       when they were set (0 = never)
--   live_ap, ap_at      the operator's autopilot on/off (nil when none) and when it was set (0 = never)
--   default_ap          the deployed on/off (ARGV[11])
--   limits              { min_rate, max_rate, target_p95, max_error_rate }: the operator's values
--                       (ap_min, ap_max, ap_p95, ap_err) else the deployed ones; nil when the room has
--                       no autopilot
--   timeout_ms          the origin timeout in force (ap_timeout else deployed; nil without autopilot)
--   autopilot, learned  the autopilot's state (nil when not loaded or not started) and learned capacity
--   ap_on               autopilot on at args.now
--   default_rate, default_mode   from ARGV
--   session, max        the operator's session minutes and cap as stored ('' = the default)
--   version             bumped by every operator's change
--   events              the scheduled events, sorted by start
--   max_active          the active-users cap in force (0 = none)
--   session_ms          the session length in force
local function load_settings(keys, args)
  local live = redis.call('HMGET', keys.settings, 'rate', 'mode', 'session', 'v', 'rate_at', 'mode_at', 'max',
    'ap', 'ap_at', 'ap_min', 'ap_max', 'ap_p95', 'ap_err', 'ap_timeout')
  local raw_events = redis.call('HGET', keys.events, 'list')
  local session, max = live[3] or '', live[7] or ''
  local session_ms = args.session_ms
  if tonumber(session) then session_ms = tonumber(session) * 60000 end
  local defaults = args.autopilot
  local limits, timeout_ms, default_ap = nil, nil, false
  if defaults then
    default_ap = defaults.on
    limits = { min_rate = stored_number(live[10]) or defaults.min_rate,
      max_rate = stored_number(live[11]) or defaults.max_rate,
      target_p95 = stored_number(live[12]) or defaults.target_p95,
      max_error_rate = stored_number(live[13]) or defaults.max_error_rate }
    -- Bounds crossed (a redeploy raised the minimum past an operator's maximum): the maximum wins,
    -- so the origin is never sent more than an operator allowed (autopilotInForce does the same).
    if limits.min_rate > limits.max_rate then limits.min_rate = limits.max_rate end
    timeout_ms = stored_number(live[14]) or defaults.timeout_ms
  end
  local live_ap = nil
  if live[8] == 'on' then live_ap = true elseif live[8] == 'off' then live_ap = false end
  -- Built whole (no field added later), so Lua sizes the table once.
  local settings = {
    rate = 0,
    mode = '',
    default_rate = args.default_rate,
    default_mode = args.default_mode,
    live_rate = tonumber(live[1]),
    live_mode = live[2],
    rate_at = tonumber(live[5]) or 0,
    mode_at = tonumber(live[6]) or 0,
    session = session,
    max = max,
    version = tonumber(live[4]) or 0,
    events = raw_events and cjson.decode(raw_events) or {},
    max_active = tonumber(max) or args.max_active or 0,
    session_ms = session_ms,
    rate_off = 0,
    live_ap = live_ap,
    ap_at = tonumber(live[9]) or 0,
    default_ap = default_ap,
    limits = limits,
    timeout_ms = timeout_ms,
    autopilot = nil,
    learned = 0,
    ap_on = false,
  }
  local may_be_on = limits and (default_ap or live_ap == true)
  if limits and not may_be_on then
    for _, e in ipairs(settings.events) do
      if e.autopilot == true then may_be_on = true end
    end
  end
  if may_be_on then settings.autopilot, settings.learned = load_autopilot(keys.autopilot) end
  settings.rate_off = manual_at(settings, args.now)
  settings.ap_on = autopilot_on_at(settings, args.now)
  settings.rate, settings.mode = settings_at(settings, args.now)
  return settings
end
`;

/**
 * The room's counters and the no-show compensation of `compensation.ts`:
 * `load_room`, `admitted`, `count_claims`, `take_places`, `fold_matured`,
 * `note_offers`, `restart_when_caught_up`.
 */
const ROOM_LUA = `
-- load_room(state_key, burst, now) -> room. Reads state_key (HMGET). A new (or expired) room has
-- its frontier at burst, so its first newcomer may go straight in.
--   frontier, last_ticket, updated_at   the admission counters
--   show, samples, folded   the show ratio, buckets in it since it started over, last bucket folded
--   noted               admitted count when offers were last noted
--   new                 true when the room had no state
--   taken               positions the calling instance reported that were used before (take_places)
--   epoch, base, restored_at   the state's epoch (the ms it was created or restored; 0 for a state from
--                       before epochs, and now for a new room), the epoch's base (the last ticket it was
--                       restored at, 0 when created) and when it was restored (0 = never: created)
--   previous, floor     the epoch it was restored from (0 = none) and the cap of tickets older than that
--                       (-1 = none): see restore_room
--   instances           the live instances (note_instance, by TICK and JOIN; 0 = not counted)
local function load_room(state_key, burst, now)
  local stored = redis.call('HMGET', state_key, 'f', 't', 'u', 's', 'b', 'k', 'a', 'e', 'o', 'r', 'q', 'l')
  local frontier, last_ticket, updated_at = burst, 0, now
  if stored[1] then frontier, last_ticket, updated_at = tonumber(stored[1]), tonumber(stored[2]), tonumber(stored[3]) end
  local offered = math.min(math.floor(frontier), last_ticket)
  -- Built whole (open_room fills in active, ceiling and snapshot), so Lua sizes the table once.
  return {
    new = not stored[1],
    frontier = frontier,
    last_ticket = last_ticket,
    updated_at = updated_at,
    show = tonumber(stored[4]) or 1,
    samples = tonumber(stored[6]) or 0,
    folded = tonumber(stored[5]) or (math.floor(offered / CLAIM_BUCKET) - 1),
    noted = tonumber(stored[7]) or offered,
    active = 0,
    ceiling = -1,
    snapshot = '',
    taken = {},
    epoch = (stored[1] and (tonumber(stored[8]) or 0)) or now,
    base = tonumber(stored[9]) or 0,
    restored_at = tonumber(stored[10]) or 0,
    previous = tonumber(stored[11]) or 0,
    floor = tonumber(stored[12]) or -1,
    instances = 0,
  }
end

-- restore_room(room, known, burst, now): a room found without state, or behind what the calling
-- instance saw in the same epoch (a failover to a replica that lagged), is set at least as far as the
-- instance knows, so no position it saw handed out is handed out again. A room without state whose
-- caller knows anything is restored: last ticket and base = the known last ticket, frontier = the known
-- frontier (within one second's worth past it), restored_at = now, in a new epoch (room.epoch = now,
-- set by load_room, past the caller's epoch): tickets of an earlier epoch stand at most at the base (the
-- worker's placeInLine), so one the restorer did not know of is let in before every newcomer and shares no
-- position with one. The caller's epoch becomes room.previous, and tickets older than it stand at most at
-- room.floor, the lower of that epoch's base and floor (they stood there then), so a second loss keeps
-- the first's order too.
-- A caller that knows nothing leaves a new room (base 0): see README, "When Redis loses its data".
-- Keys: none (save_room writes the state).
local function restore_room(room, known, burst, now)
  if room.new then
    -- Epochs only grow, even when the store's clock went back (a failover to another machine).
    room.epoch = math.max(room.epoch, known.epoch + 1)
    if known.last_ticket <= 0 and known.frontier <= 0 then return end
    room.last_ticket = known.last_ticket
    room.base = known.last_ticket
    room.previous = known.epoch
    -- Tickets older than the known epoch stood at most at its base (and its own floor) in it. A created
    -- epoch (base 0, no floor) leaves them uncapped: older tickets stood at 0 in it, let in at their next poll.
    room.floor = -1
    if known.base > 0 or known.floor >= 0 then
      room.floor = known.base
      if known.floor >= 0 and known.floor < room.floor then room.floor = known.floor end
    end
    room.frontier = math.min(known.frontier, known.last_ticket + burst)
    room.restored_at = now
    local offered = math.min(math.floor(room.frontier), room.last_ticket)
    room.folded = math.floor(offered / CLAIM_BUCKET) - 1
    room.noted = offered
  elseif known.epoch == room.epoch and known.last_ticket > room.last_ticket then
    -- The store went back within the epoch (only a replica that lagged does that): the positions the
    -- caller saw are taken, and so is the frontier it saw (the withdrawals of step apply again after).
    room.last_ticket = known.last_ticket
    if known.frontier > room.frontier then room.frontier = math.min(known.frontier, room.last_ticket + burst) end
  end
end

-- note_instance(fleet_key, instance, now, ttl_ms) -> instances: ids not heard from within FLEET_WINDOW_MS
-- go (ZREMRANGEBYSCORE); the calling instance is live (ZADD fleet_key now id; a new id only while fewer
-- than FLEET_MAX are held, so memory stays bounded; PEXPIRE ttl_ms, as the room's keys). Returns the
-- count (ZCARD), at least 1 when the caller is counted. A call with no id ('': tests, tools) is not
-- counted. Called by TICK only (see ARGV[12]).
local function note_instance(fleet_key, instance, now, ttl_ms)
  redis.call('ZREMRANGEBYSCORE', fleet_key, '-inf', '(' .. (now - FLEET_WINDOW_MS))
  if instance ~= '' then
    if redis.call('ZCARD', fleet_key) < FLEET_MAX then
      redis.call('ZADD', fleet_key, now, instance)
    else
      redis.call('ZADD', fleet_key, 'XX', now, instance)
    end
    redis.call('PEXPIRE', fleet_key, ttl_ms)
  end
  return redis.call('ZCARD', fleet_key)
end

-- admitted(room) -> places offered so far: the frontier, within the last ticket.
local function admitted(room)
  return math.min(math.floor(room.frontier), room.last_ticket)
end

-- count_claims(room, claims_key, ttl_ms, bucket, count): claims (admissions that happened) count for
-- their bucket until it is folded (HINCRBY claims_key c<bucket>, PEXPIRE); a late one (its holder
-- polled late) corrects room.show by the share its bucket would have gained.
local function count_claims(room, claims_key, ttl_ms, bucket, count)
  -- Places used first in this call, for the minute's history row (history_row).
  room.used = (room.used or 0) + count
  if bucket > room.folded then
    redis.call('HINCRBY', claims_key, 'c' .. bucket, count)
    redis.call('PEXPIRE', claims_key, ttl_ms)
  elseif room.samples > 0 then
    room.show = math.min(1, room.show + math.max(SMOOTHING, 1 / room.samples) * count / CLAIM_BUCKET)
  end
end

-- take_places(room, keys, ttl_ms, report, now): the places an instance used (its admissions by
-- ticket), "<position>[.<device>],..." ('' = none). A place counts once, whoever reports it and however
-- often: the first report of a position sets its bit (SETBIT keys.consumed, whose previous value says
-- whether it is new) and counts one claim for its bucket (count_claims); a position reported again (a
-- copy of its ticket let in before the instance knew) changes nothing, so copies cannot move the show
-- ratio, but it goes into room.taken, so TICK tells the reporter its admission was not the place's
-- first (the store knows at once; the feed may reach the reporter later, or never when it is far
-- behind). The places new to the store become one feed entry (ZADD keys.consumed_feed), at a feed
-- time later than any before (ZRANGE -1 -1), so an instance reading from its cursor gets each at
-- most once; entries older than CONSUMED_FEED_MS go (ZREMRANGEBYSCORE). Both keys expire with the
-- room, and go with it when its state is lost (open_room).
local function take_places(room, keys, ttl_ms, report, now)
  if report == '' then return end
  local fresh, buckets, counts = {}, {}, {}
  for item in string.gmatch(report, '[^,]+') do
    local digits, device = string.match(item, '^([1-9]%d*)%.(%x+)$')
    if not digits then digits, device = string.match(item, '^([1-9]%d*)$'), '' end
    local position = tonumber(digits)
    -- Only positions handed out: a ticket older than a store that lost its state marks nothing ahead.
    local known = position and position <= room.last_ticket and position <= MAX_POSITION
    if known and redis.call('SETBIT', keys.consumed, position, 1) == 1 then
      room.taken[#room.taken + 1] = position
    elseif known then
      if device ~= '' and #device <= 16 then digits = digits .. '.' .. device end
      fresh[#fresh + 1] = digits
      local bucket = math.floor((position - 1) / CLAIM_BUCKET)
      -- Buckets in the order first met (not pairs()), so every engine counts in the same order.
      if not counts[bucket] then buckets[#buckets + 1] = bucket end
      counts[bucket] = (counts[bucket] or 0) + 1
    end
  end
  if #fresh == 0 then return end
  redis.call('PEXPIRE', keys.consumed, ttl_ms)
  for _, bucket in ipairs(buckets) do count_claims(room, keys.claims, ttl_ms, bucket, counts[bucket]) end
  local at = math.floor(now)
  local newest = redis.call('ZRANGE', keys.consumed_feed, -1, -1, 'WITHSCORES')
  if newest[2] and tonumber(newest[2]) >= at then at = tonumber(newest[2]) + 1 end
  redis.call('ZADD', keys.consumed_feed, at, table.concat(fresh, ','))
  redis.call('ZREMRANGEBYSCORE', keys.consumed_feed, '-inf', '(' .. (now - CONSUMED_FEED_MS))
  redis.call('PEXPIRE', keys.consumed_feed, ttl_ms)
end

-- fold_matured(room, claims_key, now): folds the buckets fully offered MATURE_MS ago into room.show
-- (at most MAX_FOLDS_PER_CALL; HGET, HDEL claims_key o<bucket> c<bucket>); room.samples, room.folded move on.
local function fold_matured(room, claims_key, now)
  for _ = 1, MAX_FOLDS_PER_CALL do
    local bucket = room.folded + 1
    local offered_at = tonumber(redis.call('HGET', claims_key, 'o' .. bucket))
    if not offered_at or offered_at > now - MATURE_MS then break end
    local claimed = tonumber(redis.call('HGET', claims_key, 'c' .. bucket)) or 0
    room.samples = room.samples + 1
    room.show = room.show + math.max(SMOOTHING, 1 / room.samples) * (math.min(1, claimed / CLAIM_BUCKET) - room.show)
    redis.call('HDEL', claims_key, 'o' .. bucket, 'c' .. bucket)
    room.folded = bucket
  end
  if room.show < MIN_SHOW_RATIO then room.show = MIN_SHOW_RATIO end
end

-- note_offers(room, claims_key, ttl_ms, now): notes when buckets became fully offered since
-- room.noted (HSET claims_key o<bucket> now, PEXPIRE); a jump too big for that (MAX_OFFERS_PER_CALL)
-- starts the measuring over past it (DEL claims_key).
local function note_offers(room, claims_key, ttl_ms, now)
  local after = admitted(room)
  local first_bucket = math.floor(room.noted / CLAIM_BUCKET)
  if after > room.noted then room.noted = after end
  local last_bucket = math.floor(after / CLAIM_BUCKET) - 1
  if last_bucket - first_bucket + 1 > MAX_OFFERS_PER_CALL then
    room.folded = last_bucket
    redis.call('DEL', claims_key)
  elseif last_bucket >= first_bucket then
    for bucket = first_bucket, last_bucket do redis.call('HSET', claims_key, 'o' .. bucket, now) end
    redis.call('PEXPIRE', claims_key, ttl_ms)
  end
end

-- restart_when_caught_up(room, claims_key, now): when the queue emptied, the next surge starts from
-- a show ratio of 1, and places offered while nobody waited are not measured (HDEL claims_key),
-- except those offered within MATURE_MS: their holders may still be on their way, which the
-- active-users cap must count (they are measured when they mature).
local function restart_when_caught_up(room, claims_key, now)
  local after = admitted(room)
  if after < room.last_ticket then return end
  room.show = 1
  room.samples = 0
  local caught_up = math.floor(after / CLAIM_BUCKET) - 1
  local recent = false
  for bucket = room.folded + 1, math.min(caught_up, room.folded + MAX_FOLDS_PER_CALL) do
    local offered_at = tonumber(redis.call('HGET', claims_key, 'o' .. bucket))
    if offered_at and offered_at > now - MATURE_MS then
      recent = true
      break
    end
    redis.call('HDEL', claims_key, 'o' .. bucket, 'c' .. bucket)
    room.folded = bucket
  end
  if not recent and caught_up > room.folded then room.folded = caught_up end
end
`;

/**
 * The active-users cap of `active.ts`: `see`, `count_active` (records an
 * instance's report, drops what expired) and `ceiling_of`.
 */
const ACTIVE_LUA = `
-- see(active_key, subjects, now): pass subjects in use, "sub,sub,...": ZADD active_key now sub (in batches).
local function see(active_key, subjects, now)
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

-- count_active(keys, args, session_ms) -> active: visitors whose pass was used within the session
-- length (plus the reporting lag). Takes in the instance's report (args.seen, args.released: ZADD,
-- ZREM keys.active, ZADD keys.released), drops what expired (ZREMRANGEBYSCORE both), counts (ZCARD).
local function count_active(keys, args, session_ms)
  local now = args.now
  if args.seen ~= '' then see(keys.active, args.seen, now) end
  if args.released ~= '' then
    for subject, at in string.gmatch(args.released, '([^,@]+)@(%d+)') do
      redis.call('ZREM', keys.active, subject)
      redis.call('ZADD', keys.released, now, subject .. '@' .. at)
    end
  end
  local active_since = now - session_ms - math.min(MAX_REPORT_EVERY_MS, session_ms / REPORTS_PER_SESSION)
  redis.call('ZREMRANGEBYSCORE', keys.active, '-inf', '(' .. active_since)
  redis.call('ZREMRANGEBYSCORE', keys.released, '-inf', '(' .. active_since)
  local active = redis.call('ZCARD', keys.active)
  if active > 0 then redis.call('PEXPIRE', keys.active, args.ttl_ms) end
  if redis.call('EXISTS', keys.released) == 1 then redis.call('PEXPIRE', keys.released, args.ttl_ms) end
  return active
end

-- ceiling_of(room, claims_key, max_active, active) -> the highest frontier the cap allows: the places
-- offered plus the room left, over the show ratio; places offered but not measured yet count as
-- the claims they are expected to bring (HGET claims_key c<bucket>). -1 = no cap.
local function ceiling_of(room, claims_key, max_active, active)
  if max_active <= 0 then return -1 end
  local offered_so_far = admitted(room)
  local pending = 0
  local top = math.floor((offered_so_far - 1) / CLAIM_BUCKET)
  for bucket = room.folded + 1, math.min(top, room.folded + MAX_PENDING_BUCKETS) do
    local offered = math.min(CLAIM_BUCKET, offered_so_far - bucket * CLAIM_BUCKET)
    local expected = offered * room.show - (tonumber(redis.call('HGET', claims_key, 'c' .. bucket)) or 0)
    if expected > 0 then pending = pending + expected end
  end
  return offered_so_far + math.max(0, max_active - active - pending) / room.show
end
`;

/**
 * The frontier's advance, as `advance()` in `admission.ts` and
 * `advanceThrough()` in `schedule.ts`: `freeze`, `step`, `advance`.
 */
const ADVANCE_LUA = `
-- freeze(room, keys, ttl_ms, e): places event e's pre-queue ahead of everyone arriving later, once
-- (HSETNX keys.frozen seq last_ticket, PEXPIRE; ZCOUNT keys.prequeue): room.last_ticket moves past it.
local function freeze(room, keys, ttl_ms, e)
  if redis.call('HSETNX', keys.frozen, e.seq, room.last_ticket) == 1 then
    redis.call('PEXPIRE', keys.frozen, ttl_ms)
    room.last_ticket = room.last_ticket + redis.call('ZCOUNT', keys.prequeue, e.seq, '(' .. (e.seq + 1))
  end
end

-- step(room, settings, ceiling, t1): moves room.frontier from room.updated_at to t1 with the settings
-- in force at room.updated_at: rate x elapsed / show, capped at the last ticket plus one second's
-- worth (queue-all: the last ticket) and at the ceiling (-1 = none). A clock that went back moves
-- nothing. Paused: the frontier holds, paused time does not accrue, and the lead nobody holds is
-- withdrawn (the frontier stops at the last ticket), so nobody new gets in; places offered before
-- the pause stay offered. Keys: none.
local function step(room, settings, ceiling, t1)
  local rate, mode = settings_at(settings, room.updated_at)
  if mode == 'paused' then
    if room.frontier > room.last_ticket then room.frontier = room.last_ticket end
  else
    local elapsed = t1 - room.updated_at
    if elapsed < 0 then elapsed = 0 end
    local cap = room.last_ticket + math.max(1, rate / 60)
    if mode == 'queue-all' then cap = room.last_ticket end
    if ceiling >= 0 and ceiling < cap then cap = ceiling end
    local advanced = math.min(room.frontier + rate / 60000 * elapsed / room.show, cap)
    if advanced > room.frontier then room.frontier = advanced end
    -- A lead nobody holds yet is withdrawn at the cap; places handed out are never taken back.
    if ceiling >= 0 and room.frontier > room.last_ticket and room.frontier > ceiling then
      room.frontier = math.max(room.last_ticket, ceiling)
    end
  end
  if t1 > room.updated_at then room.updated_at = t1 end
end

-- advance(room, settings, keys, ttl_ms, ceiling, now): advances room to now piece by piece, with the
-- settings in force in each piece (event starts and ends split the time); at the start of an event
-- with a pre-queue, and for a new room whose events already started, freezes the pre-queue.
local function advance(room, settings, keys, ttl_ms, ceiling, now)
  if room.new then
    for _, e in ipairs(settings.events) do
      if e.prequeueFrom and e.startsAt <= now then freeze(room, keys, ttl_ms, e) end
    end
  end
  for _, e in ipairs(settings.events) do
    if e.startsAt > room.updated_at and e.startsAt <= now then
      step(room, settings, ceiling, e.startsAt)
      if e.prequeueFrom then freeze(room, keys, ttl_ms, e) end
    end
    if e.endsAt and e.endsAt > room.updated_at and e.endsAt <= now then step(room, settings, ceiling, e.endsAt) end
  end
  step(room, settings, ceiling, now)
end
`;

/**
 * What every admission script does first and last: `open_room`,
 * `save_room`, and the reply parts `state_reply`, `settings_reply`, joined
 * by `flatten`.
 */
const OPEN_SAVE_LUA = `
-- open_room(keys, args) -> room, settings. Loads the settings and the room, takes in the calling
-- instance's report (places used, subjects in use, releases, the origin's figures: take_origin, also
-- when the autopilot is off), folds matured claims buckets, counts the active visitors, advances the
-- frontier to args.now, noting the buckets it offered, and then, when the autopilot is on, lets it set
-- the rate from now on (steer). A room without state is restored from what the caller knows
-- (restore_room). Touches every key of KEYS[1..14] but history (written by save_room); the fleet
-- key (KEYS[15]) is TICK's and JOIN's (note_instance).
--   room: as load_room (with taken filled in), plus active (visitors active), ceiling (-1 = no cap) and snapshot
--         ("last_ticket:admitted:rate" as of now, before the script's own change, for the minute's history)
--   settings: as load_settings (rate and autopilot as steer left them)
local function open_room(keys, args)
  local now = args.now
  local settings = load_settings(keys, args)
  local burst = math.max(1, settings.rate / 60)
  local room = load_room(keys.state, burst, now)
  -- A room without state hands positions out again from 1 (its state expired, was evicted, or an
  -- operator deleted it): what the places used and the claims said of the old positions says nothing
  -- of the new ones. Left behind, the old bits would make every new place look used (no claim
  -- counted, nothing fed: the show ratio would sink to its floor and the line run up to 1/MIN_SHOW_RATIO
  -- times the rate), so they go with the state.
  if room.new then redis.call('DEL', keys.consumed, keys.consumed_feed, keys.claims) end
  -- ... and is restored as far as the calling instance saw, in a new epoch (restore_room).
  restore_room(room, args.known, burst, now)
  take_places(room, keys, args.ttl_ms, args.consumed, now)
  take_origin(keys, args.origin, now, args.ttl_ms)
  fold_matured(room, keys.claims, now)
  room.active = count_active(keys, args, settings.session_ms)
  room.ceiling = ceiling_of(room, keys.claims, settings.max_active, room.active)
  advance(room, settings, keys, args.ttl_ms, room.ceiling, now)
  note_offers(room, keys.claims, args.ttl_ms, now)
  restart_when_caught_up(room, keys.claims, now)
  if settings.ap_on then steer(room, settings, keys, args) end
  room.snapshot = room.last_ticket .. ':' .. admitted(room) .. ':' .. tostring(settings.rate)
  return room, settings
end

-- history_row(room, keys, ttl_ms): the minute's row of keys.history (HGET the minute). The first write
-- of a minute records room.snapshot, the origin's figures over the last minute (origin_figures:
-- requests, errors, p95, p50; p95 and p50 '' without requests) and the room's epoch and base (so a
-- report tells a restore from arrivals: a new epoch's last ticket counts from its base, not from 0),
-- then after a '|' the minute's running
-- figures "peak_queue:peak_active:used" (waiting and active after this call; places used first in
-- the minute: room.used, from count_claims); later calls in the minute raise the peaks and add to
-- used (HSET only when one changed). A row written before the running figures (no '|') is left as
-- it is. A new minute also trims: the minute HISTORY_KEPT_MINUTES + 1 ago goes (HDEL, one field),
-- and only when the minute before is missing (the room was idle: older rows may be left) or the hash
-- holds more than the window (HLEN) are all its fields read (HKEYS) to drop those older than
-- HISTORY_KEPT_MINUTES; so the hash holds at most HISTORY_KEPT_MINUTES + 1 rows and a busy room
-- pays one HDEL, HEXISTS and HLEN a minute. The hash expires HISTORY_KEPT_MINUTES after its last
-- write (or with the state, if later).
local function history_row(room, keys, ttl_ms)
  local minute = math.floor(room.updated_at / 60000)
  local queue = math.max(0, room.last_ticket - admitted(room))
  local used = room.used or 0
  local row = redis.call('HGET', keys.history, minute)
  if row then
    local head, peak_queue, peak_active, used_before = string.match(row, '^(.*)|(%d+):(%d+):(%d+)$')
    if not head then return end
    peak_queue, peak_active, used_before = tonumber(peak_queue), tonumber(peak_active), tonumber(used_before)
    if queue > peak_queue or room.active > peak_active or used > 0 then
      redis.call('HSET', keys.history, minute, head .. '|' .. math.max(queue, peak_queue) .. ':'
        .. math.max(room.active, peak_active) .. ':' .. (used_before + used))
    end
    return
  end
  local origin = origin_figures(keys, room.updated_at, WINDOW_SLOTS * SLOT_MS)
  redis.call('HSET', keys.history, minute, table.concat({ room.snapshot, origin.requests, origin.errors,
    origin.p95 or '', origin.p50 or '', room.epoch, room.base }, ':') .. '|' .. queue .. ':' .. room.active .. ':' .. used)
  local oldest = minute - HISTORY_KEPT_MINUTES
  redis.call('HDEL', keys.history, oldest - 1)
  if redis.call('HEXISTS', keys.history, minute - 1) == 0
    or redis.call('HLEN', keys.history) > HISTORY_KEPT_MINUTES + 1 then
    for _, field in ipairs(redis.call('HKEYS', keys.history)) do
      if tonumber(field) < oldest then redis.call('HDEL', keys.history, field) end
    end
  end
  redis.call('PEXPIRE', keys.history, math.max(ttl_ms, (HISTORY_KEPT_MINUTES + 1) * 60000))
end

-- save_room(room, keys, ttl_ms): writes the counters back with their expiry (HSET, PEXPIRE
-- keys.state), and the minute's history row (history_row).
local function save_room(room, keys, ttl_ms)
  redis.call('HSET', keys.state, 'f', string.format('%.17g', room.frontier), 't', room.last_ticket,
    'u', room.updated_at, 's', string.format('%.17g', room.show), 'b', room.folded, 'k', room.samples,
    'a', room.noted, 'e', room.epoch, 'o', room.base)
  if room.restored_at > 0 then
    redis.call('HSET', keys.state, 'r', room.restored_at, 'q', room.previous, 'l', room.floor)
  end
  redis.call('PEXPIRE', keys.state, ttl_ms)
  history_row(room, keys, ttl_ms)
end

-- state_reply(room) -> { frontier (string: keeps its fraction), last_ticket, now, show (string),
-- active, ceiling (string; -1 = no cap), epoch, base, restored_at (0 = never), instances (0 = not
-- counted by this script: JOIN, CLAIM), previous (epoch restored from, 0 = none), floor (-1 = none) }
local function state_reply(room)
  return { string.format('%.17g', room.frontier), room.last_ticket, room.updated_at,
    string.format('%.17g', room.show), room.active, string.format('%.17g', room.ceiling), room.epoch, room.base,
    room.restored_at, room.instances, room.previous, room.floor }
end

-- settings_reply(settings) -> { rate (string), mode, session ('' = default), max ('' = default), version,
-- autopilot (1 on, 0 off), min_rate, max_rate, target_p95_ms, max_error_rate, timeout_ms }: the settings in
-- force; the autopilot's numbers as strings ('%.17g'), all '' when the room has no autopilot (ARGV[11] '').
local function settings_reply(settings)
  local l = settings.limits
  local on, min, max, p95, err, timeout = 0, '', '', '', '', ''
  if l then
    local function n(x) return string.format('%.17g', x) end
    min, max, p95, err, timeout = n(l.min_rate), n(l.max_rate), n(l.target_p95), n(l.max_error_rate),
      n(settings.timeout_ms)
    if settings.ap_on then on = 1 end
  end
  return { tostring(settings.rate), settings.mode, settings.session, settings.max, settings.version,
    on, min, max, p95, err, timeout }
end

-- flatten(list, ...) -> one list: the lists given, one after the other.
local function flatten(...)
  local out = {}
  for _, part in ipairs({ ... }) do
    for _, value in ipairs(part) do out[#out + 1] = value end
  end
  return out
end
`;

/** The whole library, in the order its functions need one another. */
export const ADMISSION_LUA = [
  CONSTANTS_LUA,
  CLOCK_LUA,
  AUTOPILOT_RULES_LUA,
  INPUTS_LUA,
  SETTINGS_LUA_FRAGMENT,
  ROOM_LUA,
  AUTOPILOT_STEER_LUA,
  ACTIVE_LUA,
  ADVANCE_LUA,
  OPEN_SAVE_LUA,
].join("\n");

/**
 * An admission script: the library, then `body`, which names its KEYS and
 * ARGV, calls `open_room` and `save_room`, and returns its reply.
 */
export function admissionScript(body: string): string {
  return `${ADMISSION_LUA}\n${body.trim()}\n`;
}

/** The state part of a reply, as `state_reply(room)` builds it. */
export type StateTail = [
  frontier: string | number,
  lastTicket: number,
  now: number,
  show: string | number,
  active: number,
  ceiling: string | number,
  epoch: number,
  base: number,
  restoredAt: number,
  instances: number,
  previousEpoch: number,
  floor: number,
];

/**
 * The settings part of a JOIN, TICK or CLAIM reply, as `settings_reply(settings)` builds it; '' means the
 * default (session, max), or no autopilot (its five numbers).
 */
export type SettingsTail = [
  rate: string | number,
  mode: string,
  session: string | number,
  max: string | number,
  version: number,
  autopilot: number,
  minRate: string | number,
  maxRate: string | number,
  targetP95Ms: string | number,
  maxErrorRate: string | number,
  timeoutMs: string | number,
];
