/**
 * The Redis key schema, in one place. Every key of a room lives under
 * `anteroom:{<room>}:` so one room's keys share a cluster hash slot (the
 * braces are a Redis Cluster hash tag) and `SCAN anteroom:{room}:*` finds them.
 *
 * | key                        | type | fields / meaning                                                 | expiry |
 * |----------------------------|------|------------------------------------------------------------------|--------|
 * | anteroom:{room}:state      | hash | f = frontier (float), t = last ticket, u = last advance ms       | {@link stateTtlMs} after the last write |
 * | anteroom:{room}:settings   | hash | operators' overrides: rate, mode, session (minutes); v = version | none (operator data) |
 * | anteroom:{room}:history    | hash | minute number -> "last_ticket:admitted", the last 30 minutes     | as state |
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

/** The keys of the admission scripts, in KEYS order. */
export function roomKeys(room: string): string[] {
  return [stateKey(room), settingsKey(room), historyKey(room)];
}

/** State-key expiry: the ticket lifetime plus a day. */
export function stateTtlMs(ticketTtlSeconds: number): number {
  return (ticketTtlSeconds + 86_400) * 1000;
}
