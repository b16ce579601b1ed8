import { admissionScript, type SettingsTail, type StateTail } from "./advance.ts";

/**
 * JOIN: newcomers arrive. Atomically advances the frontier, hands out the
 * next position to each newcomer in the order given, and says whether that
 * position is already admitted (nobody waits and the rate allows) or must
 * queue. While an event's pre-queue is open, the newcomer gets a lottery
 * entry instead of a position. One call per newcomer, or per batch of
 * newcomers that arrived at one instance while its previous JOIN was in
 * flight (gate/join-batcher.ts): the open_room/save_room work is paid once
 * per batch. No check-then-write race is possible because Redis runs the
 * script alone.
 *
 * KEYS[1..15], ARGV[1..13]: as every admission script (see advance.ts).
 * ARGV[14] queueing      "reject": a newcomer who would queue gets no position (outcome 7); anything
 *                        else ("fifo"): a place in line (outcome 0)
 * KEYS[16] clients_key   hash client -> new tickets this minute (expires after 2 minutes)
 * ARGV[15] visitor       the newcomer's id (the pre-queue entry's name; the pass subject if let straight in)
 * ARGV[16] draw          a uniform random number in [0, 1) from the worker: the lottery draw
 * ARGV[17] limit         most new tickets per client per minute; 0 = no limit
 * ARGV[18] client        the client's name (an IP hash), "" when unknown (not limited)
 * KEYS[17] stamps_key    zset stamp id -> when it may be forgotten (ms): the stamps already spent
 * ARGV[19] stamps        the stamps the newcomer spends, "id@forget_ms,..." ("" = none): each buys one
 *                        place, so one already in stamps_key buys nothing (outcome 6); they are
 *                        recorded as spent with what they bought (outcomes 0, 1, 3, 4), not when
 *                        nothing is given (2, 5, 7)
 * ARGV[20..]              further arrivals of a batch, in arrival order: ARGV[15..19] again for each
 *                        (ARRIVAL_ARGS entries per arrival; their limit entry is ignored)
 *
 * Returns { outcome, position, frontier, last_ticket, now, show, active, ceiling, epoch, base, restored_at,
 *           instances, previous, floor, event_seq, event_starts, rate, mode,
 *           session, max, version, autopilot, min_rate, max_rate, target_p95_ms, max_error_rate, timeout_ms }:
 *   outcome      1 straight in, 0 queued, 2 closed (no ticket given), 3 passthrough (in, no position),
 *                4 pre-queued (a lottery entry for event_seq, placed at event_starts),
 *                5 limited (the client took its share of new tickets this minute; nothing given),
 *                6 stamp used (a stamp in ARGV[19] was spent before; nothing given, nothing counted),
 *                7 rejected (queueing "reject" and the newcomer would have queued: no position, the
 *                last ticket unchanged; places already held are untouched)
 *   position     the newcomer's position (0 unless outcome is 0 or 1); for outcome 6, which stamp
 *                of ARGV[19] was spent (1 = the first)
 *   frontier     the advanced frontier, as a string (keeps its fraction)
 *   last_ticket  last position handed out
 *   now          the time used, ms
 *   show         the show ratio (no-show compensation), as a string
 *   active       visitors active (the active-users cap), counting a newcomer let straight in
 *   ceiling      the highest frontier the cap allows, as a string; -1 = no cap
 *   epoch, base, restored_at, instances, previous, floor   the state's epoch and its base, when it was
 *                restored (0 = never), the live instances (counting the caller), the epoch it
 *                was restored from (0 = none) and the cap of tickets older than that one (-1 = none)
 *                (state_reply, restore_room in advance.ts)
 *   event_seq, event_starts   the pre-queue's event (0, 0 unless outcome is 4)
 *   rate, mode, session, max, version   the settings in force (session, max "" = default; rate: the
 *                autopilot's while it is on)
 *   autopilot, min_rate, max_rate, target_p95_ms, max_error_rate, timeout_ms   the autopilot's settings
 *                in force (autopilot 1 on, 0 off; the numbers as strings, "" when the room has none)
 *   then, for each further arrival of a batch in order: outcome, position, event_seq, event_starts
 *   (the state and settings above are the ones after the whole batch)
 */
export const JOIN_LUA = admissionScript(`
local keys = room_keys(KEYS)
local args = room_args(ARGV)
local clients_key = KEYS[16]
local limit = tonumber(ARGV[17]) or 0
local stamps_key = KEYS[17]
local reject = ARGV[14] == 'reject'

local room, settings = open_room(keys, args)
-- Counted here too: an instance that only takes newcomers may not tick for a while, and an outage early
-- in a surge must not find it missing from the fleet's count (one ZADD per call, shared by a batch).
room.instances = note_instance(keys.fleet, args.instance, args.now, args.ttl_ms)

-- One newcomer, exactly as if they had come alone at this moment: a batch of k arrivals
-- leaves the same state and outcomes as k calls in that order at the same clock.
local function join_one(visitor, draw, client, stamps)
  local outcome, position, event_seq, event_starts = 0, 0, 0, 0
  -- A stamp buys one place: the first one already spent (its rank in the stamps) turns the newcomer away.
  local spent = 0
  if stamps ~= '' then
    -- Stamps no instance accepts any more are forgotten: the set is bounded by time.
    redis.call('ZREMRANGEBYSCORE', stamps_key, '-inf', '(' .. args.now)
    local rank = 0
    for id in string.gmatch(stamps, '([^,@]+)@') do
      rank = rank + 1
      if spent == 0 and redis.call('ZSCORE', stamps_key, id) then spent = rank end
    end
  end
  local pre = prequeue_at(settings.events, args.now)
  -- A clock that stepped back across the start must not add to a pre-queue already placed.
  if pre and redis.call('HEXISTS', keys.frozen, pre.seq) == 1 then pre = nil end
  local over = false
  if spent == 0 and limit > 0 and client ~= '' then
    over = redis.call('HINCRBY', clients_key, client, 1) > limit
    redis.call('PEXPIRE', clients_key, 120000)
  end
  if spent > 0 then
    outcome, position = 6, spent
  elseif over then
    outcome = 5
  elseif pre then
    -- Lottery: a random score, so arriving early or late in the window gives the same chance.
    -- Without shuffle, the score keeps arrival order.
    local fraction
    if pre.shuffleAtStart then
      fraction = math.min(draw, MAX_DRAW)
    else
      fraction = redis.call('ZCOUNT', keys.prequeue, pre.seq, '(' .. (pre.seq + 1)) * ARRIVAL_STEP
    end
    redis.call('ZADD', keys.prequeue, pre.seq + fraction, pre.seq .. ':' .. visitor)
    redis.call('PEXPIRE', keys.prequeue, args.ttl_ms)
    outcome, event_seq, event_starts = 4, pre.seq, pre.startsAt
  elseif settings.mode == 'closed' then
    outcome = 2
  elseif settings.mode == 'passthrough' then
    outcome = 3
  elseif reject and not (room.last_ticket + 1 <= room.frontier and settings.mode == 'auto') then
    -- Reject: whoever would queue is turned away without a position, so the line never grows.
    outcome = 7
  else
    room.last_ticket = room.last_ticket + 1
    position = room.last_ticket
    -- Straight in only in auto: queue-all sends everyone through the page, paused admits nobody new.
    if position <= room.frontier and settings.mode == 'auto' then
      outcome = 1
      -- Straight in is a claim at once, and the newcomer is active from now.
      count_claims(room, keys.claims, args.ttl_ms, math.floor((position - 1) / CLAIM_BUCKET), 1)
      redis.call('ZADD', keys.active, args.now, visitor)
      redis.call('PEXPIRE', keys.active, args.ttl_ms)
      room.active = room.active + 1
    end
  end
  -- Spent with what they bought, in the same atomic step: a copy of a stamp finds it here.
  if stamps ~= '' and outcome ~= 2 and outcome ~= 5 and outcome ~= 6 and outcome ~= 7 then
    for id, forget_at in string.gmatch(stamps, '([^,@]+)@(%d+)') do
      redis.call('ZADD', stamps_key, tonumber(forget_at), id)
    end
    redis.call('PEXPIRE', stamps_key, args.ttl_ms)
  end
  return { outcome, position, event_seq, event_starts }
end

-- The first arrival is ARGV[15], ARGV[16], ARGV[18], ARGV[19]; each further one repeats the group
-- (visitor, draw, limit, client, stamps) after it. The limit is the room's: the first group's counts.
local outcomes = {}
for group = 15, #ARGV - 4, ARRIVAL_ARGS do
  outcomes[#outcomes + 1] = join_one(ARGV[group], tonumber(ARGV[group + 1]) or 0, ARGV[group + 3] or '',
    ARGV[group + 4] or '')
end
save_room(room, keys, args.ttl_ms)
local first = outcomes[1]
local reply = flatten({ first[1], first[2] }, state_reply(room), { first[3], first[4] }, settings_reply(settings))
for i = 2, #outcomes do
  for _, value in ipairs(outcomes[i]) do reply[#reply + 1] = value end
end
return reply
`);

/** Raw reply of {@link JOIN_LUA}. */
export type JoinReply = [
  outcome: number,
  position: number,
  ...state: StateTail,
  eventSeq: number,
  eventStarts: number,
  ...settings: SettingsTail,
  // Each further arrival of a batch: outcome, position, eventSeq, eventStarts.
  ...more: number[],
];
