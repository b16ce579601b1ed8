import { Memo } from "../gate/memo.ts";
import { bypassMatcher, queueSpecificity } from "./paths.ts";

/** What matching needs of a room: its hosts, the paths it queues and the paths it lets through. */
export interface RoomPatterns {
  /** Host names (`shop.example`, `*.shop.example`, lower case); empty: every host. */
  readonly hosts: readonly string[];
  readonly queuePaths: readonly string[];
  readonly bypassPaths: readonly string[];
}

/** How many routing decisions (host, method and path) an instance remembers. */
const MEMO_ENTRIES = 2_000;
/** Longer keys are matched afresh each time, so the memo holds about a megabyte at most. */
const MEMO_KEY_LENGTH = 320;

/**
 * Builds the test that picks a request's room: the index of the most specific
 * room, or -1 when the request goes straight through (no room queues it, or
 * the room it matches lets this path through: `bypassPaths`). The rule:
 *
 * 1. A room applies when its hosts name the request's host (or it names no
 *    host) and one of its path patterns matches (as QUEUE_PATHS matches:
 *    any reading of the path, ignoring case; paths.ts).
 * 2. Host first: a room naming the exact host beats one naming it by a
 *    wildcard (`*.shop.example`), which beats one naming no host.
 * 3. Then the longest matching path pattern (`/shop/checkout/*` beats `/shop/*`
 *    beats `/*`).
 * 4. Then the earlier room in ROOMS (config validation refuses two rooms with
 *    the same pattern on the same host, so this only orders different
 *    patterns of equal length).
 *
 * The decision depends on the host, the method and the path alone, so each
 * instance remembers it for the paths its visitors ask for, bounded (the
 * least recently used goes): URLPattern costs about a microsecond a pattern.
 *
 * @example
 * ```ts
 * const roomOf = roomMatcher([
 *   { hosts: [], queuePaths: ["/*"], bypassPaths: ["/*.css"] },
 *   { hosts: [], queuePaths: ["/checkout/*"], bypassPaths: [] },
 * ]);
 * roomOf("shop.example", "GET", "/checkout/pay"); // 1
 * roomOf("shop.example", "GET", "/site.css"); // -1: room 0 lets it through
 * ```
 */
export function roomMatcher(
  rooms: readonly RoomPatterns[],
): (host: string, method: string, pathname: string) => number {
  const compiled = rooms.map((room) => ({
    exact: new Set(room.hosts.filter((h) => !h.startsWith("*."))),
    suffixes: room.hosts.filter((h) => h.startsWith("*.")).map((h) => h.slice(1)),
    anyHost: room.hosts.length === 0,
    specificity: queueSpecificity(room.queuePaths),
    bypasses: bypassMatcher(room.bypassPaths),
  }));
  const decide = (host: string, method: string, pathname: string): number => {
    let best = -1;
    let bestHost = -1;
    let bestPath = -1;
    compiled.forEach((room, index) => {
      const hostRank = room.exact.has(host)
        ? 2
        : room.suffixes.some((suffix) => host.endsWith(suffix))
          ? 1
          : room.anyHost
            ? 0
            : -1;
      if (hostRank < 0 || hostRank < bestHost) return;
      const pathRank = room.specificity(pathname);
      if (pathRank < 0) return;
      if (hostRank > bestHost || pathRank > bestPath) {
        best = index;
        bestHost = hostRank;
        bestPath = pathRank;
      }
    });
    if (best < 0) return -1;
    return compiled[best]?.bypasses(method, pathname) ? -1 : best;
  };
  const memo = new Memo<number>(MEMO_ENTRIES);
  return (host, method, pathname) => {
    const key = `${host} ${method} ${pathname}`;
    if (key.length > MEMO_KEY_LENGTH) return decide(host, method, pathname);
    // Decisions never expire: the settings behind them live as long as the runtime (time 0, expiry never).
    const known = memo.recall(key, 0);
    if (known !== undefined) return known;
    const decision = decide(host, method, pathname);
    memo.remember(key, decision, Number.POSITIVE_INFINITY);
    return decision;
  };
}
