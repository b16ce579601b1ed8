import type { FrontierState, Mode, Queueing, Settings } from "../model/admission.ts";
import type { AutopilotSettings, AutopilotState, ChangeReason, HoldReason } from "../model/autopilot.ts";
import type { OriginFigures, OriginSample } from "../model/origin-signal.ts";
import type { ScheduledEvent } from "../model/schedule.ts";

/**
 * Why a store call failed (decided in one place, `failure.ts`):
 * - `outage`: the store could not be reached or did not answer in time
 *   (timeout, refused connection, network error, 5xx from the REST endpoint);
 * - `script_error`: it answered, but a script failed or its reply could not be
 *   read. A bug in the Lua scripts or the store's reply mapping, not an outage.
 */
export type StoreFailureKind = "outage" | "script_error";

/**
 * What a store call returns when the store could not answer: a value, so
 * callers must handle it. Callers fall back the same way for either kind; the
 * kind is for the log and the operator's stats.
 */
export interface StoreUnavailable {
  readonly kind: "unavailable";
  readonly failure: StoreFailureKind;
  /** For logs only; never sent to clients. */
  readonly reason: string;
}

/**
 * Outcome of a newcomer's arrival: straight in, a place in the queue, or no
 * ticket at all (closed). `position` 0 means straight in without a place
 * (passthrough).
 */
export type JoinDecision =
  | { readonly kind: "admitted"; readonly position: number; readonly state: FrontierState }
  | { readonly kind: "queued"; readonly position: number; readonly state: FrontierState }
  | { readonly kind: "closed"; readonly state: FrontierState };

/** A newcomer during an event's pre-queue: a lottery entry, placed at the event's start. */
export interface Prequeued {
  readonly kind: "prequeued";
  /** The event's number (`ScheduledEvent.seq`). */
  readonly event: number;
  readonly startsAt: number;
  readonly state: FrontierState;
}

export type JoinOutcome =
  | ((JoinDecision | Prequeued) & { readonly settings: Settings })
  | Limited
  | Rejected
  | StampUsed
  | StoreUnavailable;

/**
 * A newcomer over the rate in a room whose QUEUEING is `reject`: no place was
 * handed out (the last ticket did not move), no stamp spent. Come back later.
 */
export interface Rejected {
  readonly kind: "rejected";
  readonly state: FrontierState;
  readonly settings: Settings;
}

/**
 * Who is arriving: the id names their pre-queue entry; the draw in [0, 1) is
 * their lottery number; `client` (a hash of their IP, or null when unknown)
 * is what the per-client limit counts; `stamps` are what they spend on the
 * place (the cookie check's cookie, a Turnstile proof): each buys one place.
 */
export interface Arrival {
  readonly visitorId: string;
  readonly draw: number;
  readonly client?: string | null;
  readonly stamps?: readonly SpentStamp[];
}

/**
 * A single-use stamp a newcomer spends: its id and when it expires (ms,
 * worker clock). The store records it as spent with the place, entry or
 * admission it buys, atomically, and remembers it a little past its expiry.
 */
export interface SpentStamp {
  readonly id: string;
  readonly expiresAt: number;
}

/** A newcomer whose stamp was already spent: nothing given, nothing counted; the stamp must be earned again. */
export interface StampUsed {
  readonly kind: "stamp_used";
  /** The spent stamp's id (one of the arrival's). */
  readonly id: string;
}

/** A newcomer over the per-client limit: no ticket this minute. */
export interface Limited {
  readonly kind: "limited";
  /** Seconds until the client's count starts over. */
  readonly retryAfterSeconds: number;
}

/** The per-client count starts over with the next minute (of the clock that named its key). */
export function secondsToNextMinute(now: number): number {
  return Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
}

/** A pre-queued visitor's place after the start; `base` is the last ticket before the pre-queue's places. */
export type ClaimOutcome =
  | ({ readonly state: FrontierState; readonly settings: Settings } & (
      | { readonly kind: "placed"; readonly position: number; readonly base: number }
      /** The store's clock says the event has not started yet. */
      | { readonly kind: "not_started" }
      /** No such entry (the store lost it): the visitor is treated as new. */
      | { readonly kind: "unknown" }
    ))
  | StoreUnavailable;

/** A stored event with its pre-queue's size and whether it has been placed. */
export interface EventRecord extends ScheduledEvent {
  readonly prequeued: number;
  readonly placed: boolean;
}

/** The events and an opaque token of this version of the list, for {@link AdmissionStore.writeEvents}. */
export type EventsOutcome =
  | { readonly kind: "events"; readonly events: readonly EventRecord[]; readonly version: string }
  | StoreUnavailable;

/** `seq` is the number drawn for an added event (0 when none was added). */
export type WriteEventsOutcome =
  | { readonly kind: "written"; readonly seq: number }
  /** The list changed since `version` was read; nothing was written. */
  | { readonly kind: "conflict" }
  | StoreUnavailable;
export type TickOutcome =
  | {
      readonly kind: "state";
      readonly state: FrontierState;
      readonly settings: Settings;
      /** Releases reported since the caller's `releasesSince`, oldest first (see {@link Report}). */
      readonly releases: ReleaseFeed;
      /** Places used since the caller's `consumedSince`, oldest first (see {@link Report}). */
      readonly consumed: ConsumedFeed;
      /**
       * Positions of this call's report (`Report.consumed`) whose place someone had used before:
       * the caller's admission by each was not the first, unless the feed shows its own client
       * within the grace. The store knows at once; the feed may reach the caller later, or never.
       */
      readonly taken: readonly number[];
    }
  | StoreUnavailable;

/** A visitor whose session the origin ended: passes of `subject` issued at or before `at` no longer admit. */
export interface Release {
  readonly subject: string;
  /** Worker clock, ms. */
  readonly at: number;
}

/**
 * A place used: the first admission by the ticket for `position`. `device`
 * is a short hex hint of the client admitted (its network and User-Agent,
 * hashed), so that the holder's own browser can be let in again for a few
 * seconds (a second tab, a retry) while copies elsewhere are refused; null
 * when unknown.
 */
export interface ConsumedPlace {
  readonly position: number;
  readonly device: string | null;
}

/**
 * Places used that the store has heard of, for instances to refuse copies of their tickets without a store call.
 * A caller further behind than one call's worth gets the newest entries and skips the older ones.
 */
export interface ConsumedFeed {
  /** Oldest first; `at` is when the store first heard of the place (store clock, ms). */
  readonly places: readonly (ConsumedPlace & { readonly at: number })[];
  /** Feed time of the newest entry returned (or the caller's cursor when none): the next call's `consumedSince`. */
  readonly cursor: number;
  /** Entries after the caller's `consumedSince` left out, older than the ones returned: places the caller will not hear of. */
  readonly skipped: number;
}

/** Releases the store has heard of, for instances to refuse released passes without a store call per view. */
export interface ReleaseFeed {
  readonly releases: readonly Release[];
  /** Store time of the newest release returned (or the caller's cursor when none): the next call's `releasesSince`. */
  readonly cursor: number;
}

/**
 * What an instance tells the store with its next call (no call of its own):
 * places used (its admissions by ticket: each a claim for no-show
 * compensation, counted once per position however often it is reported),
 * pass subjects in use (the active-users count), sessions the origin ended,
 * and how far it has read the releases and the places used.
 */
export interface Report {
  readonly consumed?: readonly ConsumedPlace[];
  readonly seen?: readonly string[];
  readonly released?: readonly Release[];
  /** Store time of the newest release this instance knows; 0 before its first tick. */
  readonly releasesSince?: number;
  /** Feed time of the newest places-used entry this instance read; 0 before its first tick. */
  readonly consumedSince?: number;
  /** The origin's answers to this instance's admitted visitors since its last report (the autopilot's signal). */
  readonly origin?: OriginSample | null;
  /** Who reports, and what it has seen (the fleet's size, the restore after a loss); absent: not counted. */
  readonly witness?: Witness;
}

/**
 * What an instance tells every admission script about itself: its id (the
 * store counts the live instances, the fleet) and the furthest state it has
 * seen (from replies and from the tickets it verified), from which a store
 * that lost the room's state restores it.
 *
 * @example
 * ```ts
 * const witness = { instance: "a1b2c3d4e5f6", epoch: 1764547200000, frontier: 40.5, lastTicket: 52 };
 * ```
 */
export interface Witness {
  /** 12 hex characters, random per worker instance. */
  readonly instance: string;
  /** The epoch of the newest state seen (0 = a state from before epochs, or none). */
  readonly epoch: number;
  /** The highest frontier seen. */
  readonly frontier: number;
  /** The highest position seen handed out (in replies, and on tickets of that epoch). */
  readonly lastTicket: number;
  /** That epoch's base and floor as last seen (see `model/epoch.ts`); absent: 0 and none. */
  readonly base?: number;
  readonly floor?: number;
}

/** An operator's change: a value sets an override, null resets it to the default, absent leaves it. */
export interface SettingsPatch {
  readonly perMinute?: number | null;
  readonly mode?: Mode | null;
  readonly sessionMinutes?: number | null;
  readonly maxActive?: number | null;
  /** Autopilot on (true) or off (false). */
  readonly autopilot?: boolean | null;
  readonly autopilotMinRate?: number | null;
  readonly autopilotMaxRate?: number | null;
  readonly originTargetP95Ms?: number | null;
  readonly originMaxErrorRate?: number | null;
  readonly originTimeoutMs?: number | null;
}

export type SettingsOutcome = { readonly kind: "settings"; readonly settings: Settings } | StoreUnavailable;

/** Counters at the first activity of a minute (minute = ms since the epoch / 60 000). */
export interface MinuteSnapshot {
  readonly minute: number;
  readonly lastTicket: number;
  readonly admitted: number;
  /** The rate in force at that moment (absent in snapshots written before it was kept). */
  readonly ratePerMinute?: number;
  /** The origin over the minute before the snapshot (the fleet's figures; absent when unknown). */
  readonly origin?: OriginFigures;
  /**
   * The minute's running figures (absent in rows written before they were
   * kept): the most visitors waiting and active after any script call in the
   * minute, and the places used first in it (first admissions by ticket, and
   * newcomers let straight in).
   */
  readonly peakQueue?: number;
  readonly peakActive?: number;
  readonly used?: number;
  /**
   * The room's epoch and its base (the last ticket it was restored at; 0 for
   * a room created empty) at the snapshot; absent in rows written before they
   * were kept. A restored epoch's last ticket counts on from its base, so a
   * report must not read the drop to it as a room starting over from 0.
   */
  readonly epoch?: number;
  readonly base?: number;
}

/** Minutes (ms since the epoch / 60 000), both ends included. */
export interface MinuteRange {
  readonly from: number;
  readonly to: number;
}

/** One change of the rate, by the autopilot, an operator or an event (store clock). */
export interface RateChange {
  readonly at: number;
  readonly from: number;
  readonly to: number;
  readonly reason: ChangeReason;
}

/** What the autopilot is doing, for the operator's stats. */
export interface AutopilotReading {
  /** What it remembers; null before it first ran, and while it waits to start again (see `learned`). */
  readonly state: AutopilotState | null;
  /** The learned capacity, kept while it waits to start again (0 = none). */
  readonly learned?: number;
  /** Why it held at its last decision (null when it changed the rate, or never decided). */
  readonly hold: HoldReason | null;
  /** The rate changes of the last 30 minutes, oldest first. */
  readonly changes: readonly RateChange[];
  /** The fleet's origin figures over the last minute. */
  readonly origin: OriginFigures;
  /** The fleet's origin requests over the last minute, binned (the metrics' latency histogram); absent from older readers. */
  readonly originSample?: OriginSample;
}

export type AutopilotOutcome = ({ readonly kind: "autopilot" } & AutopilotReading) | StoreUnavailable;

export type HistoryOutcome =
  | {
      readonly kind: "history";
      /** The rows present in the range, oldest first. */
      readonly minutes: readonly MinuteSnapshot[];
      /** The store's clock when read (ms). */
      readonly now: number;
      /** The counters when read (not advanced: a read changes nothing); null when the room has no state. */
      readonly current: { readonly lastTicket: number; readonly admitted: number } | null;
    }
  | StoreUnavailable;

/** The room a store call acts on, with the deploy-time defaults operators may override. */
export interface RoomSpec {
  readonly room: string;
  readonly defaultPerMinute: number;
  readonly defaultMode: Mode;
  /** What a newcomer over the rate gets (QUEUEING); absent: `fifo`, a place in line. */
  readonly queueing?: Queueing;
  /** Expiry of the room's state after its last write. */
  readonly stateTtlMs: number;
  /** Most new tickets one client may take per minute; 0 or absent: no limit. */
  readonly newTicketsPerClientPerMinute?: number;
  /** Most active visitors (MAX_ACTIVE); 0 or absent: no cap. */
  readonly maxActive?: number;
  /** Session length (SESSION_MINUTES) in ms, unless an operator set one: how long a pass counts as active after use. */
  readonly sessionMs?: number;
  /** The autopilot's deployed settings (AUTOPILOT, AUTOPILOT_MIN_RATE, ...); absent: off. */
  readonly autopilot?: AutopilotSettings;
}

/**
 * Where a room's admission counters and live settings live. One
 * implementation, `RedisStore`: the Lua scripts of `lua/`, run by Redis when
 * deployed, and by the embedded engine (`tools/embedded-redis/`) behind the
 * REST bridge for `npm start` without Redis and in tests.
 */
export interface AdmissionStore {
  /**
   * A newcomer arrives: advance the frontier and hand out a position (or a
   * pre-queue entry), atomically. A newcomer let straight in counts as active
   * at once. `report`: as for {@link tick}.
   */
  join(room: RoomSpec, arrival: Arrival, report?: Report): Promise<JoinOutcome>;
  /**
   * Newcomers who arrived at one instance close together, in one atomic call:
   * each gets the outcome {@link join} would have given them, called for each
   * in this order at the same clock (positions in arrival order). One outcome
   * per arrival, in order; when the call fails, each is that failure.
   *
   * @example
   * ```ts
   * const [first, second] = await store.joinMany(spec, [newcomerA, newcomerB]);
   * ```
   */
  joinMany(room: RoomSpec, arrivals: readonly Arrival[], report?: Report): Promise<readonly JoinOutcome[]>;
  /** A pre-queued visitor's place, once the event has started. */
  claim(room: RoomSpec, event: number, visitorId: string, witness?: Witness): Promise<ClaimOutcome>;
  /** The scheduled events, sorted by start. */
  events(room: RoomSpec): Promise<EventsOutcome>;
  /**
   * Replaces the events if they are still at `version`. An event in `next`
   * with `seq` 0 is the one being added: it gets the room's next number.
   */
  writeEvents(room: RoomSpec, version: string, next: readonly ScheduledEvent[]): Promise<WriteEventsOutcome>;
  /**
   * Advance the frontier and read it, with the live settings and the
   * releases since `report.releasesSince`. `report` is what the instance saw
   * since its last call (see {@link Report}).
   */
  tick(room: RoomSpec, report?: Report): Promise<TickOutcome>;
  /** Apply an operator's change, all fields at once. */
  updateSettings(room: RoomSpec, patch: SettingsPatch): Promise<SettingsOutcome>;
  /**
   * Per-minute rows over `range` (default: the last 30 minutes and the
   * current one, by the store's clock); at most the last 48 hours' worth of
   * any range (HISTORY_KEPT_MINUTES + 1 minutes) is read.
   */
  history(room: RoomSpec, range?: MinuteRange): Promise<HistoryOutcome>;
  /** The autopilot's memory, its recent changes and the origin's figures (read-only). */
  autopilot(room: RoomSpec): Promise<AutopilotOutcome>;
}
