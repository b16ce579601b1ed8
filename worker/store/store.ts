import type { FrontierState, JoinDecision, Rate } from "../admission.ts";

/** What a store call returns when the store could not answer: a value, so callers must handle it. */
export interface StoreUnavailable {
  readonly kind: "unavailable";
  /** For logs only; never sent to clients. */
  readonly reason: string;
}

export type JoinOutcome = JoinDecision | StoreUnavailable;
export type TickOutcome = { readonly kind: "state"; readonly state: FrontierState } | StoreUnavailable;

/** The room a store call acts on. */
export interface RoomSpec {
  readonly room: string;
  readonly rate: Rate;
  /** Expiry of the room's state after its last write. */
  readonly stateTtlMs: number;
}

/**
 * Where a room's admission counters live. Two implementations with one
 * behaviour (checked by one contract suite): Redis for anything deployed, and
 * memory for `npm start` without Redis and for fast unit tests.
 */
export interface AdmissionStore {
  /** A newcomer arrives: advance the frontier and hand out a position, atomically. */
  join(room: RoomSpec): Promise<JoinOutcome>;
  /** Advance the frontier and read it. */
  tick(room: RoomSpec): Promise<TickOutcome>;
}
