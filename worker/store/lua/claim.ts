import { admissionScript, type SettingsTail, type StateTail } from "./advance.ts";

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
 * KEYS[1..15], ARGV[1..13]: as every admission script (see advance.ts).
 * ARGV[14] event_seq     the event the entry belongs to
 * ARGV[15] visitor       the visitor's id
 *
 * Returns { outcome, position, base, frontier, last_ticket, now, show, active, ceiling, epoch, state_base,
 *           restored_at, instances, previous, floor, rate, mode, session, max,
 *           version, autopilot, min_rate, max_rate, target_p95_ms, max_error_rate, timeout_ms }:
 *   outcome      1 placed, 2 not started yet (store clock), 3 no such entry (the visitor is new)
 *   position     the place (0 unless outcome is 1)
 *   base         the last ticket before the pre-queue's places (0 unless outcome is 1)
 *   frontier, last_ticket, now, show, active, ceiling, epoch, state_base, restored_at, instances, previous,
 *                floor   as TICK (state_base: the epoch's base; instances 0: CLAIM does not count them)
 *   rate, mode, session, max, version   the settings in force (session, max "" = default)
 *   autopilot, min_rate, max_rate, target_p95_ms, max_error_rate, timeout_ms   the autopilot's settings
 *                in force, as JOIN
 */
export const CLAIM_LUA = admissionScript(`
local keys = room_keys(KEYS)
local args = room_args(ARGV)
local seq = tonumber(ARGV[14])
local visitor = ARGV[15]

local room, settings = open_room(keys, args)
local outcome, position = 3, 0
local base = redis.call('HGET', keys.frozen, seq)
if not base then
  local e = event_by_seq(settings.events, seq)
  if e and args.now < e.startsAt then
    outcome = 2
  elseif not e then
    freeze(room, keys, args.ttl_ms, { seq = seq })
    base = redis.call('HGET', keys.frozen, seq)
  end
end
local rank = base and redis.call('ZRANK', keys.prequeue, seq .. ':' .. visitor)
if rank then
  base = tonumber(base)
  position = base + rank - redis.call('ZCOUNT', keys.prequeue, '-inf', '(' .. seq) + 1
  outcome = 1
else
  base = 0
end
save_room(room, keys, args.ttl_ms)
return flatten({ outcome, position, base }, state_reply(room), settings_reply(settings))
`);

/** Raw reply of {@link CLAIM_LUA}. */
export type ClaimReply = [
  outcome: number,
  position: number,
  base: number,
  ...state: StateTail,
  ...settings: SettingsTail,
];
