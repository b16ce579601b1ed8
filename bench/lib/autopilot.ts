/**
 * The surge lab's measure of the autopilot (issue 13): the rate it set, second
 * by second, against what the lab origin could take, and the targets of the
 * issue as PASS/MISS checks. Pure functions of what a run recorded; surge.ts
 * collects the readings and writes the report.
 *
 * Units: rates are per profile minute (the worker's rate per real minute x
 * real seconds per profile minute / 60); time is in real seconds unless a
 * name says profile (`...Minute`, `...ProfileSeconds`). One real second is
 * 60 / minuteSeconds profile seconds, so at `--minute 60` both are the same.
 */
import type { OriginBucket } from "./origin-thread.ts";
import { round } from "./stats.ts";
import type { VisitorRecord } from "./visitors.ts";

/** At profile minute `minute`, the lab origin switches to `capacity` slots. */
export interface CapacityChange {
  readonly minute: number;
  readonly capacity: number;
}

/** A PASS/MISS line of the report (met null: a figure, not a goal). */
export interface Check {
  readonly goal: string;
  readonly value: string;
  readonly met: boolean | null;
}

/** One reading of the autopilot's hash, ms after the start of the run. */
export interface RateReading {
  readonly at: number;
  /** The rate in force, per real minute (the worker's unit); the configured one when the hash has none. */
  readonly rate: number;
  /** The capacity it learned, per real minute, when it has learned one. */
  readonly learned: number | null;
}

/** What the lab knows of the run besides the visitors' records. */
export interface AutopilotSetup {
  /** Real seconds per profile minute. */
  readonly minuteSeconds: number;
  readonly durationMs: number;
  /** Starting rate, per profile minute. */
  readonly startRate: number;
  readonly minRate: number;
  readonly maxRate: number;
  readonly targetP95Ms: number;
  readonly maxErrorRate: number;
  /** The lab origin at the start of the run. */
  readonly capacity: number;
  readonly serviceMs: number;
  readonly capacityChanges: readonly CapacityChange[];
  /** `--sustainable`: the sweep's figure at the starting capacity, per profile minute; null: estimate it. */
  readonly sustainable: number | null;
  /** `--best-wait`: the best fixed rate's total wait on the same crowd (real seconds); null: not known. */
  readonly bestFixedWaitSeconds: number | null;
}

/** The run's own records the figures are made of. */
export interface AutopilotRun {
  readonly records: readonly VisitorRecord[];
  readonly buckets: readonly OriginBucket[];
  /** Visitors waiting (client side), one reading per second. */
  readonly waiting: readonly number[];
  readonly readings: readonly RateReading[];
  readonly originRequests: number;
  readonly originErrors: number;
  /** Members of the autopilot's change log, as stored. */
  readonly log: readonly string[];
  /** Wall-clock ms of time 0 (the log's times are the store's clock, ms since the epoch). */
  readonly epoch: number;
}

/** Seconds p95 must stay at or under target for the origin to count as back under it. */
export const SUSTAIN_SECONDS = 5;
/** "Settled": the rate stays within this share of its final-minute mean. */
export const SETTLE_BAND = 0.15;
/** Share of the origin's throughput counted as sustainable in the estimate. */
export const ESTIMATE_UTILISATION = 0.9;

/** The rate in force at each second of the run (per real minute): the last reading before the second ends. */
export function ratePerSecond(readings: readonly RateReading[], seconds: number, configured: number): number[] {
  const sorted = [...readings].sort((a, b) => a.at - b.at);
  const rates: number[] = [];
  let next = 0;
  let rate = configured;
  for (let s = 0; s < seconds; s += 1) {
    while (next < sorted.length && (sorted[next]?.at ?? 0) < (s + 1) * 1000) rate = sorted[next++]?.rate ?? rate;
    rates.push(rate);
  }
  return rates;
}

/** p95 per second from the lab origin's own buckets (null: no request finished in that second). */
export function p95PerSecond(buckets: readonly OriginBucket[], seconds: number): (number | null)[] {
  const bySecond = new Map(buckets.map((b) => [b.second, b.p95Ms]));
  return Array.from({ length: seconds }, (_, s) => bySecond.get(s) ?? null);
}

/**
 * The first breach at or after second `from` (p95 above target), and the
 * first second after it from which p95 stays at or under target for
 * {@link SUSTAIN_SECONDS} (a second without requests counts as under; the
 * end of the run cuts the last window short).
 */
export function breachAndRecovery(
  p95: readonly (number | null)[],
  target: number,
  from: number,
): { breach: number | null; recovered: number | null } {
  const over = (s: number) => (p95[s] ?? 0) > target;
  let breach: number | null = null;
  for (let s = Math.max(0, from); s < p95.length; s += 1)
    if (over(s)) {
      breach = s;
      break;
    }
  if (breach === null) return { breach: null, recovered: null };
  for (let s = breach + 1; s < p95.length; s += 1) {
    let clean = true;
    for (let k = s; k < Math.min(p95.length, s + SUSTAIN_SECONDS); k += 1)
      if (over(k)) {
        clean = false;
        break;
      }
    if (clean) return { breach, recovered: s };
  }
  return { breach, recovered: null };
}

/**
 * The crowd's wait, from arrival to admission; a visitor who was never let
 * in counts until they gave up, or to the end of the run when still waiting
 * (so a slow rate cannot look good by leaving people outside). Visitors let
 * straight in wait nothing.
 */
export function crowdWait(records: readonly VisitorRecord[], durationMs: number, minuteSeconds: number) {
  let total = 0;
  let waited = 0;
  let arrived = 0;
  for (const r of records) {
    if (r.arrival === null) continue;
    arrived += 1;
    if (!r.queued) continue;
    const end = r.admittedAt ?? r.abandonedAt ?? (r.cut ? durationMs : (r.lastRefusal ?? r.arrival));
    total += Math.max(0, end - r.arrival) / 1000;
    waited += 1;
  }
  return {
    /** Sum of every visitor's wait, real seconds. */
    totalSeconds: round(total, 1) ?? 0,
    /** The same in profile minutes. */
    totalProfileMinutes: round(total / minuteSeconds, 2) ?? 0,
    /** Mean over the visitors who waited, real seconds. */
    meanSeconds: waited > 0 ? round(total / waited, 2) : null,
    visitorsWaited: waited,
    visitorsArrived: arrived,
    note: "arrival to admission; never let in: until giving up, or to the end of the run when still waiting; let straight in: 0",
  };
}

/** The lab origin's slots at profile minute `t`. */
export function capacityAt(t: number, start: number, changes: readonly CapacityChange[]): number {
  let capacity = start;
  for (const c of changes) if (c.minute <= t) capacity = c.capacity;
  return capacity;
}

/**
 * What the lab origin can take at `capacity` slots, per profile minute: the
 * sweep's figure scaled by the slots when given, else an estimate: at most
 * capacity x 1000 / serviceMs requests a second, of which
 * {@link ESTIMATE_UTILISATION} is counted, divided by the origin requests an
 * admitted visitor brings (measured in the run).
 */
export function sustainableAt(
  capacity: number,
  setup: AutopilotSetup,
  requestsPerVisitor: number | null,
): number | null {
  if (setup.sustainable !== null) return round((setup.sustainable * capacity) / setup.capacity, 1);
  if (requestsPerVisitor === null || requestsPerVisitor <= 0) return null;
  const visitorsPerSecond = (ESTIMATE_UTILISATION * capacity * (1000 / setup.serviceMs)) / requestsPerVisitor;
  return round(visitorsPerSecond * setup.minuteSeconds, 1);
}

/** One change of the autopilot's log, in profile units. */
export interface LoggedChange {
  readonly atMinute: number | null;
  readonly from: number | null;
  readonly to: number | null;
  readonly code: string;
  /** The figures behind it, as logged (p95 and target ms, or error share and its maximum). */
  readonly x: number | null;
  readonly y: number | null;
}

/** The log's members "<at>:<from>:<to>:<code>:<x>:<y>" (rates per real minute), in profile units. */
export function parseLog(members: readonly string[], epoch: number, minuteSeconds: number): LoggedChange[] {
  const num = (raw: string | undefined) => {
    const value = Number(raw);
    return raw !== undefined && raw !== "" && Number.isFinite(value) ? value : null;
  };
  const perProfile = (rate: number | null) => (rate === null ? null : round((rate * minuteSeconds) / 60, 2));
  return members.map((member) => {
    const [at, from, to, code, x, y] = member.split(":");
    const when = num(at);
    return {
      atMinute: when === null ? null : round((when - epoch) / 1000 / minuteSeconds, 3),
      from: perProfile(num(from)),
      to: perProfile(num(to)),
      code: code ?? "",
      x: num(x),
      y: num(y),
    };
  });
}

function mean(values: readonly number[]): number | null {
  return values.length > 0 ? values.reduce((sum, v) => sum + v, 0) / values.length : null;
}

/** Seconds [from, to) of profile minute `m`. */
function minuteSeconds(m: number, perMinute: number, seconds: number): [number, number] {
  return [Math.floor(m * perMinute), Math.min(seconds, Math.floor((m + 1) * perMinute))];
}

/** `withRoom.autopilot` of the report, and the figures the checks read. */
export function autopilotFigures(run: AutopilotRun, setup: AutopilotSetup) {
  const ms = setup.minuteSeconds;
  const seconds = Math.ceil(setup.durationMs / 1000);
  const toProfile = (perRealMinute: number) => (perRealMinute * ms) / 60;
  const configured = (setup.startRate * 60) / ms;
  const rates = ratePerSecond(run.readings, seconds, configured).map(toProfile);
  const p95 = p95PerSecond(run.buckets, seconds);
  const profileSeconds = (real: number | null) => (real === null ? null : round((real * 60) / ms, 1));

  // Settling: from the first change until the rate stays within the band around its final-minute mean.
  const firstChange = rates.findIndex((r) => Math.abs(r - (rates[0] ?? r)) > 1e-6 * Math.max(1, r));
  const finalMean = mean(rates.slice(Math.max(0, seconds - Math.ceil(ms))));
  let settledAt: number | null = null;
  if (firstChange >= 0 && finalMean !== null && finalMean > 0) {
    settledAt = firstChange;
    for (let s = firstChange; s < seconds; s += 1)
      if (Math.abs((rates[s] ?? 0) / finalMean - 1) > SETTLE_BAND) settledAt = s + 1;
  }
  const settleSeconds = settledAt === null ? null : settledAt - firstChange;

  // Per profile minute: the mean rate, and the largest change from one minute to the next once settled.
  const fullMinutes = Math.floor(seconds / ms);
  const minuteRates = Array.from({ length: fullMinutes }, (_, m) => {
    const [a, b] = minuteSeconds(m, ms, seconds);
    return { minute: m, rate: round(mean(rates.slice(a, b)), 2) };
  });
  const settledMinutes = minuteRates.filter(
    (m) => settledAt !== null && minuteSeconds(m.minute, ms, seconds)[0] >= settledAt,
  );
  let largestSettledChange: number | null = null;
  for (let i = 1; i < settledMinutes.length; i += 1) {
    const a = settledMinutes[i - 1]?.rate ?? null;
    const b = settledMinutes[i]?.rate ?? null;
    if (a === null || b === null || a <= 0) continue;
    const change = Math.abs(b / a - 1);
    largestSettledChange = Math.max(largestSettledChange ?? 0, change);
  }

  const admitted = run.records.filter((r) => r.admittedAt !== null).length;
  const requestsPerVisitor = admitted > 0 ? run.originRequests / admitted : null;
  const sustainable = sustainableAt(setup.capacity, setup, requestsPerVisitor);
  const first = breachAndRecovery(p95, setup.targetP95Ms, 0);
  const learned = [...run.readings].reverse().find((r) => r.learned !== null)?.learned ?? null;

  // Capacity changes: after an increase, how soon the rate reaches 0.8 x the new sustainable rate;
  // after a decrease, how soon the origin's p95 is back under target.
  let previous = setup.capacity;
  const changes = [...setup.capacityChanges]
    .sort((a, b) => a.minute - b.minute)
    .map((c) => {
      const from = previous;
      previous = c.capacity;
      const at = Math.floor(c.minute * ms);
      const windowEnd = Math.min(seconds, Math.floor((c.minute + 3) * ms) + 1);
      const newSustainable = sustainableAt(c.capacity, setup, requestsPerVisitor);
      const queued = run.waiting.slice(at, windowEnd);
      const queueShare = queued.length > 0 ? round(queued.filter((w) => w >= 1).length / queued.length, 2) : null;
      if (c.capacity >= from) {
        const goal = newSustainable === null ? null : 0.8 * newSustainable;
        let reached: number | null = null;
        for (let s = at; goal !== null && s < seconds; s += 1)
          if ((rates[s] ?? 0) >= goal) {
            reached = s;
            break;
          }
        return {
          minute: c.minute,
          from,
          to: c.capacity,
          kind: "increase" as const,
          newSustainableRate: newSustainable,
          /** Profile minutes from the change until the rate reached 0.8 x the new sustainable rate; null: never. */
          reachedAfterMinutes: reached === null ? null : round((reached - at) / ms, 2),
          /** Share of the 3 minutes after the change with visitors waiting (no queue, no increase). */
          queueShare,
          breachSecond: null,
          underTargetAfterProfileSeconds: null,
        };
      }
      const { breach, recovered } = breachAndRecovery(p95, setup.targetP95Ms, at);
      const breachInWindow = breach !== null && breach < windowEnd;
      return {
        minute: c.minute,
        from,
        to: c.capacity,
        kind: "decrease" as const,
        newSustainableRate: newSustainable,
        reachedAfterMinutes: null,
        queueShare,
        /** First second over target within 3 profile minutes of the change (null: none). */
        breachSecond: breachInWindow ? breach : null,
        /** Profile seconds from the change until p95 stayed under target (0: it never went over). */
        underTargetAfterProfileSeconds: !breachInWindow
          ? 0
          : recovered === null
            ? null
            : profileSeconds(recovered - at),
      };
    });

  // Started too low: once a queue forms, how soon the rate reaches 0.8 x sustainable.
  const queueFrom = run.waiting.findIndex((w) => w >= 1);
  let startLow: { queueFromMinute: number; goal: number; reachedAfterMinutes: number | null } | null = null;
  if (queueFrom >= 0) {
    const sustainableThen = sustainableAt(
      capacityAt(queueFrom / ms, setup.capacity, setup.capacityChanges),
      setup,
      requestsPerVisitor,
    );
    if (sustainableThen !== null && (rates[queueFrom] ?? 0) < 0.8 * sustainableThen) {
      const goal = 0.8 * sustainableThen;
      const reached = rates.findIndex((r, s) => s >= queueFrom && r >= goal);
      startLow = {
        queueFromMinute: round(queueFrom / ms, 2) ?? 0,
        goal: round(goal, 1) ?? 0,
        reachedAfterMinutes: reached < 0 ? null : round((reached - queueFrom) / ms, 2),
      };
    }
  }

  const originErrorRate = run.originRequests > 0 ? run.originErrors / run.originRequests : 0;
  const secondsAboveTarget = p95.filter((v) => (v ?? 0) > setup.targetP95Ms).length;
  const wait = crowdWait(run.records, setup.durationMs, ms);
  return {
    startRate: setup.startRate,
    finalRate: round(rates.at(-1) ?? null, 2),
    minRate: setup.minRate,
    maxRate: setup.maxRate,
    targetP95Ms: setup.targetP95Ms,
    sustainableRate: sustainable,
    sustainableSource: setup.sustainable !== null ? "--sustainable (a sweep's figure)" : "estimate",
    sustainableNote:
      setup.sustainable !== null
        ? "given with --sustainable (found by `npm run surge -- --sweep` on the same crowd: the highest fixed rate whose origin p95 <= target and error share <= 1%); scaled by the slots after a capacity change"
        : `estimate: ${ESTIMATE_UTILISATION} x the lab origin's throughput (capacity x 1000 / serviceMs requests a second) / origin requests per admitted visitor measured in this run (${round(requestsPerVisitor, 2)}), per profile minute; run --sweep for the measured figure`,
    requestsPerAdmittedVisitor: round(requestsPerVisitor, 2),
    /** The highest rate the origin sustained while healthy, as the autopilot learned it (null: not yet). */
    learnedCapacity: learned === null ? null : round(toProfile(learned), 2),
    /** Real seconds from the first change until the rate stays within +-15% of its final-minute mean (null: it never changed). */
    settleSeconds,
    settleProfileSeconds: profileSeconds(settleSeconds),
    settledAtMinute: settledAt === null ? null : round(settledAt / ms, 2),
    /** It settled before the final minute (the reference itself): false means it was still moving at the end. */
    settledBeforeFinalMinute: settledAt === null ? null : settledAt <= seconds - Math.ceil(ms),
    finalMinuteMeanRate: round(finalMean, 2),
    /** Real seconds whose origin p95 (the lab origin's own per-second buckets) was above the target. */
    secondsAboveTarget,
    secondsAboveTargetProfile: profileSeconds(secondsAboveTarget),
    firstBreach:
      first.breach === null
        ? null
        : {
            atMinute: round(first.breach / ms, 2),
            /** Real seconds until p95 stayed under target for 5 s (null: not by the end). */
            underTargetAfterSeconds: first.recovered === null ? null : first.recovered - first.breach,
            underTargetAfterProfileSeconds:
              first.recovered === null ? null : profileSeconds(first.recovered - first.breach),
          },
    originErrorRate: round(originErrorRate, 4) ?? 0,
    minuteRates,
    /** Largest |change| of the mean rate from one profile minute to the next, over the minutes after settling. */
    largestSettledMinuteChange: round(largestSettledChange, 3),
    startedLow: startLow,
    capacityChanges: changes,
    crowdWait: wait,
    bestFixedWaitSeconds: setup.bestFixedWaitSeconds,
    /** The rate in force each second (profile minute, per profile minute). */
    rateSeries: rates.map((rate, s) => ({ t: round(s / ms, 3) ?? 0, rate: round(rate, 2) ?? 0 })),
    /** The autopilot's change log (empty with autopilot off, or before the worker records one). */
    changes: parseLog(run.log, run.epoch, ms),
    note: "rates per profile minute (the worker's rate x realSecondsPerProfileMinute / 60). The controller works in real time (decisions every 2 s, 10 s settle), so compressed runs (--minute < 60) make it look slow in profile time; the targets are meant for --minute 60.",
  };
}

export type AutopilotFigures = ReturnType<typeof autopilotFigures>;

/** The targets that one run can judge. */
export function autopilotChecks(f: AutopilotFigures, setup: AutopilotSetup): Check[] {
  const list: Check[] = [];
  list.push({
    goal: `autopilot: origin error share < ${setup.maxErrorRate * 100}% over the run`,
    value: `${round(f.originErrorRate * 100, 2)}%`,
    met: f.originErrorRate < setup.maxErrorRate,
  });
  list.push({
    goal: `autopilot: after the first breach, origin p95 back under ${setup.targetP95Ms} ms (for ${SUSTAIN_SECONDS} s) within 60 profile s`,
    value:
      f.firstBreach === null
        ? "no breach"
        : `breach at minute ${f.firstBreach.atMinute}; under target after ${f.firstBreach.underTargetAfterProfileSeconds ?? "never"} profile s (${f.firstBreach.underTargetAfterSeconds ?? "-"} real s); ${f.secondsAboveTarget} s above target in all`,
    met: f.firstBreach === null || (f.firstBreach.underTargetAfterProfileSeconds ?? Number.POSITIVE_INFINITY) <= 60,
  });
  if (f.startedLow)
    list.push({
      goal: "autopilot: started low, rate >= 0.8 x sustainable within 3 profile minutes of the queue forming",
      value: `queue from minute ${f.startedLow.queueFromMinute}; ${f.startedLow.goal}/min reached after ${f.startedLow.reachedAfterMinutes ?? "never"} min (sustainable: ${f.sustainableSource})`,
      met: f.startedLow.reachedAfterMinutes !== null && f.startedLow.reachedAfterMinutes <= 3,
    });
  for (const c of f.capacityChanges) {
    if (c.kind === "increase")
      list.push({
        goal: `autopilot: capacity ${c.from} -> ${c.to} at minute ${c.minute}, rate >= 0.8 x the new sustainable within 3 profile minutes`,
        value: `0.8 x ${c.newSustainableRate ?? "?"}/min reached after ${c.reachedAfterMinutes ?? "never"} min; queue ${c.queueShare ?? 0} of that time`,
        met: c.reachedAfterMinutes !== null && c.reachedAfterMinutes <= 3,
      });
    else
      list.push({
        goal: `autopilot: capacity ${c.from} -> ${c.to} at minute ${c.minute}, origin p95 under target within 60 profile s`,
        value:
          c.breachSecond === null
            ? "never above target"
            : `above target from ${round(c.breachSecond / setup.minuteSeconds, 2)} min; under again ${c.underTargetAfterProfileSeconds ?? "never"} profile s after the change`,
        met: c.underTargetAfterProfileSeconds !== null && c.underTargetAfterProfileSeconds <= 60,
      });
  }
  list.push({
    goal: `autopilot: once settled, minute-to-minute rate change within +-${SETTLE_BAND * 100}%`,
    value:
      f.largestSettledMinuteChange === null
        ? `fewer than 2 full minutes after settling (settled at minute ${f.settledAtMinute ?? "-"})`
        : `largest ${round(f.largestSettledMinuteChange * 100, 1)}% (settled at minute ${f.settledAtMinute})`,
    met: f.largestSettledMinuteChange === null ? null : f.largestSettledMinuteChange <= SETTLE_BAND,
  });
  list.push({
    goal: "autopilot: the crowd's total wait within 1.2x of the best fixed rate's (--best-wait, from a sweep)",
    value:
      setup.bestFixedWaitSeconds === null
        ? `${f.crowdWait.totalSeconds} s (no --best-wait given)`
        : `${f.crowdWait.totalSeconds} s / ${setup.bestFixedWaitSeconds} s = ${round(f.crowdWait.totalSeconds / Math.max(1e-9, setup.bestFixedWaitSeconds), 2)}`,
    met: setup.bestFixedWaitSeconds === null ? null : f.crowdWait.totalSeconds <= 1.2 * setup.bestFixedWaitSeconds,
  });
  return list;
}
