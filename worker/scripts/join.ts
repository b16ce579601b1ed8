import { ADVANCE_LUA, SAVE_LUA, SETTINGS_REPLY_LUA, type SettingsTail } from "./advance.ts";

/**
 * JOIN: a newcomer arrives. Atomically advances the frontier, hands out the
 * next position, and says whether that position is already admitted (nobody
 * waits and the rate allows) or must queue. While an event's pre-queue is
 * open, the newcomer gets a lottery entry instead of a position. One call
 * per newcomer; no check-then-write race is possible because Redis runs the
 * script alone.
 *
 * KEYS[1..6], ARGV[1..4]: as every admission script (see advance.ts).
 * ARGV[5]  visitor       the newcomer's id (the pre-queue entry's name)
 * ARGV[6]  draw          a uniform random number in [0, 1) from the worker: the lottery draw
 *
 * Returns { outcome, position, frontier, last_ticket, now, event_seq, event_starts, rate, mode, session, version }:
 *   outcome      1 straight in, 0 queued, 2 closed (no ticket given), 3 passthrough (in, no position),
 *                4 pre-queued (a lottery entry for event_seq, placed at event_starts)
 *   position     the newcomer's position (0 unless outcome is 0 or 1)
 *   frontier     the advanced frontier, as a string (keeps its fraction)
 *   last_ticket  last position handed out
 *   now          the time used, ms
 *   event_seq, event_starts   the pre-queue's event (0, 0 unless outcome is 4)
 *   rate, mode, session, version   the settings in force (session '' = default)
 */
export const JOIN_LUA = `
${ADVANCE_LUA}
local outcome = 0
local position = 0
local event_seq = 0
local event_starts = 0
local pre = prequeue_at(now)
if pre then
  -- Lottery: a random score, so arriving early or late in the window gives the same chance.
  -- Without shuffle, the score keeps arrival order.
  local fraction
  if pre.shuffleAtStart then
    fraction = math.min(tonumber(ARGV[6]) or 0, 0.999999)
  else
    fraction = redis.call('ZCOUNT', prequeue_key, pre.seq, '(' .. (pre.seq + 1)) * 1e-9
  end
  redis.call('ZADD', prequeue_key, pre.seq + fraction, pre.seq .. ':' .. ARGV[5])
  redis.call('PEXPIRE', prequeue_key, ttl_ms)
  outcome = 4
  event_seq = pre.seq
  event_starts = pre.startsAt
elseif mode == 'closed' then
  outcome = 2
elseif mode == 'passthrough' then
  outcome = 3
else
  last_ticket = last_ticket + 1
  position = last_ticket
  if position <= frontier and mode ~= 'queue-all' then outcome = 1 end
end
${SAVE_LUA}
return { outcome, position, string.format('%.17g', frontier), last_ticket, updated_at, event_seq, event_starts, ${SETTINGS_REPLY_LUA} }
`;

/** Raw reply of {@link JOIN_LUA}. */
export type JoinReply = [
  outcome: number,
  position: number,
  frontier: string | number,
  lastTicket: number,
  now: number,
  eventSeq: number,
  eventStarts: number,
  ...settings: SettingsTail,
];
