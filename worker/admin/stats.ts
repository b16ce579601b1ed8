import { activeCap } from "../model/active.ts";
import { type FrontierState, rateOf, type Settings } from "../model/admission.ts";
import { type AutopilotSettings, type ChangeReason, describeChange, describeHold } from "../model/autopilot.ts";
import type { StoreFailureCounts } from "../store/failure-log.ts";
import type { AutopilotReading, EventRecord, MinuteSnapshot, RateChange } from "../store/store.ts";

/** The origin over one minute of the history, as the fleet saw it. */
export interface MinuteOrigin {
  readonly requests: number;
  readonly errorRate: number;
  /** Null without requests. */
  readonly p95Ms: number | null;
}

/** One minute of the operator's history. */
export interface MinuteStats {
  /** Start of the minute, ISO 8601. */
  readonly minute: string;
  /** New places handed out in that minute. */
  readonly arrivals: number;
  /** Places the frontier reached in that minute (visitors offered admission). */
  readonly admissions: number;
  /** Waiting at the start of the minute. */
  readonly queueLength: number;
  /**
   * The rate in force at the end of the minute (the current minute: now), per
   * minute: as the next minute's snapshot kept it, else carried over from an
   * earlier one (an idle minute ran at it); null before the first snapshot
   * that kept one. (Not read back from the changes: those the store logs
   * while the autopilot is off do not say every rate.)
   */
  readonly ratePerMinute: number | null;
  /** The origin over the minute (the current one: the last 60 s); null when unknown. */
  readonly origin: MinuteOrigin | null;
  /** Changes of the rate within the minute (listed in `autopilot.changes`). */
  readonly rateChanges: number;
}

/** A change of the rate as the operator reads it. */
export interface RateChangeStats {
  /** ISO 8601 (store clock). */
  readonly at: string;
  readonly from: number;
  readonly to: number;
  /** What moved it: p95_high, errors_high, healthy, operator, started, event, bounds. */
  readonly code: ChangeReason["code"];
  /** The change in words ({@link describeChange}). */
  readonly reason: string;
}

/**
 * The autopilot as `GET /stats` shows it. Limits are the values in force (an
 * operator's, else wrangler.toml's); null only where neither the store nor the
 * config knows them. Origin figures are the fleet's over the last minute, null
 * when the store could not be read.
 */
export interface AutopilotStats {
  readonly on: boolean;
  /** The rate in force (the top-level `ratePerMinute`). */
  readonly ratePerMinute: number;
  readonly minRate: number | null;
  readonly maxRate: number | null;
  readonly targetP95Ms: number | null;
  readonly maxErrorRate: number | null;
  readonly timeoutMs: number | null;
  readonly origin: {
    readonly requests: number | null;
    readonly errorRate: number | null;
    readonly p50Ms: number | null;
    readonly p95Ms: number | null;
  };
  /** The newest change of the last 30 minutes, null when none. */
  readonly lastChange: RateChangeStats | null;
  /** Why it held at its last decision, in words; null while off, or when it changed the rate or never decided. */
  readonly status: string | null;
  /** The highest rate the origin sustained while healthy with a queue; null until known. */
  readonly learnedCapacity: number | null;
  /** The changes of the last 30 minutes, oldest first. */
  readonly changes: readonly RateChangeStats[];
}

/** What `GET /__anteroom/admin/stats` answers. */
export interface RoomStats {
  readonly room: string;
  readonly mode: Settings["mode"];
  readonly ratePerMinute: number;
  readonly sessionMinutes: number;
  readonly settingsVersion: number;
  readonly queueLength: number;
  readonly frontier: number;
  readonly lastTicket: number;
  readonly admittedLastMinute: number;
  readonly admittedTotal: number;
  /** Visitors with a pass used within the session length, as the store last heard from the instances (see active.ts). */
  readonly activeVisitors: number;
  /** The active-users cap (an operator's value, else MAX_ACTIVE), or null when off. */
  readonly maxActive: number | null;
  /** How long someone arriving now would wait, seconds (null while paused or closed). */
  readonly etaSecondsForNewcomer: number | null;
  readonly history: readonly MinuteStats[];
  readonly autopilot: AutopilotStats;
  /**
   * Store calls that failed on the instance that answered, since it started:
   * `outage` (unreachable, timeout, 5xx) and `scriptError` (a Lua error, a
   * reply the mapping could not read, or a stored value it left out: a bug or
   * a hand edit, see the instance's log).
   */
  readonly storeFailures: StoreFailureCounts;
  /** The fleet: worker instances heard from within the last minute (the outage fallback shares its allowance among them). */
  readonly fleet: { readonly instances: number };
  /**
   * The room's state's epoch (see `model/epoch.ts`): when the store last lost the state and it was
   * restored (ISO 8601, null when never), and the last ticket it was restored at.
   */
  readonly state: { readonly epoch: number; readonly restoredAt: string | null; readonly restoredFromTicket: number };
  readonly at: string;
}

/**
 * One room as the store tells it, read once for `GET /stats` and
 * `GET /metrics` alike (admin/reading.ts reads it): its state, its upcoming events, the autopilot's
 * reading, and the operator's view computed from them ({@link roomStats}).
 */
export interface RoomReading {
  readonly kind: "reading";
  readonly stats: RoomStats;
  /** The state behind the stats (for the figures the stats do not show, like the show ratio). */
  readonly state: FrontierState;
  readonly settings: Settings;
  readonly events: readonly EventRecord[];
  /** Null when the autopilot's reading could not be read (the rest still answers). */
  readonly autopilot: AutopilotReading | null;
  /** Store time of the reading, ms. */
  readonly now: number;
}

/**
 * Turns a room's counters and per-minute snapshots into the operator's view.
 * "Admitted" counts positions the frontier has reached: everyone offered
 * admission, whether or not they came back to claim it. `autopilot` is the
 * store's reading, or null when it could not be read: the autopilot block
 * then shows the settings and no origin figures.
 *
 * @example
 * ```ts
 * const stats = roomStats({ room: "default", state, settings, history, autopilot, defaultSessionMinutes: 10, maxActive: 0, storeFailures, now: Date.now() });
 * ```
 */
export function roomStats(input: {
  readonly room: string;
  readonly state: FrontierState;
  readonly settings: Settings;
  readonly history: readonly MinuteSnapshot[];
  readonly autopilot: AutopilotReading | null;
  /** The autopilot's deployed settings (RoomSpec.autopilot), for limits the store does not report. */
  readonly autopilotDefaults?: AutopilotSettings | undefined;
  readonly defaultSessionMinutes: number;
  readonly maxActive: number;
  readonly storeFailures: StoreFailureCounts;
  readonly now: number;
}): RoomStats {
  const { state, settings, history, now } = input;
  const changes = recentChanges(input.autopilot?.changes ?? [], now);
  const cap = activeCap(settings.maxActive, input.maxActive);
  const admittedTotal = Math.min(Math.floor(state.frontier), state.lastTicket);
  const queueLength = Math.max(0, state.lastTicket - admittedTotal);
  const rate = rateOf(settings.perMinute);
  const waitingFor = state.lastTicket + 1 - state.frontier;
  const eta =
    settings.mode === "paused" || settings.mode === "closed"
      ? null
      : waitingFor <= 0 || settings.mode === "passthrough"
        ? 0
        : Math.ceil(waitingFor / (rate.perMinute / 60));
  return {
    room: input.room,
    mode: settings.mode,
    ratePerMinute: settings.perMinute,
    sessionMinutes: settings.sessionMinutes ?? input.defaultSessionMinutes,
    settingsVersion: settings.version,
    queueLength,
    frontier: Number(state.frontier.toFixed(3)),
    lastTicket: state.lastTicket,
    admittedLastMinute: Math.max(0, admittedTotal - admittedAt(history, now - 60_000, admittedTotal)),
    admittedTotal,
    activeVisitors: state.active ?? 0,
    maxActive: cap > 0 ? cap : null,
    etaSecondsForNewcomer: eta,
    history: minuteStats(history, state, now, settings.perMinute, input.autopilot, changes),
    autopilot: autopilotStats(settings, input.autopilot, input.autopilotDefaults, changes),
    storeFailures: input.storeFailures,
    fleet: { instances: state.instances ?? 0 },
    state: {
      epoch: state.epoch ?? 0,
      restoredAt: state.restoredAt ? new Date(state.restoredAt).toISOString() : null,
      restoredFromTicket: state.base ?? 0,
    },
    at: new Date(now).toISOString(),
  };
}

/** Admitted count at time `t`, interpolated between the snapshots around it. */
function admittedAt(history: readonly MinuteSnapshot[], t: number, current: number): number {
  const minute = t / 60_000;
  let before: MinuteSnapshot | undefined;
  let after: MinuteSnapshot | undefined;
  for (const snapshot of history) {
    if (snapshot.minute <= minute) before = snapshot;
    else if (!after) after = snapshot;
  }
  if (!before) return after ? after.admitted : current;
  if (!after) return before.admitted;
  const share = (minute - before.minute) / (after.minute - before.minute);
  return before.admitted + (after.admitted - before.admitted) * share;
}

/**
 * The autopilot's settings in force: the store's (Settings.autopilot), else
 * the deployed ones turned off (settings without them read as off).
 */
export function autopilotInForce(
  settings: Settings,
  defaults: AutopilotSettings | undefined,
): AutopilotSettings | undefined {
  return settings.autopilot ?? (defaults ? { ...defaults, on: false } : undefined);
}

function autopilotStats(
  settings: Settings,
  reading: AutopilotReading | null,
  defaults: AutopilotSettings | undefined,
  changes: readonly RateChangeStats[],
): AutopilotStats {
  const limits = autopilotInForce(settings, defaults);
  const on = limits?.on ?? false;
  const origin = reading?.origin;
  const learned = reading?.state?.learned ?? reading?.learned ?? 0;
  return {
    on,
    ratePerMinute: settings.perMinute,
    minRate: limits?.minRate ?? null,
    maxRate: limits?.maxRate ?? null,
    targetP95Ms: limits?.targetP95Ms ?? null,
    maxErrorRate: limits?.maxErrorRate ?? null,
    timeoutMs: limits?.timeoutMs ?? null,
    origin: {
      requests: origin ? origin.requests : null,
      errorRate: origin ? rounded(origin.errorRate, 4) : null,
      p50Ms: origin?.p50Ms ?? null,
      p95Ms: origin?.p95Ms ?? null,
    },
    lastChange: changes.at(-1) ?? null,
    // A hold from before it was turned off says nothing about now.
    status: on && reading?.hold ? describeHold(reading.hold) : null,
    learnedCapacity: Number.isFinite(learned) && learned > 0 ? learned : null,
    changes,
  };
}

/** Changes kept by the store, as the operator reads them: the last 30 minutes, oldest first. */
function recentChanges(changes: readonly RateChange[], now: number): RateChangeStats[] {
  return changes
    .filter((change) => change.at > now - 30 * 60_000 && change.at <= now + 60_000)
    .sort((a, b) => a.at - b.at)
    .map((change) => ({
      at: new Date(change.at).toISOString(),
      from: change.from,
      to: change.to,
      code: change.reason.code,
      reason: describeChange(change.reason, change.from, change.to),
    }));
}

function rounded(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * The last 30 minutes and the current one, one row a minute, oldest first.
 * A minute's snapshot is taken at its first activity and holds the origin's
 * figures of the minute before it, so a row's origin and closing rate come
 * from the next minute's snapshot (the current row: the live figures).
 */
function minuteStats(
  history: readonly MinuteSnapshot[],
  state: FrontierState,
  now: number,
  rateNow: number,
  reading: AutopilotReading | null,
  changes: readonly RateChangeStats[],
): MinuteStats[] {
  const byMinute = new Map(history.map((s) => [s.minute, s]));
  const current = Math.floor(now / 60_000);
  const changesIn = new Map<number, number>();
  for (const change of changes) {
    const minute = Math.floor(Date.parse(change.at) / 60_000);
    changesIn.set(minute, (changesIn.get(minute) ?? 0) + 1);
  }
  const rows: MinuteStats[] = [];
  let previous: { lastTicket: number; admitted: number } | undefined;
  // The newest rate a snapshot kept so far: an idle minute (no snapshot) ran at it.
  let rate: number | null = null;
  for (let minute = current - 30; minute <= current; minute++) {
    const opening = byMinute.get(minute);
    const closing = byMinute.get(minute + 1);
    if (opening?.ratePerMinute !== undefined) rate = opening.ratePerMinute;
    if (closing?.ratePerMinute !== undefined) rate = closing.ratePerMinute;
    const start = opening ?? previous;
    const nextStart = closing ?? (minute === current ? liveCounters(state) : start);
    const iso = new Date(minute * 60_000).toISOString();
    const live = minute === current;
    const origin = live
      ? reading
        ? minuteOrigin(reading.origin)
        : null
      : closing?.origin
        ? minuteOrigin(closing.origin)
        : null;
    const extra = { ratePerMinute: live ? rateNow : rate, origin, rateChanges: changesIn.get(minute) ?? 0 };
    if (start && nextStart) {
      rows.push({
        minute: iso,
        arrivals: Math.max(0, nextStart.lastTicket - start.lastTicket),
        admissions: Math.max(0, nextStart.admitted - start.admitted),
        queueLength: Math.max(0, start.lastTicket - start.admitted),
        ...extra,
      });
    } else {
      // Before the room's first snapshot (a new room, or one idle past the window): nothing happened.
      rows.push({ minute: iso, arrivals: 0, admissions: 0, queueLength: 0, ...extra });
    }
    if (start) previous = nextStart ?? start;
  }
  return rows;
}

function minuteOrigin(figures: { requests: number; errorRate: number; p95Ms: number | null }): MinuteOrigin | null {
  if (!(figures.requests > 0)) return null;
  return { requests: figures.requests, errorRate: rounded(figures.errorRate, 4), p95Ms: figures.p95Ms };
}

function liveCounters(state: FrontierState) {
  return { lastTicket: state.lastTicket, admitted: Math.min(Math.floor(state.frontier), state.lastTicket) };
}
