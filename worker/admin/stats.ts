import { activeCap } from "../model/active.ts";
import { type FrontierState, rateOf, type Settings } from "../model/admission.ts";
import type { StoreFailureCounts } from "../store/failure-log.ts";
import type { MinuteSnapshot } from "../store/store.ts";

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
  /**
   * Store calls that failed on the instance that answered, since it started:
   * `outage` (unreachable, timeout, 5xx) and `scriptError` (a Lua error, a
   * reply the mapping could not read, or a stored value it left out: a bug or
   * a hand edit, see the instance's log).
   */
  readonly storeFailures: StoreFailureCounts;
  readonly at: string;
}

/**
 * Turns a room's counters and per-minute snapshots into the operator's view.
 * "Admitted" counts positions the frontier has reached: everyone offered
 * admission, whether or not they came back to claim it.
 *
 * @example
 * ```ts
 * const stats = roomStats({ room: "default", state, settings, history, defaultSessionMinutes: 10, maxActive: 0, storeFailures, now: Date.now() });
 * ```
 */
export function roomStats(input: {
  readonly room: string;
  readonly state: FrontierState;
  readonly settings: Settings;
  readonly history: readonly MinuteSnapshot[];
  readonly defaultSessionMinutes: number;
  readonly maxActive: number;
  readonly storeFailures: StoreFailureCounts;
  readonly now: number;
}): RoomStats {
  const { state, settings, history, now } = input;
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
    history: minuteStats(history, state, now),
    storeFailures: input.storeFailures,
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

/** The last 30 minutes and the current one, one row a minute, oldest first. */
function minuteStats(history: readonly MinuteSnapshot[], state: FrontierState, now: number): MinuteStats[] {
  const byMinute = new Map(history.map((s) => [s.minute, s]));
  const current = Math.floor(now / 60_000);
  const rows: MinuteStats[] = [];
  let previous: { lastTicket: number; admitted: number } | undefined;
  for (let minute = current - 30; minute <= current; minute++) {
    const start = byMinute.get(minute) ?? previous;
    const nextStart = byMinute.get(minute + 1) ?? (minute === current ? liveCounters(state) : start);
    const iso = new Date(minute * 60_000).toISOString();
    if (start && nextStart) {
      rows.push({
        minute: iso,
        arrivals: Math.max(0, nextStart.lastTicket - start.lastTicket),
        admissions: Math.max(0, nextStart.admitted - start.admitted),
        queueLength: Math.max(0, start.lastTicket - start.admitted),
      });
    } else {
      // Before the room's first snapshot (a new room, or one idle past the window): nothing happened.
      rows.push({ minute: iso, arrivals: 0, admissions: 0, queueLength: 0 });
    }
    if (start) previous = nextStart ?? start;
  }
  return rows;
}

function liveCounters(state: FrontierState) {
  return { lastTicket: state.lastTicket, admitted: Math.min(Math.floor(state.frontier), state.lastTicket) };
}
