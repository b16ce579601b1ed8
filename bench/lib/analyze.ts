import type { OriginReport } from "./origin-thread.ts";
import { percentile, round, spread } from "./stats.ts";
import type { RequestCounts, VisitorRecord } from "./visitors.ts";

/** A reading of the room's Redis state, ms after the start of the run. */
export interface StateSample {
  readonly at: number;
  /** Frontier at `at`, advanced to that moment exactly as the next script call would. */
  readonly frontier: number;
  readonly lastTicket: number;
  /** Show ratio of no-show compensation at `at`: the frontier moves 1/showRatio times the rate. */
  readonly showRatio: number;
}

/** Everything one run produced. */
export interface RunData {
  readonly mode: "room" | "direct";
  readonly durationMs: number;
  readonly records: readonly VisitorRecord[];
  readonly counts: RequestCounts;
  readonly overheadMs: readonly number[];
  readonly origin: OriginReport;
  readonly samples: readonly StateSample[];
  /** Visitors waiting (client side), one reading per second. */
  readonly waiting: readonly number[];
}

export interface Timing {
  /** Real seconds per profile minute. */
  readonly minuteSeconds: number;
  /** Admissions per profile minute (the starting rate with the autopilot). */
  readonly ratePerMinute: number;
  /**
   * The rate in force each second, per profile minute, when it changes during
   * the run (autopilot): per-minute ratios are then against the minute's mean.
   */
  readonly ratePerSecond?: readonly number[];
  readonly originCapacity: number;
  /** The worker's active-users cap (MAX_ACTIVE); 0: off, and no active-visitor figures. */
  readonly maxActive: number;
  /** The worker's SESSION_MINUTES: how long a visitor counts as active after an admitted page view, real minutes. */
  readonly sessionMinutes: number;
}

/** One profile minute of a run with the room. */
export interface MinuteFigures {
  readonly minute: number;
  /** Visitors let in (straight in or on their turn) during the minute. */
  readonly admitted: number;
  /** Positions the frontier released during the minute (Redis). */
  readonly released: number | null;
  /** The queue never emptied during the minute: the rate alone limited admission. */
  readonly saturated: boolean;
  /**
   * Visitors (people, not the bots of `--bots`) were waiting throughout the
   * minute (client side, one reading per second). With a flood of cookie-less
   * clients the queue in Redis never empties, so this is the test for the
   * minutes in which the rate alone limited the admission of people.
   */
  readonly humanSaturated: boolean;
  readonly admissionRatio: number;
  readonly releasedRatio: number | null;
  /** The rate the ratios are against: the configured one, or the mean in force during the minute. */
  readonly rate: number;
  /** The rate in force moved by at most 2% during the minute (always, without the autopilot). */
  readonly rateSteady: boolean;
}

export const RESOLUTION_MS = 1000;

/**
 * FIFO inversions at one-second resolution: visitors let in before someone who
 * arrived at least a second earlier.
 * - byRefusal: j was let in at t, and a visitor who arrived >= 1 s before j was
 *   still told to wait (holding page / queued status; without the room: an error
 *   page) >= 1 s after t. Detects any admission out of order, whatever its cause.
 * - byPosition: j's ticket position is lower than that of a visitor who arrived
 *   >= 1 s before j (the order positions were handed out in).
 * `fifoInversions` counts visitors found by either.
 */
export function fifoInversions(records: readonly VisitorRecord[]) {
  const arrived = records
    .filter((r): r is VisitorRecord & { arrival: number } => r.arrival !== null)
    .sort((a, b) => a.arrival - b.arrival);
  // Prefix maxima over arrival order.
  const maxRefusal: number[] = [];
  const maxPosition: number[] = [];
  let refusal = Number.NEGATIVE_INFINITY;
  let position = Number.NEGATIVE_INFINITY;
  for (const r of arrived) {
    if (r.lastRefusal !== null) refusal = Math.max(refusal, r.lastRefusal);
    if (r.position !== null) position = Math.max(position, r.position);
    maxRefusal.push(refusal);
    maxPosition.push(position);
  }
  const lastBefore = (time: number) => {
    let lo = 0;
    let hi = arrived.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((arrived[mid]?.arrival ?? 0) <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };
  let byRefusal = 0;
  let byPosition = 0;
  let either = 0;
  const examples: { visitor: number; arrival: number; admittedAt: number; reason: string }[] = [];
  for (const j of arrived) {
    if (j.admittedAt === null) continue;
    const k = lastBefore(j.arrival - RESOLUTION_MS);
    if (k < 0) continue;
    const refused = (maxRefusal[k] ?? Number.NEGATIVE_INFINITY) >= j.admittedAt + RESOLUTION_MS;
    const overtook = j.position !== null && (maxPosition[k] ?? Number.NEGATIVE_INFINITY) > j.position;
    if (refused) byRefusal += 1;
    if (overtook) byPosition += 1;
    if (refused || overtook) {
      either += 1;
      if (examples.length < 5)
        examples.push({
          visitor: j.id,
          arrival: j.arrival,
          admittedAt: j.admittedAt,
          reason: refused ? "an earlier arrival was told to wait after this one was let in" : "lower position",
        });
    }
  }
  return { fifoInversions: either, byRefusal, byPosition, resolutionMs: RESOLUTION_MS, examples };
}

/** Admissions per profile minute against the configured rate (with the room). */
export function minutes(run: RunData, timing: Timing): MinuteFigures[] {
  const windowMs = timing.minuteSeconds * 1000;
  const count = Math.floor(run.durationMs / windowMs);
  // Between two readings the frontier grows linearly while the queue is not empty,
  // so interpolating between the readings around a boundary is exact then.
  const frontierAt = (at: number): number | null => {
    const samples = run.samples;
    const after = samples.findIndex((s) => s.at >= at);
    if (after <= 0)
      return after === 0 && (samples[0]?.at ?? Number.POSITIVE_INFINITY) - at <= 500
        ? (samples[0]?.frontier ?? null)
        : null;
    const a = samples[after - 1];
    const b = samples[after];
    if (!a || !b || b.at - a.at > 2000) return null;
    return a.frontier + ((b.frontier - a.frontier) * (at - a.at)) / (b.at - a.at || 1);
  };
  const result: MinuteFigures[] = [];
  for (let m = 0; m < count; m += 1) {
    const start = m * windowMs;
    const end = start + windowMs;
    const admitted = run.records.filter((r) => r.admittedAt !== null && r.admittedAt >= start && r.admittedAt < end);
    const inside = run.samples.filter((s) => s.at >= start && s.at < end);
    const saturated = inside.length > 0 && inside.every((s) => s.lastTicket - s.frontier >= 1);
    const seconds = run.waiting.slice(Math.floor(start / 1000), Math.ceil(end / 1000));
    const humanSaturated = seconds.length > 0 && seconds.every((w) => w >= 1);
    const f0 = frontierAt(start);
    const f1 = frontierAt(end);
    const released = f0 !== null && f1 !== null ? f1 - f0 : null;
    const inForce = timing.ratePerSecond?.slice(Math.floor(start / 1000), Math.ceil(end / 1000)) ?? [];
    const rate = inForce.length > 0 ? inForce.reduce((sum, r) => sum + r, 0) / inForce.length : timing.ratePerMinute;
    const rateSteady = inForce.length === 0 || Math.max(...inForce) <= Math.min(...inForce) * 1.02;
    result.push({
      minute: m,
      admitted: admitted.length,
      released: round(released, 1),
      saturated,
      humanSaturated,
      admissionRatio: round(admitted.length / rate, 3) ?? 0,
      releasedRatio: released === null ? null : round(released / rate, 3),
      rate: round(rate, 2) ?? 0,
      rateSteady,
    });
  }
  return result;
}

function minMax(values: readonly number[]) {
  return values.length === 0
    ? null
    : {
        min: round(Math.min(...values), 3),
        max: round(Math.max(...values), 3),
        mean: round(values.reduce((sum, v) => sum + v, 0) / values.length, 3),
        minutes: values.length,
      };
}

/**
 * How well the room predicted the wait: for each visitor who saw the holding
 * page and was let in later, the wait the room predicted then (`etaSeconds`)
 * against the wait they had (admitted time minus that first sighting, poll lag
 * included). Visitors who gave up never learn their wait and do not count.
 * `error` is predicted minus actual: positive when the room said longer.
 */
export function waitPrediction(records: readonly VisitorRecord[], minuteSeconds: number) {
  const waited = records.filter((r) => r.queued && r.admittedAt !== null && r.firstSeenAt !== null);
  const pairs = waited
    .filter((r) => r.predictedSeconds !== null)
    .map((r) => {
      const actual = ((r.admittedAt ?? 0) - (r.firstSeenAt ?? 0)) / 1000;
      const predicted = r.predictedSeconds ?? 0;
      return { predicted, actual, error: predicted - actual };
    });
  if (pairs.length === 0) return null;
  const abs = pairs.map((p) => Math.abs(p.error));
  const medianAbs = percentile(abs, 50);
  const p90Abs = percentile(abs, 90);
  const toMinutes = (seconds: number | null) => (seconds === null ? null : round(seconds / minuteSeconds, 3));
  return {
    /** Median absolute error, real seconds. */
    medianAbsSeconds: round(medianAbs, 1),
    p90AbsSeconds: round(p90Abs, 1),
    /** The same in profile minutes (real seconds / seconds per profile minute). */
    medianAbsProfileMinutes: toMinutes(medianAbs),
    p90AbsProfileMinutes: toMinutes(p90Abs),
    /** Median of predicted minus actual: > 0 when the room tends to say longer than it is. */
    medianSignedSeconds: round(
      percentile(
        pairs.map((p) => p.error),
        50,
      ),
      1,
    ),
    /** Median of |error| / actual wait, over waits of at least 1 s. */
    medianAbsRelative: round(
      percentile(
        pairs.filter((p) => p.actual >= 1).map((p) => Math.abs(p.error) / p.actual),
        50,
      ),
      3,
    ),
    predictedSeconds: spread(
      pairs.map((p) => p.predicted),
      1,
    ),
    actualSeconds: spread(
      pairs.map((p) => p.actual),
      1,
    ),
    /** Visitors it is based on: saw the holding page, got a figure, were let in later. */
    visitors: pairs.length,
    /** Let in after waiting but without a figure (the room said it was delayed, or the status request failed). */
    withoutPrediction: waited.length - pairs.length,
  };
}

/**
 * Active visitors over time, from the visitors' own records (not from Redis):
 * a visitor is active from the moment one of their requests that reached the
 * origin was sent (with the room: an admitted page view, with a pass or let
 * straight in) for `sessionMs` of real time, and no longer from the moment the
 * answer of a page view that released them (`--release`) came back. Each
 * visitor counts once, however many views overlap.
 */
export function activeVisitors(records: readonly VisitorRecord[], sessionMs: number, durationMs: number) {
  const events: { at: number; delta: 1 | -1 }[] = [];
  for (const r of records) {
    const views = [...r.originViews].sort((a, b) => a.at - b.at);
    // The visitor's active intervals, merged.
    let start: number | null = null;
    let end = 0;
    const close = () => {
      if (start !== null && end > start) events.push({ at: start, delta: 1 }, { at: end, delta: -1 });
      start = null;
    };
    for (const [i, v] of views.entries()) {
      // Cut short by the first release answered at or after this view was sent.
      const release = views.slice(i).find((x) => x.released && x.done >= v.at);
      const until = Math.min(v.at + sessionMs, release ? release.done : Number.POSITIVE_INFINITY);
      if (start !== null && v.at <= end) end = Math.max(end, until);
      else {
        close();
        start = v.at;
        end = until;
      }
    }
    close();
  }
  // Half-open intervals: at the same instant, departures first.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  const seconds = Math.ceil(durationMs / 1000);
  const perSecond: number[] = Array.from({ length: seconds }, () => 0);
  let current = 0;
  let peak = 0;
  let peakAt: number | null = null;
  let next = 0;
  for (let s = 0; s < seconds; s += 1) {
    // Visitors active at the start of the second, then every change within it.
    while (next < events.length && (events[next]?.at ?? 0) <= s * 1000) current += events[next++]?.delta ?? 0;
    let most = current;
    while (next < events.length && (events[next]?.at ?? 0) < (s + 1) * 1000) {
      const e = events[next++];
      current += e?.delta ?? 0;
      most = Math.max(most, current);
    }
    perSecond[s] = most;
  }
  // The peak over the whole run, including any view answered after its end.
  current = 0;
  for (const e of events) {
    current += e.delta;
    if (current > peak) {
      peak = current;
      peakAt = e.at;
    }
  }
  return { peak, peakAt, perSecond };
}

/** The per-run figures of report.json. */
export function summarize(run: RunData, timing: Timing) {
  const records = run.records;
  const arrived = records.filter((r) => r.arrival !== null);
  const admitted = records.filter((r) => r.admittedAt !== null);
  const queued = records.filter((r) => r.queued);
  const waits = admitted
    .filter((r) => run.mode === "direct" || r.queued)
    .map((r) => ((r.admittedAt ?? 0) - (r.arrival ?? 0)) / 1000);
  const perMinute = run.mode === "room" ? minutes(run, timing) : [];
  const full = perMinute.filter((m) => m.saturated);
  const fifo = fifoInversions(records);
  const originRequests = run.origin.ok + run.origin.errors;
  const abandoned = records.filter((r) => r.abandonedAt !== null).length;
  const active = timing.maxActive > 0 ? activeVisitors(records, timing.sessionMinutes * 60_000, run.durationMs) : null;
  const released = records.filter((r) => r.release !== null);
  return {
    /**
     * Most visitors active at once (MAX_ACTIVE on): distinct visitors with an
     * admitted page view (one that reached the origin) sent within the last
     * SESSION_MINUTES of real time, no longer counted once a page view
     * released them. Without the room: the same count with nobody held back.
     */
    peakActive: active?.peak ?? null,
    /** When the peak was first reached, ms after the start of the run. */
    peakActiveAt: active?.peakAt ?? null,
    maxActive: run.mode === "room" && timing.maxActive > 0 ? timing.maxActive : null,
    peakActiveRatio: run.mode === "room" && active ? round(active.peak / timing.maxActive, 3) : null,
    /** `--release` with the room: visitors whose last page view released them, and how the room answered it. */
    release:
      run.mode === "room" && released.length > 0
        ? {
            visitors: released.length,
            passCleared: released.filter((r) => r.release?.passCleared).length,
            headerSeen: released.filter((r) => r.release?.headerSeen).length,
          }
        : null,
    admissionRatio: run.mode === "room" ? minMax(full.map((m) => m.admissionRatio)) : null,
    releasedRatio:
      run.mode === "room" ? minMax(full.map((m) => m.releasedRatio).filter((v): v is number => v !== null)) : null,
    /** Admitted people per full minute (people waiting throughout it) / rate: the figure a flood of bots must not cut. */
    humanAdmissionRatio:
      run.mode === "room" ? minMax(perMinute.filter((m) => m.humanSaturated).map((m) => m.admissionRatio)) : null,
    waitPredictionError: run.mode === "room" ? waitPrediction(records, timing.minuteSeconds) : null,
    /** Lowest and highest show ratio sampled (no-show compensation; 1: no compensation). */
    showRatio:
      run.mode === "room" && run.samples.length > 0
        ? {
            min: round(Math.min(...run.samples.map((x) => x.showRatio)), 3),
            max: round(Math.max(...run.samples.map((x) => x.showRatio)), 3),
          }
        : null,
    fifoInversions: fifo.fifoInversions,
    fifo,
    originCapacity: timing.originCapacity,
    originPeakInFlight: run.origin.peakInFlight,
    originPeakActive: run.origin.peakActive,
    originErrorRate: round(originRequests ? run.origin.errors / originRequests : 0, 4),
    originRequests,
    originLatencyMs: run.origin.latencyMs,
    queueSeconds: spread(waits, 1),
    visitors: {
      arrived: arrived.length,
      straightIn: admitted.length - admitted.filter((r) => r.queued).length,
      queued: queued.length,
      admitted: admitted.length,
      abandoned,
      abandonedShareOfQueued: round(queued.length ? abandoned / queued.length : 0, 3),
      failed: records.filter((r) => r.failed).length,
      stillWaitingAtEnd: records.filter((r) => r.cut).length,
      servedAllViews: records.filter((r) => r.viewsOk > 0 && !r.failed).length,
      viewErrors: records.reduce((sum, r) => sum + r.viewErrors, 0),
    },
    requests: {
      ...run.counts,
      latencyMs: Object.fromEntries(
        Object.entries(run.counts.latencyMs).map(([kind, values]) => [kind, spread(values, 1)]),
      ),
    },
    /** Client time minus the origin's own time for served page views: loopback, client and (with the room) worker. */
    outsideOriginMs: spread(run.overheadMs, 2),
    minutes: perMinute,
  };
}

export type RunSummary = ReturnType<typeof summarize>;

/** One point per second for the chart and the JSON report. */
export function series(run: RunData, timing: Timing, arrivalsMs: readonly number[]) {
  const seconds = Math.ceil(run.durationMs / 1000);
  const windowMs = timing.minuteSeconds * 1000;
  const admittedAt = run.records
    .map((r) => r.admittedAt)
    .filter((t): t is number => t !== null)
    .sort((a, b) => a - b);
  const origin = new Map(run.origin.buckets.map((b) => [b.second, b]));
  const active =
    timing.maxActive > 0 ? activeVisitors(run.records, timing.sessionMinutes * 60_000, run.durationMs) : null;
  const points = [];
  let lo = 0;
  let hi = 0;
  for (let s = 0; s < seconds; s += 1) {
    const end = (s + 1) * 1000;
    while (hi < admittedAt.length && (admittedAt[hi] ?? 0) < end) hi += 1;
    while (lo < hi && (admittedAt[lo] ?? 0) < end - windowMs) lo += 1;
    const sample = [...run.samples].reverse().find((x) => x.at < end);
    const b = origin.get(s);
    points.push({
      second: s,
      profileMinute: round(s / timing.minuteSeconds, 3),
      arrivals: arrivalsMs.filter((t) => t >= s * 1000 && t < end).length,
      waiting: run.waiting[s] ?? null,
      showRatio: run.mode === "room" && sample ? round(sample.showRatio, 3) : null,
      queuePositions:
        run.mode === "room" && sample ? Math.max(0, Math.floor(sample.lastTicket - sample.frontier)) : null,
      // Trailing profile minute, once a whole one has passed.
      admissionsPerMinute: end >= windowMs ? hi - lo : null,
      // The rate in force (per profile minute): the autopilot's, else the configured one.
      ratePerMinute: run.mode === "room" ? round(timing.ratePerSecond?.[s] ?? timing.ratePerMinute, 2) : null,
      originRequests: b?.requests ?? 0,
      originInFlight: b?.maxInFlight ?? 0,
      originP95Ms: b?.p95Ms ?? null,
      originErrors: b?.errors ?? 0,
      // Most visitors active at once during the second (MAX_ACTIVE on; see `activeVisitors`).
      activeVisitors: active ? (active.perSecond[s] ?? 0) : null,
    });
  }
  return points;
}
