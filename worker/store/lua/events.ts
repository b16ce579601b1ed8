/**
 * EVENTS_READ: a room's scheduled events with their pre-queue sizes, for the
 * operator's API and stats. Read-only.
 *
 * KEYS[1]  events_key    hash {list = JSON array of events (see advance.ts), v = version}
 * KEYS[2]  prequeue_key  zset of pre-queue entries, score seq + [0, 1)
 * KEYS[3]  frozen_key    hash event seq -> last ticket before its pre-queue got its places
 *
 * Returns { version, json, seq1, entries1, frozen1, seq2, ... }: the list's
 * version (0 when none) and JSON ('[]' when none), then per event its seq,
 * its number of pre-queue entries and whether its pre-queue has been placed
 * (1) or not (0); 0, 0, 0 for an entry it cannot read. The list is returned
 * as stored, for the worker to read (and report) defensively.
 */
export const EVENTS_READ_LUA = `
local stored = redis.call('HMGET', KEYS[1], 'v', 'list')
local raw = stored[2] or '[]'
local reply = { tonumber(stored[1]) or 0, raw }
-- A list that is not JSON, or an entry without a numeric seq, counts nothing (the worker reports it).
local decoded, list = pcall(cjson.decode, raw)
if not decoded or type(list) ~= 'table' then list = {} end
for _, e in ipairs(list) do
  local seq = type(e) == 'table' and tonumber(e.seq) or nil
  if seq then
    reply[#reply + 1] = seq
    reply[#reply + 1] = redis.call('ZCOUNT', KEYS[2], seq, '(' .. (seq + 1))
    reply[#reply + 1] = redis.call('HEXISTS', KEYS[3], seq)
  else
    reply[#reply + 1] = 0
    reply[#reply + 1] = 0
    reply[#reply + 1] = 0
  end
end
return reply
`;

/** Raw reply of {@link EVENTS_READ_LUA}. */
export type EventsReadReply = [version: number, list: unknown, ...counts: number[]];

/**
 * EVENTS_WRITE: replaces a room's events if nobody changed them since they
 * were read (compare-and-set on the list's version), so two operators
 * scheduling at once cannot both pass the overlap check against a stale list.
 *
 * KEYS[1]  events_key    hash {list = JSON array of events, v = version}
 * KEYS[2]  seq_key       string: the room's event counter (via INCR, never reused)
 * ARGV[1]  expected      the version read before the change (0 = none yet)
 * ARGV[2]  next          the new JSON array
 * ARGV[3]  want_seq      "1" to draw a new event number, "" otherwise
 *
 * Returns { written, seq }: written 1, or 0 when the list changed meanwhile
 * (nothing written); seq the number drawn (0 when none was asked for). The
 * event being added carries the placeholder "__SEQ__" in ARGV[2], replaced
 * here by the number drawn, so the number and the list are written together.
 */
export const EVENTS_WRITE_LUA = `
local current = tonumber(redis.call('HGET', KEYS[1], 'v')) or 0
if current ~= tonumber(ARGV[1]) then return { 0, 0 } end
local seq = 0
local next = ARGV[2]
if ARGV[3] == '1' then
  seq = redis.call('INCR', KEYS[2])
  next = string.gsub(next, '"__SEQ__"', tostring(seq))
end
redis.call('HSET', KEYS[1], 'list', next, 'v', current + 1)
return { 1, seq }
`;

/** Raw reply of {@link EVENTS_WRITE_LUA}. */
export type EventsWriteReply = [written: number, seq: number];
