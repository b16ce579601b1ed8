import { advance, type FrontierState, initialState, join, type Mode, rateOf, type Settings } from "../admission.ts";
import type {
  AdmissionStore,
  HistoryOutcome,
  JoinOutcome,
  MinuteSnapshot,
  RoomSpec,
  SettingsOutcome,
  SettingsPatch,
  TickOutcome,
} from "./store.ts";

interface Overrides {
  perMinute?: number;
  mode?: Mode;
  sessionMinutes?: number;
  version: number;
}

interface RoomEntry {
  state: FrontierState;
  expiresAt: number;
  history: Map<number, MinuteSnapshot>;
}

/**
 * In-memory store: the embedded default for `npm start` without Redis and for
 * fast unit tests. Per process (per worker isolate), so never for production.
 * Mirrors the Lua scripts; the contract suite keeps the two in step.
 *
 * @example
 * ```ts
 * const store = new MemoryStore(() => Date.now());
 * await store.join({ room: "default", defaultPerMinute: 60, defaultMode: "auto", stateTtlMs: 86_400_000 });
 * ```
 */
export class MemoryStore implements AdmissionStore {
  readonly #rooms = new Map<string, RoomEntry>();
  readonly #overrides = new Map<string, Overrides>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async join(room: RoomSpec): Promise<JoinOutcome> {
    const now = this.#now();
    const settings = this.#settings(room);
    const before = advance(this.#load(room, settings, now), rateOf(settings.perMinute), now, settings.mode);
    const decision = join(before, rateOf(settings.perMinute), now, settings.mode);
    this.#save(room, decision.state, before, now);
    return { ...decision, settings };
  }

  async tick(room: RoomSpec): Promise<TickOutcome> {
    const now = this.#now();
    const settings = this.#settings(room);
    const state = advance(this.#load(room, settings, now), rateOf(settings.perMinute), now, settings.mode);
    this.#save(room, state, state, now);
    return { kind: "state", state, settings };
  }

  async updateSettings(room: RoomSpec, patch: SettingsPatch): Promise<SettingsOutcome> {
    const current = { ...(this.#overrides.get(room.room) ?? { version: 0 }) };
    if (patch.perMinute === null) delete current.perMinute;
    else if (patch.perMinute !== undefined) current.perMinute = patch.perMinute;
    if (patch.mode === null) delete current.mode;
    else if (patch.mode !== undefined) current.mode = patch.mode;
    if (patch.sessionMinutes === null) delete current.sessionMinutes;
    else if (patch.sessionMinutes !== undefined) current.sessionMinutes = patch.sessionMinutes;
    current.version += 1;
    this.#overrides.set(room.room, current);
    return { kind: "settings", settings: this.#settings(room) };
  }

  async history(room: RoomSpec): Promise<HistoryOutcome> {
    const minutes = [...(this.#rooms.get(room.room)?.history.values() ?? [])];
    return { kind: "history", minutes: minutes.sort((a, b) => a.minute - b.minute) };
  }

  #settings(room: RoomSpec): Settings {
    const o = this.#overrides.get(room.room);
    return {
      perMinute: o?.perMinute ?? room.defaultPerMinute,
      mode: o?.mode ?? room.defaultMode,
      sessionMinutes: o?.sessionMinutes ?? null,
      version: o?.version ?? 0,
    };
  }

  #load(room: RoomSpec, settings: Settings, now: number): FrontierState {
    const entry = this.#rooms.get(room.room);
    return entry && entry.expiresAt > now ? entry.state : initialState(rateOf(settings.perMinute), now);
  }

  /** `before`: the counters just before this call's own change, for the minute's snapshot. */
  #save(room: RoomSpec, state: FrontierState, before: FrontierState, now: number): void {
    const entry = this.#rooms.get(room.room);
    const history = entry && entry.expiresAt > now ? entry.history : new Map<number, MinuteSnapshot>();
    const minute = Math.floor(state.updatedAt / 60_000);
    if (!history.has(minute)) {
      history.set(minute, { minute, lastTicket: before.lastTicket, admitted: admittedSoFar(before) });
      for (const old of history.keys()) if (old < minute - 30) history.delete(old);
    }
    this.#rooms.set(room.room, { state, expiresAt: now + room.stateTtlMs, history });
  }
}

function admittedSoFar(state: FrontierState): number {
  return Math.min(Math.floor(state.frontier), state.lastTicket);
}
