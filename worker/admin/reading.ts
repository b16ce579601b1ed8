import type { FrontierState, Settings } from "../model/admission.ts";
import type { Runtime } from "../runtime.ts";
import type { AutopilotReading, EventRecord } from "../store/store.ts";
import { type RoomStats, roomStats } from "./stats.ts";

/**
 * One room as the store tells it, read once for `GET /stats` and
 * `GET /metrics` alike: its state, its upcoming events, the autopilot's
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
 * Reads the room's state, history, events and the autopilot's reading in one
 * round of calls, and turns them into the operator's view. `unavailable` when
 * the store could not answer the state, history or events (the autopilot's
 * reading alone may be missing). The instance's view of the room follows the
 * state it read.
 *
 * @example
 * ```ts
 * const reading = await readRoom(c.var.runtime);
 * if (reading.kind === "unavailable") return storeDown(c);
 * ```
 */
export async function readRoom(runtime: Runtime): Promise<RoomReading | { readonly kind: "unavailable" }> {
  const { gate, config } = runtime;
  const [tick, history, events, autopilot] = await Promise.all([
    gate.store.tick(gate.room),
    gate.store.history(gate.room),
    gate.store.events(gate.room),
    gate.store.autopilot(gate.room),
  ]);
  if (tick.kind === "unavailable" || history.kind === "unavailable" || events.kind === "unavailable") {
    return { kind: "unavailable" };
  }
  gate.link.observe(tick.state, tick.settings);
  const now = tick.state.updatedAt;
  const reading = autopilot.kind === "unavailable" ? null : autopilot;
  const stats = roomStats({
    room: config.room,
    state: tick.state,
    settings: tick.settings,
    history: history.minutes,
    autopilot: reading,
    autopilotDefaults: gate.room.autopilot,
    defaultSessionMinutes: config.sessionSeconds / 60,
    maxActive: config.maxActive,
    storeFailures: runtime.storeFailures.counts(),
    now,
  });
  return {
    kind: "reading",
    stats,
    state: tick.state,
    settings: tick.settings,
    events: events.events,
    autopilot: reading,
    now,
  };
}
