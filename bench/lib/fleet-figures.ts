// The fleet's figures (issue 14), from the visitors' own records: positions
// handed out twice, what a Redis flush did to the visitors who were waiting,
// fallback admissions during an outage against the allowance, and Redis
// calls per second per instance. Pure functions: the surge lab measures,
// these count.
import { RESOLUTION_MS } from "./analyze.ts";
import { round } from "./stats.ts";
import type { VisitorRecord } from "./visitors.ts";

/** FIFO is promised at this resolution (as analyze.ts's inversions). */

/**
 * Claims a ticket may carry to say which run of the room's counter issued its
 * position (the `heal` work adds one when Redis loses its data). A ticket with
 * none of them is of the one and only epoch.
 */
const EPOCH_CLAIMS = ["ep", "epoch", "e", "gen"] as const;

/** The epoch of a ticket's claims (see EPOCH_CLAIMS), or null when it carries none. */
export function ticketEpoch(ticket: Record<string, unknown> | null): string | null {
  if (!ticket) return null;
  for (const name of EPOCH_CLAIMS) if (ticket[name] !== undefined) return String(ticket[name]);
  return null;
}

/**
 * Positions held by two or more visitors: the same (epoch, position) on
 * different visitors' tickets. Each visitor's position is the one on the
 * ticket of its first holding page.
 *
 * @example
 * ```ts
 * sharedPositions(records); // { positions: 3, visitors: 6, examples: [{ epoch: null, position: 2, visitors: [4, 17] }] }
 * ```
 */
export function sharedPositions(records: readonly VisitorRecord[]) {
  const holders = new Map<string, { epoch: string | null; position: number; visitors: number[] }>();
  for (const r of records) {
    if (r.position === null) continue;
    const epoch = ticketEpoch(r.ticket);
    const key = `${epoch ?? ""}:${r.position}`;
    const entry = holders.get(key) ?? { epoch, position: r.position, visitors: [] };
    entry.visitors.push(r.id);
    holders.set(key, entry);
  }
  const shared = [...holders.values()].filter((h) => h.visitors.length > 1);
  return {
    positions: shared.length,
    visitors: shared.reduce((sum, h) => sum + h.visitors.length, 0),
    epochClaim: records.some((r) => ticketEpoch(r.ticket) !== null),
    examples: shared.slice(0, 5),
  };
}

/**
 * What a flush at `flushAtMs` (ms after the start of the run) did to the
 * visitors waiting then (holding page seen before it, neither in nor gone by
 * then): how many were let in no later than the first visitor who arrived
 * after the flush (at 1 s resolution), and how many were overtaken by one
 * (let in later, or never, while they still waited).
 */
export function flushFigures(records: readonly VisitorRecord[], flushAtMs: number) {
  const waiting = records.filter(
    (r) =>
      r.firstSeenAt !== null &&
      r.firstSeenAt < flushAtMs &&
      (r.admittedAt === null || r.admittedAt >= flushAtMs) &&
      (r.abandonedAt === null || r.abandonedAt >= flushAtMs),
  );
  const later = records
    .filter((r): r is VisitorRecord & { arrival: number; admittedAt: number } => {
      return r.arrival !== null && r.arrival >= flushAtMs && r.admittedAt !== null;
    })
    .map((r) => ({ arrival: r.arrival, at: r.admittedAt }))
    .sort((a, b) => a.at - b.at);
  const firstLater = later[0]?.at ?? null;
  let overtaken = 0;
  let letInFirst = 0;
  for (const w of waiting) {
    // Overtaken: a visitor who arrived at least the resolution later got in more than the resolution before
    // this one did (or left, or the run ended): the same 1 s rule as fifoInversions (analyze.ts), so two
    // arrivals a few ms apart, let in a poll apart, are a tie, not an overtaking.
    const out = w.admittedAt ?? w.abandonedAt ?? Number.POSITIVE_INFINITY;
    const came = w.arrival ?? w.firstSeenAt ?? 0;
    const before = later.filter((t) => t.at + RESOLUTION_MS < out && t.arrival >= came + RESOLUTION_MS).length;
    if (before > 0) overtaken += 1;
    else if (w.admittedAt !== null) letInFirst += 1;
  }
  return {
    flushAtSeconds: round(flushAtMs / 1000, 1),
    waitingAtFlush: waiting.length,
    letInBeforeLaterArrivals: letInFirst,
    overtakenByLaterArrivals: overtaken,
    laterArrivalsLetIn: later.length,
    firstLaterArrivalInAtSeconds: firstLater === null ? null : round(firstLater / 1000, 1),
    resolutionMs: RESOLUTION_MS,
  };
}

/**
 * Newcomers let straight in while Redis was down, against the allowance the
 * fleet was meant to share: rate x STORE_FAILURE_RATE_SHARE x outage time.
 * `straightInAt` holds when each straight-in answer came back (visitors and
 * cookie-less clients), ms after the start of the run; answers up to
 * `graceMs` after Redis came back count (requests sent during the outage).
 */
export function outageFigures(input: {
  readonly straightInAt: readonly number[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly graceMs: number;
  /** The room's rate, per real minute. */
  readonly ratePerMinute: number;
  readonly rateShare: number;
}) {
  const { fromMs, toMs, graceMs } = input;
  const admissions = input.straightInAt.filter((t) => t >= fromMs && t < toMs + graceMs).length;
  const seconds = (toMs - fromMs) / 1000;
  // Straight-in answers second by second from 5 s before the kill to 5 s after the restart: the edges show.
  const start = fromMs - 5_000;
  const aroundPerSecond = Array.from({ length: Math.ceil((toMs + 5_000 - start) / 1000) }, () => 0);
  for (const t of input.straightInAt) {
    const i = Math.floor((t - start) / 1000);
    if (i >= 0 && i < aroundPerSecond.length) aroundPerSecond[i] = (aroundPerSecond[i] ?? 0) + 1;
  }
  const allowance = (input.ratePerMinute / 60) * input.rateShare * seconds;
  return {
    outageSeconds: round(seconds, 1),
    fallbackAdmissions: admissions,
    allowance: round(allowance, 1),
    ratio: allowance > 0 ? round(admissions / allowance, 3) : null,
    straightInPerSecondAround: aroundPerSecond,
    note: "straight-in answers (visitors and cookie-less clients) from the kill to the restart plus the grace (the worker's Redis timeout and a margin: answers to requests sent during the outage); allowance = rate x STORE_FAILURE_RATE_SHARE x outage seconds, for the whole fleet",
  };
}

/**
 * Redis script calls per second, in all and per instance, from the bridge's
 * per-label counts taken before and after a run; `labels` name the instances
 * (`i<slot>` for the fleet, "" for the one worker of `wrangler dev`).
 *
 * @example
 * ```ts
 * callsPerSecond({}, { i0: { requests: 30, scripts: 30 }, i1: { requests: 10, scripts: 10 } }, ["i0", "i1"], 10);
 * // { scriptCalls: 40, perSecond: 4, perInstancePerSecond: [3, 1], perInstanceMeanPerSecond: 2 }
 * ```
 */
export function callsPerSecond(
  before: Readonly<Record<string, { requests: number; scripts: number }>>,
  after: Readonly<Record<string, { requests: number; scripts: number }>>,
  labels: readonly string[],
  seconds: number,
) {
  const delta = (label: string) => (after[label]?.scripts ?? 0) - (before[label]?.scripts ?? 0);
  const perInstance = labels.map(delta);
  const total = perInstance.reduce((a, b) => a + b, 0);
  return {
    scriptCalls: total,
    perSecond: seconds > 0 ? round(total / seconds, 2) : null,
    perInstancePerSecond: perInstance.map((n) => (seconds > 0 ? round(n / seconds, 2) : null)),
    perInstanceMeanPerSecond: seconds > 0 && labels.length > 0 ? round(total / labels.length / seconds, 2) : null,
  };
}
