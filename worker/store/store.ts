import type { FrontierState, JoinDecision, Mode, Settings } from "../admission.ts";

/** What a store call returns when the store could not answer: a value, so callers must handle it. */
export interface StoreUnavailable {
  readonly kind: "unavailable";
  /** For logs only; never sent to clients. */
  readonly reason: string;
}

export type JoinOutcome = (JoinDecision & { readonly settings: Settings }) | StoreUnavailable;
export type TickOutcome =
  | { readonly kind: "state"; readonly state: FrontierState; readonly settings: Settings }
  | StoreUnavailable;

/** An operator's change: a value sets an override, null resets it to the default, absent leaves it. */
export interface SettingsPatch {
  readonly perMinute?: number | null;
  readonly mode?: Mode | null;
  readonly sessionMinutes?: number | null;
}

export type SettingsOutcome = { readonly kind: "settings"; readonly settings: Settings } | StoreUnavailable;

/** Counters at the first activity of a minute (minute = ms since the epoch / 60 000). */
export interface MinuteSnapshot {
  readonly minute: number;
  readonly lastTicket: number;
  readonly admitted: number;
}

export type HistoryOutcome =
  | { readonly kind: "history"; readonly minutes: readonly MinuteSnapshot[] }
  | StoreUnavailable;

/** The room a store call acts on, with the deploy-time defaults operators may override. */
export interface RoomSpec {
  readonly room: string;
  readonly defaultPerMinute: number;
  readonly defaultMode: Mode;
  /** Expiry of the room's state after its last write. */
  readonly stateTtlMs: number;
}

/**
 * Where a room's admission counters and live settings live. Two
 * implementations with one behaviour (checked by one contract suite): Redis
 * for anything deployed, and memory for `npm start` without Redis and fast
 * unit tests.
 */
export interface AdmissionStore {
  /** A newcomer arrives: advance the frontier and hand out a position, atomically. */
  join(room: RoomSpec): Promise<JoinOutcome>;
  /** Advance the frontier and read it, with the live settings. */
  tick(room: RoomSpec): Promise<TickOutcome>;
  /** Apply an operator's change, all fields at once. */
  updateSettings(room: RoomSpec, patch: SettingsPatch): Promise<SettingsOutcome>;
  /** Per-minute snapshots of the last 30 minutes. */
  history(room: RoomSpec): Promise<HistoryOutcome>;
}
