import { HISTORY_KEPT_MINUTES } from "../store/lua/constants.ts";
import type { MinuteRange, MinuteSnapshot } from "../store/store.ts";

/** The range `GET /history` reads when none is given: the last two hours (an event's surge and its tail). */
export const DEFAULT_HISTORY_MS = 2 * 60 * 60 * 1000;
/** The longest range one read covers: the rows kept (48 hours). */
export const MAX_HISTORY_MS = HISTORY_KEPT_MINUTES * 60_000;

/** A range asked for, in ms, or what is wrong with it (the parameter named). */
export type HistoryRangeCheck =
  | { readonly ok: true; readonly from: number; readonly to: number }
  | { readonly ok: false; readonly parameter: "from" | "to"; readonly message: string };

/**
 * Reads `from` and `to` of `GET /__anteroom/admin/history`: each ms since the
 * epoch or an ISO 8601 date-time; `to` defaults to `now`, `from` to two hours
 * before `to`. Refused: a value that is neither, `from` after `to`, a span
 * over 48 hours (the rows kept).
 *
 * @example
 * ```ts
 * historyRange({ from: "2026-12-01T18:00:00Z", to: undefined }, Date.now()); // { ok: true, from, to: now }
 * ```
 */
export function historyRange(
  query: { readonly from?: string | undefined; readonly to?: string | undefined },
  now: number,
): HistoryRangeCheck {
  const to = query.to === undefined ? now : instant(query.to);
  if (to === null) return { ok: false, parameter: "to", message: unparsable("to", query.to ?? "") };
  const from = query.from === undefined ? to - DEFAULT_HISTORY_MS : instant(query.from);
  if (from === null) return { ok: false, parameter: "from", message: unparsable("from", query.from ?? "") };
  if (from > to) return { ok: false, parameter: "from", message: "from is after to." };
  if (to - from > MAX_HISTORY_MS) {
    return { ok: false, parameter: "from", message: "from is more than 48 hours before to (history keeps 48 hours)." };
  }
  return { ok: true, from, to };
}

/** ISO 8601 as `Date.parse` reads it, but only in ISO's shape (Date.parse also takes "1", "May 5"). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function instant(text: string): number | null {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (!ISO_DATE_TIME.test(text) || !realDay(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

/** Date.parse rolls 2026-02-30 over to March 2; a day the month does not have is refused instead. */
function realDay(text: string): boolean {
  const [year = 0, month = 0, day = 0] = text.slice(0, 10).split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

function unparsable(name: string, value: string): string {
  return `${name} must be ms since the epoch or an ISO 8601 date-time (2026-12-01T18:00:00Z); got ${JSON.stringify(value.slice(0, 40))}.`;
}

/** The minutes a range covers, and the rows to read for it: back to 48 hours before its end, for the waits. */
export function rowsToRead(from: number, to: number): MinuteRange {
  const last = Math.floor(to / 60_000);
  return { from: Math.max(Math.floor(from / 60_000), last - HISTORY_KEPT_MINUTES), to: last };
}

/** Waits in whole minutes (see {@link HistoryMinute.waitMinutes}). */
export interface Waits {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/** One minute of `GET /history`. */
export interface HistoryMinute {
  /** Start of the minute, ISO 8601. */
  readonly minute: string;
  /** Places handed out (new tickets, and pre-queue entries placed at an event's start). */
  readonly arrivals: number;
  /** Places the frontier reached: visitors offered admission (straight in or from the line). */
  readonly admitted: number;
  /** Places used first in the minute; null in rows written before this was kept. */
  readonly used: number | null;
  /** Offers that lapsed unused in the minute (see {@link historyReport}); null when unknown. */
  readonly gaveUp: number | null;
  /** Waiting at the start of the minute. */
  readonly queueAtStart: number;
  /** Most waiting after any call in the minute; null when unknown (old rows). */
  readonly peakQueue: number | null;
  /** Most active visitors seen by any call in the minute; null when unknown (no call, old rows). */
  readonly peakActive: number | null;
  /**
   * Waits of the places admitted in the minute, in whole minutes: the minute
   * the frontier reached a position less the minute its ticket was handed out
   * (so a wait of w means between w - 1 and w + 1 minutes); null without admissions.
   */
  readonly waitMinutes: Waits | null;
  /** Rate in force at the minute's first call; null when unknown. */
  readonly ratePerMinute: number | null;
  /** The origin over the minute as the fleet saw it; null when unknown (no call in the next minute, or no requests). */
  readonly origin: { readonly requests: number; readonly errors: number; readonly p95Ms: number | null } | null;
}

/** The range in total. */
export interface HistoryTotals {
  readonly arrivals: number;
  readonly admitted: number;
  readonly used: number | null;
  /** Offers that lapsed unused within the range. */
  readonly gaveUp: number | null;
  /** Offers of the range's last OFFER_SECONDS still unused at its end: they may still be used. */
  readonly offersOpen: number | null;
  readonly waitMinutes: Waits | null;
  readonly peakQueue: number | null;
  readonly peakActive: number | null;
  readonly originRequests: number;
  readonly originErrors: number;
  /** The worst minute's p95 (minutes keep their p95, not their latencies, so a range's own p95 cannot be rebuilt). */
  readonly originP95MaxMs: number | null;
}

export interface HistoryReport {
  readonly from: string;
  readonly to: string;
  readonly minutes: readonly HistoryMinute[];
  readonly totals: HistoryTotals;
}

interface Counters {
  readonly lastTicket: number;
  readonly admitted: number;
  /** The epoch and its base at the counters (rows written before they were kept, and `current`, lack them). */
  readonly epoch?: number;
  readonly base?: number;
}

/**
 * Where a minute's figures count from when the room started a new epoch in
 * it (its state was lost and restored, or created anew), or null when the
 * closing counters go on from the opening ones. A new epoch's positions go on
 * from its base (the last ticket its restorer knew, not 0): one restored at
 * or past the opening last ticket goes on counting as if nothing happened; one
 * restored below it (its restorer missed tickets) counts from the base, and
 * the tickets past the base, lost with the state, are counted nowhere. Without
 * the base (rows written before it was kept) a drop of the last ticket still
 * says a restart, but not from where: counting from 0 would report every place
 * the restorer carried over (the whole line before the loss) as arriving in
 * that one minute, so the honest figure is 0 (from the closing counters): it
 * misses at most the minute's arrivals since the restart, and the minutes after
 * count exactly again. A drop within one epoch (a replica that lagged) is read
 * the same way.
 */
function restartFrom(opening: Counters, closing: Counters): Counters | null {
  const sameEpoch = opening.epoch !== undefined && closing.epoch !== undefined ? opening.epoch === closing.epoch : null;
  const dropped = closing.lastTicket < opening.lastTicket;
  if (sameEpoch === true || (sameEpoch === null && !dropped)) {
    return dropped ? { lastTicket: closing.lastTicket, admitted: closing.admitted } : null;
  }
  const base = closing.base;
  if (base === undefined) return { lastTicket: closing.lastTicket, admitted: closing.admitted };
  if (base >= opening.lastTicket) return null;
  // Admissions count from the opening's unless the base is lower (a created epoch: 0).
  return { lastTicket: base, admitted: Math.min(opening.admitted, base) };
}

/**
 * The per-minute report of `GET /history` from the rows the store keeps
 * (pure). A row holds the counters at its minute's first call; a minute's
 * figures are the differences to the next row (or to `current`, the counters
 * now). Waits come from the counters alone: position p was handed out in the
 * minute the last ticket passed p and admitted in the minute the frontier
 * passed p. Gave up: uses are matched to offers oldest first, and an offer
 * still unused `offerMs` after its minute lapsed (counted in the minute it
 * lapses); the room cannot tell who left the line before their turn from who
 * never came back for it: both are offers unused.
 *
 * @example
 * ```ts
 * const report = historyReport({ rows, current, from, to, now, offerMs: 300_000 });
 * ```
 */
export function historyReport(input: {
  readonly rows: readonly MinuteSnapshot[];
  readonly current: Counters | null;
  readonly from: number;
  readonly to: number;
  readonly now: number;
  readonly offerMs: number;
}): HistoryReport {
  const { rows, from, to, now } = input;
  const firstShown = Math.floor(from / 60_000);
  const lastShown = Math.floor(to / 60_000);
  const nowMinute = Math.floor(now / 60_000);
  const offerMinutes = Math.max(1, Math.ceil(input.offerMs / 60_000));
  const byMinute = new Map(rows.map((row) => [row.minute, row]));
  const start = rows[0]?.minute ?? firstShown;
  const minutes: HistoryMinute[] = [];
  // Arrival intervals (positions handed out per minute), oldest first, for the waits.
  const tickets: { minute: number; from: number; to: number }[] = [];
  // Offers not yet used nor lapsed, oldest first (uses are matched to the oldest).
  const open: { minute: number; count: number }[] = [];
  let knownUse = true;
  let previous: Counters | null = null;
  let after = 0;
  let totalUsed = 0;
  let totalGaveUp = 0;
  const allWaits = new Map<number, number>();
  for (let minute = Math.min(start, firstShown); minute <= lastShown; minute++) {
    const row = byMinute.get(minute);
    const opening: Counters | null = row ?? previous;
    // The first row after the minute: its opening counters close the minute (nothing ran in between).
    while (after < rows.length && (rows[after] as MinuteSnapshot).minute <= minute) after++;
    const next = rows[after] ?? null;
    const closing: Counters | null = next ?? (minute <= nowMinute && input.current ? input.current : (opening ?? null));
    const restart = opening !== null && closing !== null ? restartFrom(opening, closing) : null;
    if (restart !== null) {
      tickets.length = 0;
      open.length = 0;
    }
    const base = restart ?? opening ?? { lastTicket: 0, admitted: 0 };
    const arrivals = row && closing ? Math.max(0, closing.lastTicket - base.lastTicket) : 0;
    const admitted = row && closing ? Math.max(0, closing.admitted - base.admitted) : 0;
    if (arrivals > 0) tickets.push({ minute, from: base.lastTicket, to: base.lastTicket + arrivals });
    const waits = new Map<number, number>();
    waitsOf(tickets, base.admitted, base.admitted + admitted, minute, waits);
    if (row && row.used === undefined) knownUse = false;
    const used = row ? (row.used ?? null) : 0;
    if (admitted > 0) open.push({ minute, count: admitted });
    let gaveUp = 0;
    if (used !== null) gaveUp = settle(open, used, minute, offerMinutes);
    const shown = minute >= firstShown;
    if (shown) {
      const origin = byMinute.get(minute + 1)?.origin;
      for (const [wait, count] of waits) allWaits.set(wait, (allWaits.get(wait) ?? 0) + count);
      totalUsed += used ?? 0;
      totalGaveUp += gaveUp;
      minutes.push({
        minute: new Date(minute * 60_000).toISOString(),
        arrivals,
        admitted,
        used,
        gaveUp: knownUse ? gaveUp : null,
        queueAtStart: opening ? Math.max(0, opening.lastTicket - opening.admitted) : 0,
        peakQueue: row ? (row.peakQueue ?? null) : opening ? Math.max(0, opening.lastTicket - opening.admitted) : 0,
        peakActive: row?.peakActive ?? null,
        waitMinutes: percentiles(waits),
        ratePerMinute: row?.ratePerMinute ?? null,
        origin:
          origin && origin.requests > 0
            ? { requests: origin.requests, errors: origin.errors, p95Ms: origin.p95Ms }
            : null,
      });
    }
    previous = closing;
  }
  const shownMax = (pick: (m: HistoryMinute) => number | null) =>
    minutes.reduce<number | null>((max, m) => {
      const value = pick(m);
      return value === null ? max : Math.max(max ?? 0, value);
    }, null);
  const sum = (pick: (m: HistoryMinute) => number) => minutes.reduce((total, m) => total + pick(m), 0);
  const openAtEnd = open.reduce((total, o) => total + o.count, 0);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    minutes,
    totals: {
      arrivals: sum((m) => m.arrivals),
      admitted: sum((m) => m.admitted),
      used: knownUse ? totalUsed : null,
      gaveUp: knownUse ? totalGaveUp : null,
      offersOpen: knownUse ? openAtEnd : null,
      waitMinutes: percentiles(allWaits),
      peakQueue: shownMax((m) => m.peakQueue),
      peakActive: shownMax((m) => m.peakActive),
      originRequests: sum((m) => m.origin?.requests ?? 0),
      originErrors: sum((m) => m.origin?.errors ?? 0),
      originP95MaxMs: shownMax((m) => m.origin?.p95Ms ?? null),
    },
  };
}

/** Adds to `into` the waits (minutes) of positions (from, to] admitted in `minute`, from the arrival intervals. */
function waitsOf(
  tickets: readonly { minute: number; from: number; to: number }[],
  from: number,
  to: number,
  minute: number,
  into: Map<number, number>,
): void {
  for (const t of tickets) {
    const count = Math.min(to, t.to) - Math.max(from, t.from);
    if (count > 0) into.set(minute - t.minute, (into.get(minute - t.minute) ?? 0) + count);
  }
}

/** Matches `used` places to the oldest open offers, then lapses offers older than the offer time; returns those lapsed. */
function settle(open: { minute: number; count: number }[], used: number, minute: number, offerMinutes: number): number {
  let left = used;
  while (left > 0 && open.length > 0) {
    const oldest = open[0] as { minute: number; count: number };
    const take = Math.min(left, oldest.count);
    oldest.count -= take;
    left -= take;
    if (oldest.count === 0) open.shift();
  }
  let lapsed = 0;
  while (open.length > 0 && (open[0] as { minute: number }).minute <= minute - offerMinutes) {
    lapsed += (open.shift() as { count: number }).count;
  }
  return lapsed;
}

/** p50, p95 and max of a histogram (value -> count), by rank; null when empty. */
function percentiles(histogram: ReadonlyMap<number, number>): Waits | null {
  const values = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const total = values.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const at = (q: number) => {
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (const [value, count] of values) {
      seen += count;
      if (seen >= rank) return value;
    }
    return (values.at(-1) as [number, number])[0];
  };
  return { p50: at(0.5), p95: at(0.95), max: (values.at(-1) as [number, number])[0] };
}
