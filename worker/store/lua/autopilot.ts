/**
 * The autopilot's part of the admission library (`advance.ts` writes it into
 * JOIN, TICK and CLAIM): the origin's figures kept in one-second slots, and
 * the rule that sets the rate from them, as `local function`s with explicit
 * parameters and results. They are the Lua twins of `model/origin-signal.ts`
 * (`parse_sample`, `quantile`) and `model/autopilot.ts` (`decide`,
 * `start_state`, `round_rate`, `clamp_rate`): the same operations in the same
 * order, so both give the same doubles; `test/node/autopilot-twin.test.ts`
 * runs both on random inputs, on real Redis and on the embedded engine.
 *
 * Two fragments, because the library is written in the order its functions
 * need one another: {@link AUTOPILOT_RULES_LUA} (pure functions and the
 * autopilot's keys; `settings_at` needs `clamp_rate`) goes before the
 * settings, {@link AUTOPILOT_STEER_LUA} (`steer`, which needs `admitted` and
 * `active_at`) after the room's functions.
 *
 * Keys (see keys.ts): origin (hash slot -> "<second>,<sample>"), autopilot
 * (hash of the state, short field names), autopilot_log (zset of changes).
 */

/** The pure rules (sample, quantile, decide) and the reads and writes of the autopilot's keys. */
export const AUTOPILOT_RULES_LUA = `
-- parse_sample(text) -> sample { requests, errors, bins = { LATENCY_BINS counts } }, or nil when text is
-- not exactly LATENCY_BINS + 2 whole numbers 0..MAX_SAMPLE_REQUESTS written as digits, with errors <=
-- requests and bins summing to requests (the rule of parseSample). Keys: none.
local function parse_sample(text)
  if type(text) ~= 'string' or text == '' then return nil end
  local numbers = {}
  for part in string.gmatch(text .. ',', '([^,]*),') do
    if #numbers >= LATENCY_BINS + 2 or #part > 10 or not string.match(part, '^%d+$') then return nil end
    local n = tonumber(part)
    if n > MAX_SAMPLE_REQUESTS then return nil end
    numbers[#numbers + 1] = n
  end
  if #numbers ~= LATENCY_BINS + 2 then return nil end
  local bins, sum = {}, 0
  for i = 1, LATENCY_BINS do
    bins[i] = numbers[i + 2]
    sum = sum + bins[i]
  end
  if numbers[2] > numbers[1] or sum ~= numbers[1] then return nil end
  return { requests = numbers[1], errors = numbers[2], bins = bins }
end

-- empty_sample() -> a sample of no requests.
local function empty_sample()
  local bins = {}
  for i = 1, LATENCY_BINS do bins[i] = 0 end
  return { requests = 0, errors = 0, bins = bins }
end

-- add_sample(total, sample): adds sample into total (exact: the bins are fixed). Keys: none.
local function add_sample(total, sample)
  total.requests = total.requests + sample.requests
  total.errors = total.errors + sample.errors
  for i = 1, LATENCY_BINS do total.bins[i] = total.bins[i] + sample.bins[i] end
end

-- encode_sample(sample) -> "requests,errors,bin1,...": the form parse_sample reads.
local function encode_sample(sample)
  local parts = { string.format('%d', sample.requests), string.format('%d', sample.errors) }
  for i = 1, LATENCY_BINS do parts[i + 2] = string.format('%d', sample.bins[i]) end
  return table.concat(parts, ',')
end

-- quantile(sample, q) -> the latency (ms) below which a share q of the sample's requests fell, or nil
-- without requests: linear within the bin where the count reaches q x requests, rounded; the bin past
-- the last bound reads as that bound. The twin of quantile() in origin-signal.ts. Keys: none.
local function quantile(sample, q)
  if sample.requests <= 0 then return nil end
  local rank = q * sample.requests
  local seen = 0
  local last = LATENCY_BOUNDS_MS[#LATENCY_BOUNDS_MS]
  for i = 1, LATENCY_BINS do
    local count = sample.bins[i] or 0
    if count > 0 and seen + count >= rank then
      if i > #LATENCY_BOUNDS_MS then return last end
      local lower = 0
      if i > 1 then lower = LATENCY_BOUNDS_MS[i - 1] end
      local upper = LATENCY_BOUNDS_MS[i]
      return math.floor(lower + ((upper - lower) * (rank - seen)) / count + 0.5)
    end
    seen = seen + count
  end
  return last
end

-- figures_of(sample) -> { requests, errors, error_rate (0 without requests), p50, p95 (nil without
-- requests) }: the twin of figuresOf() in origin-signal.ts. Keys: none.
local function figures_of(sample)
  local error_rate = 0
  if sample.requests > 0 then error_rate = sample.errors / sample.requests end
  return { requests = sample.requests, errors = sample.errors, error_rate = error_rate,
    p50 = quantile(sample, 0.5), p95 = quantile(sample, 0.95) }
end

-- take_origin(keys, report, now, ttl_ms): adds an instance's report (ARGV[10], encodeSample's form;
-- '' = none) into the slot of the current second (field second mod WINDOW_SLOTS of keys.origin,
-- "<second>,<sample>"; HGET, HSET, PEXPIRE). A slot holding an older second is overwritten; a report
-- parse_sample refuses, or one that would take the slot past MAX_SAMPLE_REQUESTS, changes nothing.
local function take_origin(keys, report, now, ttl_ms)
  local sample = parse_sample(report)
  if not sample or sample.requests == 0 then return end
  local second = math.floor(now / SLOT_MS)
  local field = string.format('%d', second % WINDOW_SLOTS)
  local stored = redis.call('HGET', keys.origin, field)
  if stored then
    local at, text = string.match(stored, '^(%d+),(.*)$')
    local old = tonumber(at) == second and parse_sample(text)
    if old then
      if old.requests + sample.requests > MAX_SAMPLE_REQUESTS then return end
      add_sample(old, sample)
      sample = old
    end
  end
  redis.call('HSET', keys.origin, field, string.format('%d', second) .. ',' .. encode_sample(sample))
  redis.call('PEXPIRE', keys.origin, ttl_ms)
end

-- origin_sample(keys, now, span_ms) -> the fleet's sample over the slots of the last span_ms (the
-- current second and the ones before it, at most WINDOW_SLOTS): HMGET keys.origin; a slot of an older
-- second (not written since) or one that cannot be read counts nothing.
local function origin_sample(keys, now, span_ms)
  local second = math.floor(now / SLOT_MS)
  local slots = math.min(WINDOW_SLOTS, math.max(1, math.floor(span_ms / SLOT_MS)))
  local fields = {}
  for i = 1, slots do fields[i] = string.format('%d', (second - i + 1) % WINDOW_SLOTS) end
  local stored = redis.call('HMGET', keys.origin, unpack(fields))
  local total = empty_sample()
  for i = 1, slots do
    local at, text = string.match(stored[i] or '', '^(%d+),(.*)$')
    local sample = tonumber(at) == second - i + 1 and parse_sample(text)
    if sample then add_sample(total, sample) end
  end
  return total
end

-- origin_figures(keys, now, span_ms) -> figures_of(origin_sample(keys, now, span_ms)).
local function origin_figures(keys, now, span_ms)
  return figures_of(origin_sample(keys, now, span_ms))
end

-- round_rate(rate) -> the rate as stored: two decimals (roundRate in autopilot.ts).
local function round_rate(rate)
  return math.floor(rate * 100 + 0.5) / 100
end

-- clamp_rate(rate, limits) -> rate within [limits.min_rate, limits.max_rate] (clampRate).
local function clamp_rate(rate, limits)
  return math.min(limits.max_rate, math.max(limits.min_rate, rate))
end

-- start_state(rate, limits, now, learned) -> the state of an autopilot (re)started at rate (clamped)
-- at now; nothing carries over but learned (startState). A state's fields (times ms, 0 = none):
--   rate, decided_at, offered (admitted count at offered_at), offered_at, changed_at, last_kind ('up' |
--   'down' | 'set'), breach_rate, healthy_rate, learned, cut_p95, cut_error_rate, cut_requests (as
--   AutopilotState)
local function start_state(rate, limits, now, learned)
  return { rate = round_rate(clamp_rate(rate, limits)), decided_at = 0, offered = 0, offered_at = 0,
    changed_at = now, last_kind = 'set', breach_rate = 0, healthy_rate = 0, learned = learned, cut_p95 = 0,
    cut_error_rate = 0, cut_requests = 0 }
end

-- copy_state(state) -> a new state table with the same fields.
local function copy_state(s)
  return { rate = s.rate, decided_at = s.decided_at, offered = s.offered, offered_at = s.offered_at,
    changed_at = s.changed_at, last_kind = s.last_kind, breach_rate = s.breach_rate,
    healthy_rate = s.healthy_rate, learned = s.learned, cut_p95 = s.cut_p95, cut_error_rate = s.cut_error_rate,
    cut_requests = s.cut_requests }
end

-- decide(input, state, limits, now) -> decision: the twin of decide() in model/autopilot.ts, the same
-- operations in the same order. input: { mode, queue (boolean), offered, recent, settled (figures_of
-- tables) }; limits: { min_rate, max_rate, target_p95, max_error_rate }. Keys: none.
--   { kind = 'wait' }                                      decided less than DECIDE_EVERY_MS ago
--   { kind = 'hold', why = <HoldReason>, state }            the rate stays; state is the one to keep
--   { kind = 'change', from, to, reason = { code, x, y }, state }   x, y: the reason's figures (nil
--                                                          when none): p95_high, healthy: p95, target;
--                                                          errors_high: error rate, its maximum
local function decide(input, state, limits, now)
  if state.decided_at > 0 and now - state.decided_at < DECIDE_EVERY_MS then return { kind = 'wait' } end
  -- The rate really used: the offers made over the last 10-30 s (a rate far above the arrivals is not
  -- used). A cut starts from it, but from no less than a quarter of the rate; with a queue, the rate
  -- in force.
  local span = now - state.offered_at
  local measured = state.offered_at > 0 and span >= DECIDE_EVERY_MS and span <= OFFER_WINDOW_MS
  local used = state.rate
  if measured then used = (math.max(0, input.offered - state.offered) * 60000) / span end
  local base = state.rate
  if not input.queue then base = math.min(state.rate, math.max(used, state.rate * USED_FLOOR)) end
  local renew = state.offered_at <= 0 or span >= OFFER_SPAN_MS or span < 0
  local next = copy_state(state)
  next.decided_at = now
  if renew then
    next.offered = input.offered
    next.offered_at = now
  end
  -- A room that admits nobody teaches nothing, and its pause is no settle time.
  if input.mode ~= 'auto' and input.mode ~= 'queue-all' then
    next.changed_at = now
    return { kind = 'hold', why = 'not_admitting', state = next }
  end

  local recent = input.recent
  local judged = recent.requests >= MIN_JUDGE_REQUESTS
  -- Few requests and nobody waiting: nothing to judge, and nothing to gain.
  if not judged and not input.queue then return { kind = 'hold', why = 'too_few_requests', state = next } end
  local p95 = recent.p95 or 0
  local slow = judged and p95 > limits.target_p95
  local failing = judged and recent.error_rate > limits.max_error_rate
  if slow or failing then
    local since_change = now - state.changed_at
    if state.last_kind == 'down' and since_change < CUT_GAP_MS then
      return { kind = 'hold', why = 'cut_gap', state = next }
    end
    -- Recovering: something got better since the cut (p95, errors, or the load itself, as the visitors
    -- admitted before it leave) and nothing got worse (p95 beyond the noise, errors beyond the maximum).
    local improving = p95 < state.cut_p95 * RECOVERY_SHARE or
      recent.error_rate < state.cut_error_rate * RECOVERY_SHARE or
      recent.requests < state.cut_requests * RECOVERY_SHARE
    local worse = p95 > state.cut_p95 / RECOVERY_SHARE or
      recent.error_rate > state.cut_error_rate + limits.max_error_rate
    local recovering = state.last_kind == 'down' and since_change < RECOVERY_MS and improving and not worse
    if recovering then return { kind = 'hold', why = 'recovering', state = next } end
    -- The origin hurt at this rate: a breach at or below what it was thought to sustain means the capacity fell.
    local learned = state.learned
    if state.learned > 0 and state.learned >= base then learned = 0 end
    local slow_cut, failing_cut = MAX_CUT, MAX_CUT
    if slow then slow_cut = math.min(MAX_CUT, math.max(MIN_CUT, limits.target_p95 / p95)) end
    if failing then failing_cut = math.min(MAX_CUT, math.max(MIN_ERROR_CUT, (1 - recent.error_rate) * MAX_CUT)) end
    local cut = math.min(slow_cut, failing_cut)
    local to = base * cut
    -- A probe that went too far: back to just under where the origin was fine seconds ago.
    if state.last_kind == 'up' and state.healthy_rate > 0 and state.healthy_rate * PROBE_BACK > to then
      to = math.min(state.healthy_rate * PROBE_BACK, base)
    end
    -- Latency alone takes the rate at most to half of where this episode of trouble began, within
    -- RECOVERY_MS: the visitors let in before the cuts keep the origin slow for a while (the lag).
    local floor = 0
    if state.last_kind == 'down' and since_change < RECOVERY_MS and state.breach_rate > 0 and not failing then
      floor = state.breach_rate * MIN_CUT
    end
    to = round_rate(clamp_rate(math.max(to, floor), limits))
    local breached = next
    -- Where this episode of trouble began; the cuts that follow it act on the lag, not on the origin's limit.
    if not (state.last_kind == 'down' and state.breach_rate > 0) then breached.breach_rate = round_rate(base) end
    breached.learned = learned
    breached.cut_p95 = p95
    breached.cut_error_rate = recent.error_rate
    breached.cut_requests = recent.requests
    if to >= state.rate then
      local why = 'cut_gap'
      if state.rate <= limits.min_rate then why = 'at_min' end
      return { kind = 'hold', why = why, state = breached }
    end
    local reason = { code = 'errors_high', x = recent.error_rate, y = limits.max_error_rate }
    if slow then reason = { code = 'p95_high', x = p95, y = limits.target_p95 } end
    breached.rate = to
    breached.changed_at = now
    breached.last_kind = 'down'
    return { kind = 'change', from = state.rate, to = to, reason = reason, state = breached }
  end

  if now - state.changed_at < SETTLE_MS then return { kind = 'hold', why = 'settling', state = next } end
  local settled = input.settled
  -- Few requests while people wait (a low rate): no sign of trouble, so it may probe, but learns nothing.
  local quiet = settled.requests < MIN_JUDGE_REQUESTS
  if quiet and (settled.errors > 0 or not input.queue) then
    return { kind = 'hold', why = 'too_few_requests', state = next }
  end
  local settled_p95 = settled.p95 or 0
  local healthy = settled_p95 <= limits.target_p95 * HEALTHY_P95_SHARE and
    settled.error_rate <= limits.max_error_rate * HEALTHY_ERROR_SHARE
  if not quiet and not healthy then return { kind = 'hold', why = 'in_band', state = next } end
  if not input.queue then return { kind = 'hold', why = 'no_queue', state = next } end
  if input.capped == true then return { kind = 'hold', why = 'capped', state = next } end
  -- Healthy with a queue at this rate, for a whole settle time: sustained.
  local rate = state.rate
  local learned_now = next
  if not quiet then
    learned_now.healthy_rate = rate
    learned_now.learned = math.max(state.learned, rate)
    -- Healthy clearly past the rate where it last hurt: the origin grew, the memory goes.
    if state.breach_rate > 0 and rate >= state.breach_rate * FORGET_BREACH then learned_now.breach_rate = 0 end
  end
  if rate >= limits.max_rate then return { kind = 'hold', why = 'at_max', state = learned_now } end
  local breach = learned_now.breach_rate
  local to = math.max(rate * PROBE_STEP, rate + MIN_PROBE_STEP)
  if breach > 0 and to > breach * NEAR_BREACH then to = math.max(breach * NEAR_BREACH, rate * NEAR_STEP) end
  to = round_rate(clamp_rate(to, limits))
  if to <= rate then return { kind = 'hold', why = 'at_max', state = learned_now } end
  learned_now.rate = to
  learned_now.changed_at = now
  learned_now.last_kind = 'up'
  return { kind = 'change', from = rate, to = to,
    reason = { code = 'healthy', x = settled_p95, y = limits.target_p95 }, state = learned_now }
end

-- load_autopilot(autopilot_key) -> state (nil when the hash has no rate r: never started, or the
-- SETTINGS script cleared it), learned (kept across restarts; 0 = none). HMGET autopilot_key.
local function load_autopilot(autopilot_key)
  local s = redis.call('HMGET', autopilot_key, 'r', 'd', 'o', 'c', 'k', 'b', 'g', 'l', 'q', 'e', 'a', 'n')
  local learned = tonumber(s[8]) or 0
  local rate = tonumber(s[1])
  -- A rate that is not a number (NaN reads as one in Lua) restarts the autopilot.
  if not rate or rate ~= rate then return nil, learned end
  local kind = s[5]
  if kind ~= 'up' and kind ~= 'down' then kind = 'set' end
  return { rate = rate, decided_at = tonumber(s[2]) or 0, offered = tonumber(s[3]) or 0,
    changed_at = tonumber(s[4]) or 0, last_kind = kind, breach_rate = tonumber(s[6]) or 0,
    healthy_rate = tonumber(s[7]) or 0, learned = learned, cut_p95 = tonumber(s[9]) or 0,
    cut_error_rate = tonumber(s[10]) or 0, offered_at = tonumber(s[11]) or 0, cut_requests = tonumber(s[12]) or 0 },
    learned
end

-- save_autopilot(autopilot_key, state, hold, ttl_ms): writes the state (HSET r d o a c k b g l q e n, numbers
-- as %.17g so they read back as the same doubles) and h = hold ('' after a change), PEXPIRE.
local function save_autopilot(autopilot_key, state, hold, ttl_ms)
  local function n(x) return string.format('%.17g', x) end
  redis.call('HSET', autopilot_key, 'r', n(state.rate), 'd', n(state.decided_at), 'o', n(state.offered),
    'a', n(state.offered_at), 'c', n(state.changed_at), 'k', state.last_kind, 'b', n(state.breach_rate), 'g', n(state.healthy_rate),
    'l', n(state.learned), 'q', n(state.cut_p95), 'e', n(state.cut_error_rate), 'n', n(state.cut_requests),
    'h', hold)
  redis.call('PEXPIRE', autopilot_key, ttl_ms)
end

-- log_change(log_key, at, from, to, code, x, y, ttl_ms): one change of the rate into log_key (ZADD score
-- at, member "<at>:<from>:<to>:<code>:<x>:<y>", x and y '' when nil); changes older than HISTORY_MINUTES
-- go (ZREMRANGEBYSCORE), PEXPIRE. At most one change per call, so the log is bounded by time.
local function log_change(log_key, at, from, to, code, x, y, ttl_ms)
  local function n(v)
    if v == nil then return '' end
    return string.format('%.17g', v)
  end
  redis.call('ZADD', log_key, at, table.concat({ n(at), n(from), n(to), code, n(x), n(y) }, ':'))
  redis.call('ZREMRANGEBYSCORE', log_key, '-inf', '(' .. string.format('%d', at - HISTORY_MINUTES * 60000))
  redis.call('PEXPIRE', log_key, ttl_ms)
end

-- autopilot_defaults(text) -> the deployed settings of ARGV[11], "on|off,min,max,p95,err,timeout":
-- { on (boolean), min_rate, max_rate, target_p95, max_error_rate, timeout_ms }, or nil when text is
-- '' or not that (the room has no autopilot: it stays off whatever an operator or an event says).
local function autopilot_defaults(text)
  local on, min, max, p95, err, timeout =
    string.match(text or '', '^(o[nf]f?),([^,]+),([^,]+),([^,]+),([^,]+),([^,]+)$')
  if not on or (on ~= 'on' and on ~= 'off') then return nil end
  local d = { on = on == 'on', min_rate = tonumber(min), max_rate = tonumber(max), target_p95 = tonumber(p95),
    max_error_rate = tonumber(err), timeout_ms = tonumber(timeout) }
  if not (d.min_rate and d.max_rate and d.target_p95 and d.max_error_rate and d.timeout_ms) then return nil end
  return d
end
`;

/** `steer`: the autopilot's step inside `open_room`, once the frontier is at now. */
export const AUTOPILOT_STEER_LUA = `
-- steer(room, settings, keys, args): sets the autopilot's rate when it is on at args.now (the caller
-- checks), after the frontier was advanced to now at the old rate, so a new rate applies from now.
-- In order: (a) no rate in the autopilot hash (first time, or the SETTINGS script cleared it), or no
-- decision for RESTART_AFTER_MS (it was off, or nobody came): start at the rate in force with
-- autopilot off, clamped, keeping what it learned ('started'); (b) an event with a rate that started
-- after the autopilot's last change and after the operator's rate: restart from the event's rate
-- ('event'); (c) a rate outside the bounds (they changed): clamp ('bounds'); (d) otherwise, when a
-- decision is due (DECIDE_EVERY_MS since the last), decide() on the origin's figures (HMGET
-- keys.origin) and keep its state. A change is logged (log_change) and settings.rate follows it.
-- Reads keys.autopilot via settings.autopilot (load_settings); writes keys.autopilot, keys.autopilot_log.
local function steer(room, settings, keys, args)
  local now, ttl_ms, limits = args.now, args.ttl_ms, settings.limits
  local state = settings.autopilot
  local from, code, x, y
  -- Not started, or not run for RESTART_AFTER_MS (it was off, or nobody came): its old rate says
  -- nothing of the origin now, so it starts again from the rate in force, keeping what it learned.
  if not state or (state.decided_at > 0 and now - state.decided_at > RESTART_AFTER_MS) then
    if state then from = state.rate else from = settings.rate_off end
    state = start_state(settings.rate_off, limits, now, settings.learned)
    code = 'started'
  else
    local e = active_at(settings.events, now)
    if e and e.perMinute and e.startsAt > state.changed_at and e.startsAt > settings.rate_at then
      from, code = state.rate, 'event'
      state = start_state(e.perMinute, limits, now, state.learned)
    elseif state.rate < limits.min_rate or state.rate > limits.max_rate then
      from, code, x, y = state.rate, 'bounds', limits.min_rate, limits.max_rate
      state = copy_state(state)
      state.rate = round_rate(clamp_rate(state.rate, limits))
      state.changed_at = now
      state.last_kind = 'set'
    elseif state.decided_at > 0 and now - state.decided_at < DECIDE_EVERY_MS then
      return
    else
      local offered = admitted(room)
      -- Capped: the active-users cap stops the frontier short of the queue (MAX_ACTIVE, not the rate).
      local capped = room.ceiling >= 0 and room.ceiling < room.last_ticket
      local decision = decide({ mode = settings.mode, queue = room.last_ticket > offered, capped = capped,
        offered = offered,
        recent = origin_figures(keys, now, RECENT_MS), settled = origin_figures(keys, now, SETTLE_MS) },
        state, limits, now)
      if decision.kind == 'wait' then return end
      if decision.kind == 'hold' then
        save_autopilot(keys.autopilot, decision.state, decision.why, ttl_ms)
        return
      end
      from, code, x, y = decision.from, decision.reason.code, decision.reason.x, decision.reason.y
      state = decision.state
    end
  end
  save_autopilot(keys.autopilot, state, '', ttl_ms)
  log_change(keys.autopilot_log, now, from, state.rate, code, x, y, ttl_ms)
  settings.autopilot = state
  settings.rate = state.rate
end
`;
