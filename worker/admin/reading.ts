import type { Runtime } from "../runtime.ts";
import { type RoomReading, roomStats } from "./stats.ts";

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
    gate.store.tick(gate.room, { witness: gate.link.witness() }),
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
