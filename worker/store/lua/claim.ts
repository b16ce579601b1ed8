import {
  ADVANCE_LUA,
  SAVE_LUA,
  SETTINGS_REPLY_LUA,
  type SettingsTail,
  STATE_REPLY_LUA,
  type StateTail,
} from "./advance.ts";

/**
 * CLAIM: a pre-queued visitor asks for their place after the event's start.
 * Advances the frontier first (which freezes the pre-queue if this is the
 * first call since the start), then turns the lottery entry into a position:
 * the last ticket before the freeze plus the entry's rank among its event's
 * entries. One call per pre-queued visitor, O(log n).
 *
 * An event removed before its start still owes its pre-queue a place: the
 * first claim freezes it then, so nobody holding an entry is lost.
 *
 * KEYS[1..9], ARGV[1..9]: as every admission script (see advance.ts).
 * ARGV[10] event_seq     the event the entry belongs to
 * ARGV[11] visitor       the visitor's id
 *
 * Returns { outcome, position, base, frontier, last_ticket, now, show, active, ceiling, rate, mode, session, max, version }:
 *   outcome      1 placed, 2 not started yet (store clock), 3 no such entry (the visitor is new)
 *   position     the place (0 unless outcome is 1)
 *   base         the last ticket before the pre-queue's places (0 unless outcome is 1)
 *   frontier, last_ticket, now, show, active, ceiling   as TICK
 *   rate, mode, session, max, version   the settings in force (session, max "" = default)
 */
export const CLAIM_LUA = `
${ADVANCE_LUA}
local seq = tonumber(ARGV[10])
local outcome = 3
local position = 0
local base = redis.call('HGET', frozen_key, seq)
if not base then
  local e = event_by_seq(seq)
  if e and now < e.startsAt then
    outcome = 2
  elseif not e then
    freeze({ seq = seq })
    base = redis.call('HGET', frozen_key, seq)
  end
end
if base then
  local rank = redis.call('ZRANK', prequeue_key, seq .. ':' .. ARGV[11])
  if rank then
    base = tonumber(base)
    position = base + rank - redis.call('ZCOUNT', prequeue_key, '-inf', '(' .. seq) + 1
    outcome = 1
  else
    base = 0
  end
else
  base = 0
end
${SAVE_LUA}
return { outcome, position, base, ${STATE_REPLY_LUA}, ${SETTINGS_REPLY_LUA} }
`;

/** Raw reply of {@link CLAIM_LUA}. */
export type ClaimReply = [
  outcome: number,
  position: number,
  base: number,
  ...state: StateTail,
  ...settings: SettingsTail,
];
