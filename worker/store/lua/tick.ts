import { admissionScript, type SettingsTail, type StateTail } from "./advance.ts";

/**
 * TICK: reads a room's frontier and live settings, advancing the frontier
 * first. Worker instances call it to refresh their cached view (about once a
 * second each), so the frontier moves with the traffic itself, with no cron
 * and no external driver, and operators' changes reach every instance.
 *
 * KEYS[1..15], ARGV[1..13]: as every admission script (see advance.ts).
 * ARGV[14] releases_since  store time of the newest release the instance knows (0 = none yet)
 * ARGV[15] consumed_since  feed time of the newest places-used entry the instance read (0 = none yet)
 *
 * Returns { frontier, last_ticket, now, show, active, ceiling, epoch, base, restored_at, instances, previous, floor,
 *           rate, mode, session, max, version,
 *           autopilot, min_rate, max_rate, target_p95_ms, max_error_rate, timeout_ms, cursor, consumed_cursor, skipped, released_count, taken_count, released..., taken..., consumed... }:
 *   frontier     the advanced frontier, as a string (keeps its fraction)
 *   last_ticket  last position handed out
 *   now          the time used, ms
 *   show         the show ratio (no-show compensation), as a string
 *   active       visitors active (the active-users cap)
 *   ceiling      the highest frontier the cap allows, as a string; -1 = no cap
 *   epoch, base, restored_at, instances, previous, floor   the state's epoch and its base, when it was
 *                restored (0 = never), the live instances, counting the caller, the epoch it was
 *                restored from (0 = none) and the cap of tickets older than that one (-1 = none)
 *                (state_reply, note_instance, restore_room in advance.ts)
 *   rate, mode, session, max, version   the live settings (session, max "" = default; rate: the
 *                autopilot's while it is on)
 *   autopilot, min_rate, max_rate, target_p95_ms, max_error_rate, timeout_ms   the autopilot's settings
 *                in force (autopilot 1 on, 0 off; the numbers as strings, "" when the room has none)
 *   cursor       store time of the newest release returned (releases_since when none)
 *   consumed_cursor  feed time of the newest places-used entry returned (consumed_since when none)
 *   skipped      places-used entries after consumed_since left out (older than the ones returned)
 *   released_count   how many releases follow
 *   taken_count  how many taken positions follow the releases
 *   released     up to RELEASES_PER_TICK releases heard from RELEASES_OVERLAP_MS before
 *                releases_since on, oldest first, each "<subject>@<released at ms>" (the overlap
 *                catches releases written in the same millisecond as the last read; the instance
 *                ignores ones it already knows)
 *   taken        the positions of ARGV[5] whose place someone had used before (their bit was
 *                already set): the reporter's admission by each was not the place's first, unless
 *                the feed shows the same client within the grace (the instance decides)
 *   consumed     the newest CONSUMED_ENTRIES_PER_TICK places-used entries after consumed_since (all
 *                of them when fewer), oldest first, each "<feed time>:<position>[.<device>],...":
 *                the places other instances (and this one) used, for every instance to refuse copies
 *                of their tickets. Feed times only grow, so reading after the cursor gets each entry
 *                at most once. An instance further behind (a new one, cursor 0, or one that fell
 *                behind a surge) skips the older entries: the newest places are the ones whose copies
 *                are still worth something, and a copy of a place it never heard of is caught when it
 *                reports that place (taken), and it reports each place it uses at once while it
 *                may not know all the places used (see RoomLink.catchUp).
 */
export const TICK_LUA = admissionScript(`
local keys = room_keys(KEYS)
local args = room_args(ARGV)
local releases_since = tonumber(ARGV[14]) or 0
local consumed_since = tonumber(ARGV[15]) or 0

local room, settings = open_room(keys, args)
room.instances = note_instance(keys.fleet, args.instance, args.now, args.ttl_ms)
save_room(room, keys, args.ttl_ms)
local fresh = redis.call('ZRANGEBYSCORE', keys.released, releases_since - RELEASES_OVERLAP_MS, '+inf',
  'WITHSCORES', 'LIMIT', 0, RELEASES_PER_TICK)
local cursor = releases_since
local released = {}
for i = 1, #fresh, 2 do
  released[#released + 1] = fresh[i]
  if tonumber(fresh[i + 1]) > cursor then cursor = tonumber(fresh[i + 1]) end
end
-- The newest entries after the cursor: those pending beyond one tick's worth, the oldest, are skipped.
local pending = redis.call('ZCOUNT', keys.consumed_feed, '(' .. consumed_since, '+inf')
local skipped = math.max(0, pending - CONSUMED_ENTRIES_PER_TICK)
local feed = redis.call('ZRANGEBYSCORE', keys.consumed_feed, '(' .. consumed_since, '+inf',
  'WITHSCORES', 'LIMIT', skipped, CONSUMED_ENTRIES_PER_TICK)
local consumed_cursor = consumed_since
local consumed = {}
for i = 1, #feed, 2 do
  consumed[#consumed + 1] = feed[i + 1] .. ':' .. feed[i]
  consumed_cursor = tonumber(feed[i + 1])
end
return flatten(state_reply(room), settings_reply(settings),
  { cursor, consumed_cursor, skipped, #released, #room.taken }, released, room.taken, consumed)
`);

/** Raw reply of {@link TICK_LUA}. */
export type TickReply = [
  ...state: StateTail,
  ...settings: SettingsTail,
  cursor: number,
  consumedCursor: number,
  skipped: number,
  releasedCount: number,
  takenCount: number,
  ...entries: (string | number)[],
];
