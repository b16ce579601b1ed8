import { advance, type FrontierState, initialState, join } from "../admission.ts";
import type { AdmissionStore, JoinOutcome, RoomSpec, TickOutcome } from "./store.ts";

/**
 * In-memory store: the embedded default for `npm start` without Redis and for
 * fast unit tests. Per process (per worker isolate), so never for production.
 *
 * @example
 * ```ts
 * const store = new MemoryStore(() => Date.now());
 * await store.join({ room: "default", rate: rateOf(60), stateTtlMs: 86_400_000 });
 * ```
 */
export class MemoryStore implements AdmissionStore {
  readonly #rooms = new Map<string, { state: FrontierState; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async join(room: RoomSpec): Promise<JoinOutcome> {
    const now = this.#now();
    const decision = join(this.#load(room, now), room.rate, now);
    this.#rooms.set(room.room, { state: decision.state, expiresAt: now + room.stateTtlMs });
    return decision;
  }

  async tick(room: RoomSpec): Promise<TickOutcome> {
    const now = this.#now();
    const state = advance(this.#load(room, now), room.rate, now);
    this.#rooms.set(room.room, { state, expiresAt: now + room.stateTtlMs });
    return { kind: "state", state };
  }

  #load(room: RoomSpec, now: number): FrontierState {
    const entry = this.#rooms.get(room.room);
    return entry && entry.expiresAt > now ? entry.state : initialState(room.rate, now);
  }
}
