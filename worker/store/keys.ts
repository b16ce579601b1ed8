/**
 * The Redis key schema, in one place. Every key of a room lives under
 * `anteroom:{<room>}:` so one room's keys share a cluster hash slot (the
 * braces are a Redis Cluster hash tag) and `SCAN anteroom:{room}:*` finds them.
 *
 * | key                        | type | fields / meaning                                                 | expiry |
 * |----------------------------|------|------------------------------------------------------------------|--------|
 * | anteroom:{room}:state      | hash | f = frontier (float), t = last ticket, u = last advance ms, s = show ratio, b = last folded claims bucket, k = buckets in the ratio, a = admitted count when offers were last noted, e = epoch (the ms the state was created or restored; absent = 0, a state from before epochs), o = the epoch's base (the last ticket it was restored at: tickets of other epochs beyond it stand at it), r = restored at (ms; absent when the state was created, not restored), q = the epoch it was restored from, l = the cap of tickets older than q (-1 = none) | {@link stateTtlMs} after the last write |
 * | anteroom:{room}:settings   | hash | operators' overrides: rate, mode, session (minutes), max (active-users cap, 0 = none), ap (autopilot on / off), ap_min, ap_max (its bounds, per minute), ap_p95 (origin p95 target, ms), ap_err (origin's highest error share), ap_timeout (origin timeout, ms); v = version; rate_at, mode_at, ap_at = when changed (ms) | none (operator data) |
 * | anteroom:{room}:history    | hash | minute number -> "last_ticket:admitted:rate:requests:errors:p95:p50:epoch:base|peak_queue:peak_active:used" (at the minute's first write: rate in force, the origin over the minute before, p95 and p50 '' without requests, the room's epoch and base, so a report counts a restored epoch from its base; after '|' the minute's running peaks and places used first, kept up by every call; rows written before hold no '|' part, no epoch and base, or only "last_ticket:admitted"), the last 48 hours (HISTORY_KEPT_MINUTES), at most 2,881 rows: about 290-430 KB | 48 hours after the last write (or as state, if later) |
 * | anteroom:{room}:events     | hash | list = JSON array of scheduled events sorted by start; v = version | none (operator data) |
 * | anteroom:{room}:event-seq  | string | counter of event numbers (never reused)                        | none |
 * | anteroom:{room}:prequeue   | zset | "<event seq>:<visitor id>" -> seq + lottery draw in [0, 1)       | as state |
 * | anteroom:{room}:frozen     | hash | event seq -> last ticket before the event's pre-queue was placed | as state |
 * | anteroom:{room}:claims     | hash | "c<bucket>" -> claims, "o<bucket>" -> ms fully offered (buckets of 10 positions) | as state |
 * | anteroom:{room}:active    | zset | pass subject -> last use reported (ms): the active visitors (MAX_ACTIVE) | as state |
 * | anteroom:{room}:released  | zset | "<subject>@<released at ms>" -> when the store heard of it (ms): sessions the origin ended | as state |
 * | anteroom:{room}:consumed  | string | bitmap by position: bit p is set once position p's place was used (the first admission by its ticket); a claim counts only when its bit is new. 1 bit per position handed out: 125 KB per million | as state |
 * | anteroom:{room}:consumed-feed | zset | "<position>[.<device>],..." (the places one script call used first; device: 8 hex of the client's network and User-Agent hash) -> feed time (ms, strictly increasing); entries older than 10 minutes are trimmed on write | as state |
 * | anteroom:{room}:clients:<minute> | hash | client (IP hash) -> new tickets taken in that minute       | 2 minutes |
 * | anteroom:{room}:origin    | hash | field = second mod 60 (WINDOW_SLOTS) -> "<second>,<requests>,<errors>,<bin1>,...,<bin22>" (second = floor(ms / 1000), SLOT_MS): the fleet's origin figures per second, the sample of encodeSample; a slot of an older second is overwritten. At most 60 fields | as state |
 * | anteroom:{room}:autopilot | hash | the autopilot's state (AutopilotState): r = rate, d = decided at (ms), o = offered (admitted count) at a = offered at (ms; the offers since measure the rate used), c = changed at (ms), k = last kind (up, down, set), b = breach rate, g = healthy rate, l = learned capacity, q = p95 at the last cut (ms), e = error share at the last cut, n = origin requests in the recent window at the last cut, h = last hold reason ('' when the last decision changed the rate). No r: not started (the next admission script starts it) | as state |
 * | anteroom:{room}:autopilot-log | zset | "<at>:<from>:<to>:<code>:<x>:<y>" -> at (ms): each change of the rate (code: ChangeReason's; x, y its figures, '' when none), the last 30 minutes (trimmed on write; at most one change per DECIDE_EVERY_MS by the autopilot) | as state |
 * | anteroom:{room}:fleet    | zset | instance id (12 hex, random per worker instance) -> its last TICK or JOIN (ms; CLAIM does not count the caller): the live instances, those heard from within the last minute (FLEET_WINDOW_MS; older ids trimmed on every TICK and JOIN; at most FLEET_MAX ids) | as state |
 * | anteroom:{room}:stamps    | zset | stamp id (cookie check, Turnstile proof) -> when it may be forgotten (ms): stamps spent on a place, each kept until a little past its own expiry; trimmed by every JOIN that brings a stamp | as state |
 *
 * The state key expires after {@link stateTtlMs} without writes, which is
 * longer than any ticket lives, so an idle room cleans itself up without ever
 * resetting the counter under a ticket that is still valid.
 */
export function stateKey(room: string): string {
  return `anteroom:{${room}}:state`;
}

export function settingsKey(room: string): string {
  return `anteroom:{${room}}:settings`;
}

export function historyKey(room: string): string {
  return `anteroom:{${room}}:history`;
}

export function eventsKey(room: string): string {
  return `anteroom:{${room}}:events`;
}

export function eventSeqKey(room: string): string {
  return `anteroom:{${room}}:event-seq`;
}

export function prequeueKey(room: string): string {
  return `anteroom:{${room}}:prequeue`;
}

export function frozenKey(room: string): string {
  return `anteroom:{${room}}:frozen`;
}

export function claimsKey(room: string): string {
  return `anteroom:{${room}}:claims`;
}

export function activeKey(room: string): string {
  return `anteroom:{${room}}:active`;
}

export function releasedKey(room: string): string {
  return `anteroom:{${room}}:released`;
}

/** Places used, as a bitmap by position (the admission scripts' KEYS[10]). */
export function consumedKey(room: string): string {
  return `anteroom:{${room}}:consumed`;
}

/** The feed of places used, read by every instance from its cursor (the admission scripts' KEYS[11]). */
export function consumedFeedKey(room: string): string {
  return `anteroom:{${room}}:consumed-feed`;
}

/** New tickets per client in one minute (minute = ms since the epoch / 60 000, worker clock): JOIN's KEYS[16]. */
export function clientsKey(room: string, minute: number): string {
  return `anteroom:{${room}}:clients:${minute}`;
}

/** The fleet's origin figures, one slot per second (the admission scripts' KEYS[12]). */
export function originKey(room: string): string {
  return `anteroom:{${room}}:origin`;
}

/** The autopilot's state (the admission scripts' KEYS[13]). */
export function autopilotKey(room: string): string {
  return `anteroom:{${room}}:autopilot`;
}

/** The rate's changes, with their reasons (the admission scripts' KEYS[14]). */
export function autopilotLogKey(room: string): string {
  return `anteroom:{${room}}:autopilot-log`;
}

/**
 * The stamps spent on places (JOIN's KEYS[17]): bounded by time, not count:
 * an id is dropped once no instance could accept its stamp any more, so the
 * set holds at most the places given in one stamp lifetime (10 minutes).
 */
export function stampsKey(room: string): string {
  return `anteroom:{${room}}:stamps`;
}

/** The live instances of the fleet, by id (the admission scripts' KEYS[15]). */
export function fleetKey(room: string): string {
  return `anteroom:{${room}}:fleet`;
}

/** The keys of the admission scripts (JOIN, TICK, CLAIM), in KEYS order. */
export function roomKeys(room: string): string[] {
  return [
    stateKey(room),
    settingsKey(room),
    historyKey(room),
    eventsKey(room),
    prequeueKey(room),
    frozenKey(room),
    claimsKey(room),
    activeKey(room),
    releasedKey(room),
    consumedKey(room),
    consumedFeedKey(room),
    originKey(room),
    autopilotKey(room),
    autopilotLogKey(room),
    fleetKey(room),
  ];
}

/** State-key expiry: the ticket lifetime plus a day. */
export function stateTtlMs(ticketTtlSeconds: number): number {
  return (ticketTtlSeconds + 86_400) * 1000;
}
