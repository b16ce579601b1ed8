import type { FallbackCounts } from "../gate/fallback.ts";
import { MODES, type Settings } from "../model/admission.ts";
import type { AutopilotSettings } from "../model/autopilot.ts";
import { LATENCY_BOUNDS_MS, type OriginSample } from "../model/origin-signal.ts";
import { isOver } from "../model/schedule.ts";
import type { StoreFailureCounts } from "../store/failure-log.ts";
import type { MetricFamily, MetricSample } from "./metrics-text.ts";
import { autopilotInForce, type RoomReading } from "./stats.ts";

/** One room's figures for {@link metricFamilies}. */
export interface RoomMetricsInput {
  readonly room: string;
  /** Null when the store could not answer: only `anteroom_store_up 0` and the instance's counters are shown. */
  readonly reading: RoomReading | null;
  readonly autopilotDefaults?: AutopilotSettings | undefined;
  /** This instance's fallback decisions for the room. */
  readonly fallback: FallbackCounts;
  /** Newcomers this instance turned away for the room (QUEUEING=reject); absent: 0. */
  readonly rejected?: number;
}

/** The answering instance, for the per-instance counters. */
export interface InstanceMetricsInput {
  readonly id: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly storeFailures: StoreFailureCounts;
}

/** Where the rate in force comes from: the autopilot's, a running event's, or the setting (wrangler.toml or an operator's). */
export type RateSource = "autopilot" | "event" | "setting";

/**
 * The source of the rate in force: the autopilot's while it is on (it
 * overrides everything, an event's rate included), else an active event's
 * when the event set one, else the setting.
 *
 * @example
 * ```ts
 * rateSource(settings, events, Date.now(), defaults); // "setting"
 * ```
 */
export function rateSource(
  settings: Settings,
  events: RoomReading["events"],
  now: number,
  autopilotDefaults: AutopilotSettings | undefined,
): RateSource {
  if (autopilotInForce(settings, autopilotDefaults)?.on) return "autopilot";
  const running = events.some((e) => e.perMinute !== null && now >= e.startsAt && !isOver(events, e, now));
  return running ? "event" : "setting";
}

/**
 * Every metric family, each holding the samples of every room in `rooms`
 * (a family's samples must stay together in the text, so rooms are a loop
 * inside each family, not families repeated per room). Room-wide figures
 * come from the store and read the same from any instance; the
 * `isolate`-labelled counters are the answering instance's own.
 *
 * @example
 * ```ts
 * const text = exposition(metricFamilies({ rooms: [{ room: "shop", reading, fallback }], instance }));
 * ```
 */
export function metricFamilies(input: {
  readonly rooms: readonly RoomMetricsInput[];
  readonly instance: InstanceMetricsInput;
}): MetricFamily[] {
  const { rooms, instance } = input;
  const read = rooms.flatMap((r) => (r.reading ? [{ ...r, reading: r.reading }] : []));
  /** A gauge or counter with one sample per room that was read. */
  const perRoom = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    value: (r: (typeof read)[number]) => number | null,
  ): MetricFamily => ({
    name,
    type,
    help,
    samples: read.flatMap((r) => {
      const v = value(r);
      return v === null ? [] : [{ labels: { room: r.room }, value: v }];
    }),
  });
  const isolate = { isolate: instance.id };
  return [
    {
      name: "anteroom_store_up",
      type: "gauge",
      help: "1 when the store answered this scrape's reads of the room, 0 when it did not (the room's figures are then missing).",
      samples: rooms.map((r) => ({ labels: { room: r.room }, value: r.reading ? 1 : 0 })),
    },
    perRoom(
      "anteroom_queue_length",
      "gauge",
      "Visitors holding a place the frontier has not reached.",
      (r) => r.reading.stats.queueLength,
    ),
    perRoom(
      "anteroom_frontier",
      "gauge",
      "Highest position admitted so far (fractional: it grows by the rate x time).",
      (r) => r.reading.stats.frontier,
    ),
    perRoom("anteroom_last_ticket", "gauge", "Last position handed out.", (r) => r.reading.stats.lastTicket),
    perRoom(
      "anteroom_arrivals_total",
      "counter",
      "Positions handed out since the room's state began (newcomers let straight in included; passthrough ones not).",
      (r) => r.reading.stats.lastTicket,
    ),
    perRoom(
      "anteroom_admissions_total",
      "counter",
      "Positions the frontier has reached: visitors offered admission, whether or not they came.",
      (r) => r.reading.stats.admittedTotal,
    ),
    perRoom(
      "anteroom_show_ratio",
      "gauge",
      "Smoothed share of offered places whose holders came in (the frontier moves 1/ratio times faster).",
      (r) => r.reading.state.showRatio ?? 1,
    ),
    perRoom(
      "anteroom_active_visitors",
      "gauge",
      "Visitors with a pass used within the session length.",
      (r) => r.reading.stats.activeVisitors,
    ),
    perRoom(
      "anteroom_max_active_visitors",
      "gauge",
      "The active-users cap in force (absent when off).",
      (r) => r.reading.stats.maxActive,
    ),
    perRoom(
      "anteroom_newcomer_wait_seconds",
      "gauge",
      "How long a newcomer arriving now would wait (absent while paused or closed).",
      (r) => r.reading.stats.etaSecondsForNewcomer,
    ),
    {
      name: "anteroom_rate_per_minute",
      type: "gauge",
      help: "Admission rate in force, positions per minute, labelled with what set it: setting, event or autopilot.",
      samples: read.map((r) => ({
        labels: {
          room: r.room,
          source: rateSource(r.reading.settings, r.reading.events, r.reading.now, r.autopilotDefaults),
        },
        value: r.reading.stats.ratePerMinute,
      })),
    },
    {
      name: "anteroom_mode",
      type: "gauge",
      help: "The room's mode: 1 for the mode in force, 0 for the others.",
      samples: read.flatMap((r) =>
        MODES.map((mode) => ({ labels: { room: r.room, mode }, value: r.reading.stats.mode === mode ? 1 : 0 })),
      ),
    },
    perRoom("anteroom_autopilot_enabled", "gauge", "1 while the autopilot sets the rate.", (r) =>
      r.reading.stats.autopilot.on ? 1 : 0,
    ),
    perRoom(
      "anteroom_autopilot_learned_capacity_per_minute",
      "gauge",
      "Highest rate the origin sustained while healthy with a queue (absent until known).",
      (r) => r.reading.stats.autopilot.learnedCapacity,
    ),
    perRoom(
      "anteroom_origin_requests_last_minute",
      "gauge",
      "Admitted visitors' requests the fleet proxied to the origin in the last 60 s.",
      (r) => r.reading.autopilot?.origin.requests ?? null,
    ),
    perRoom(
      "anteroom_origin_errors_last_minute",
      "gauge",
      "Of those, the failed ones (5xx, 429, unreachable, or over ORIGIN_TIMEOUT_MS), last 60 s.",
      (r) => r.reading.autopilot?.origin.errors ?? null,
    ),
    {
      name: "anteroom_origin_latency_last_minute_seconds",
      type: "histogram",
      help: "Time to the origin's response headers over the fleet's last 60 s (a sliding window, not a counter: use histogram_quantile without rate()). No _sum: the fleet keeps bins only.",
      samples: read.flatMap((r) =>
        r.reading.autopilot?.originSample ? latencyBuckets(r.room, r.reading.autopilot.originSample) : [],
      ),
    },
    {
      name: "anteroom_fallback_admissions_total",
      type: "counter",
      help: "Newcomers this instance let in without a place while the store was down (per isolate: see README Metrics).",
      samples: rooms.map((r) => ({ labels: { room: r.room, ...isolate }, value: r.fallback.admitted })),
    },
    {
      name: "anteroom_fallback_refusals_total",
      type: "counter",
      help: "Newcomers this instance asked to come back later while the store was down (per isolate).",
      samples: rooms.map((r) => ({ labels: { room: r.room, ...isolate }, value: r.fallback.refused })),
    },
    {
      name: "anteroom_rejected_total",
      type: "counter",
      help: "Newcomers this instance turned away without a place because the room's QUEUEING is reject (per isolate).",
      samples: rooms.map((r) => ({ labels: { room: r.room, ...isolate }, value: r.rejected ?? 0 })),
    },
    {
      name: "anteroom_store_failures_total",
      type: "counter",
      help: "Store calls that failed on this instance, by kind: outage (down, slow) or script_error (a bug) (per isolate).",
      samples: [
        { labels: { kind: "outage", ...isolate }, value: instance.storeFailures.outage },
        { labels: { kind: "script_error", ...isolate }, value: instance.storeFailures.scriptError },
      ],
    },
    {
      name: "anteroom_isolate_start_time_seconds",
      type: "gauge",
      help: "When the answering worker instance (isolate) started, seconds since the epoch: its counters count from then.",
      samples: [{ labels: isolate, value: Math.floor(instance.startedAt / 1000) }],
    },
  ];
}

/**
 * Cumulative `le` buckets (seconds) of a sample's fixed bins, then `+Inf` and
 * the count. A bin holds latencies below its bound (origin-signal.ts), so a
 * bucket counts those under `le`: the same as at or under it but for a
 * latency of exactly the bound, in whole ms.
 */
function latencyBuckets(room: string, sample: OriginSample): MetricSample[] {
  const samples: MetricSample[] = [];
  let cumulative = 0;
  LATENCY_BOUNDS_MS.forEach((bound, i) => {
    cumulative += sample.bins[i] ?? 0;
    samples.push({ suffix: "_bucket", labels: { room, le: String(bound / 1000) }, value: cumulative });
  });
  samples.push({ suffix: "_bucket", labels: { room, le: "+Inf" }, value: sample.requests });
  samples.push({ suffix: "_count", labels: { room }, value: sample.requests });
  return samples;
}
