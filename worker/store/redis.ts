import { Redis } from "@upstash/redis/cloudflare";
import { log } from "../log.ts";
import { DEFAULT_SESSION_MS } from "../model/active.ts";
import { type FrontierState, MODES, type Mode, type Settings } from "../model/admission.ts";
import {
  type AutopilotSettings,
  type AutopilotState,
  type ChangeReason,
  clampRate,
  type HoldReason,
  roundRate,
  SLOT_MS,
  WINDOW_SLOTS,
} from "../model/autopilot.ts";
import {
  emptySample,
  encodeSample,
  figuresOf,
  mergeSamples,
  type OriginFigures,
  type OriginSample,
  parseSample,
} from "../model/origin-signal.ts";
import { isEventTime, type ScheduledEvent, scheduledEvent } from "../model/schedule.ts";
import { checkedOutcome, separateTransport, storeFailure, unreadableReply } from "./failure.ts";
import {
  autopilotKey,
  autopilotLogKey,
  clientsKey,
  eventSeqKey,
  eventsKey,
  frozenKey,
  historyKey,
  originKey,
  prequeueKey,
  roomKeys,
  settingsKey,
  stampsKey,
  stateKey,
} from "./keys.ts";
import type { SettingsTail, StateTail } from "./lua/advance.ts";
import { AUTOPILOT_READ_LUA, type AutopilotReadReply } from "./lua/autopilot-read.ts";
import { CLAIM_LUA, type ClaimReply } from "./lua/claim.ts";
import { MAX_POSITION } from "./lua/constants.ts";
import { EVENTS_READ_LUA, EVENTS_WRITE_LUA, type EventsReadReply, type EventsWriteReply } from "./lua/events.ts";
import { HISTORY_LUA, type HistoryReply } from "./lua/history.ts";
import { JOIN_LUA, type JoinReply } from "./lua/join.ts";
import { SETTINGS_LUA, type SettingsReply } from "./lua/settings.ts";
import { TICK_LUA, type TickReply } from "./lua/tick.ts";
import type {
  AdmissionStore,
  Arrival,
  AutopilotOutcome,
  ClaimOutcome,
  ConsumedPlace,
  EventRecord,
  EventsOutcome,
  HistoryOutcome,
  JoinOutcome,
  MinuteRange,
  MinuteSnapshot,
  RateChange,
  Release,
  Report,
  RoomSpec,
  SettingsOutcome,
  SettingsPatch,
  SpentStamp,
  StoreUnavailable,
  TickOutcome,
  Witness,
  WriteEventsOutcome,
} from "./store.ts";
import { secondsToNextMinute } from "./store.ts";

/** The one Redis capability the store needs: scripts run by EVALSHA with an EVAL fallback. */
export interface ScriptClient {
  createScript<TResult>(script: string): { exec(keys: string[], args: string[]): Promise<TResult> };
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Clock passed to the scripts, in ms. Leave unset in production: the scripts
   * then read Redis TIME, so every worker instance shares one clock. Tests set
   * it to replay time deterministically.
   */
  readonly now?: () => number;
  /**
   * Where a stored value the worker cannot read is reported (an event left
   * out, a setting read as its default): the call still succeeds with the
   * rest. The worker passes its failure log; default: a `store_value_unreadable` event (log.ts).
   */
  readonly unreadable?: (reason: string) => void;
}

/**
 * Admission counters and live settings in Redis, one atomic Lua script per operation.
 *
 * @example
 * ```ts
 * const store = new RedisStore(connectRedis({ url, token, timeoutMs: 500 }));
 * const spec = { room: "default", defaultPerMinute: 600, defaultMode: "auto", stateTtlMs: 86_400_000 } as const;
 * const outcome = await store.join(spec, { visitorId: crypto.randomUUID(), draw: 0.42 });
 * ```
 */
export class RedisStore implements AdmissionStore {
  readonly #join;
  readonly #tick;
  readonly #settings;
  readonly #history;
  readonly #claim;
  readonly #eventsRead;
  readonly #eventsWrite;
  readonly #autopilotRead;
  readonly #now: (() => number) | undefined;
  readonly #unreadable: (reason: string) => void;

  constructor(scriptClient: ScriptClient, options: RedisStoreOptions = {}) {
    // Transport failures are marked where the call is made, so a reply that cannot be read is told apart (failure.ts).
    const client = separateTransport(scriptClient);
    this.#join = client.createScript<JoinReply>(JOIN_LUA);
    this.#tick = client.createScript<TickReply>(TICK_LUA);
    this.#settings = client.createScript<SettingsReply>(SETTINGS_LUA);
    this.#history = client.createScript<HistoryReply>(HISTORY_LUA);
    this.#claim = client.createScript<ClaimReply>(CLAIM_LUA);
    this.#eventsRead = client.createScript<EventsReadReply>(EVENTS_READ_LUA);
    this.#eventsWrite = client.createScript<EventsWriteReply>(EVENTS_WRITE_LUA);
    this.#autopilotRead = client.createScript<AutopilotReadReply>(AUTOPILOT_READ_LUA);
    this.#now = options.now;
    this.#unreadable =
      options.unreadable ??
      ((reason) => log({ event: "store_value_unreadable", reason, heldBack: 0, sinceSeconds: 0 }));
  }

  async join(room: RoomSpec, arrival: Arrival, report?: Report): Promise<JoinOutcome> {
    const [outcome] = await this.joinMany(room, [arrival], report);
    return outcome ?? unreadableReply("JOIN", "no outcome for the arrival");
  }

  async joinMany(room: RoomSpec, arrivals: readonly Arrival[], report?: Report): Promise<readonly JoinOutcome[]> {
    if (arrivals.length === 0) return [];
    const now = this.#now?.() ?? Date.now();
    const keys = [...roomKeys(room.room), clientsKey(room.room, Math.floor(now / 60_000)), stampsKey(room.room)];
    const limit = String(room.newTicketsPerClientPerMinute ?? 0);
    const spent = arrivals.map((arrival) => (arrival.stamps ?? []).filter((stamp) => isSubject(stamp.id)));
    // ARGV[15..19] per arrival, repeated in arrival order (join.ts).
    const groups = arrivals.flatMap((arrival, i) => [
      arrival.visitorId,
      String(arrival.draw),
      limit,
      arrival.client ?? "",
      (spent[i] ?? []).map((stamp) => `${stamp.id}@${Math.floor(stamp.expiresAt + SPENT_STAMP_GRACE_MS)}`).join(","),
    ]);
    // ARGV[14]: the room's queueing method, then the arrivals (join.ts).
    const args = [...this.#args(room, report), room.queueing ?? "fifo", ...groups];
    const outcomes = await attempt("JOIN", async () => {
      const reply = await this.#join.exec(keys, args);
      const all = joinOutcomes(reply, arrivals.length, now, spent);
      // A failure of the mapping is the whole call's (attempt classifies the first one found).
      return all.find((outcome) => outcome.kind === "unavailable") ?? { kind: "batch" as const, all };
    });
    return outcomes.kind === "batch" ? outcomes.all : arrivals.map(() => outcomes);
  }

  claim(room: RoomSpec, event: number, visitorId: string, witness?: Witness): Promise<ClaimOutcome> {
    const args = [...this.#args(room, witness ? { witness } : undefined), String(event), visitorId];
    return attempt("CLAIM", async () => claimOutcome(await this.#claim.exec(roomKeys(room.room), args)));
  }

  events(room: RoomSpec): Promise<EventsOutcome> {
    return attempt("EVENTS_READ", async () => {
      const [version, list, ...counts] = await this.#eventsRead.exec(
        [eventsKey(room.room), prequeueKey(room.room), frozenKey(room.room)],
        [],
      );
      const decoded = decodeEvents(list);
      for (const problem of decoded.problems) this.#unreadable(`EVENTS_READ: ${problem}`);
      // The script counts per stored entry, in order, so the counts are matched before unreadable entries go.
      const records: EventRecord[] = decoded.entries.flatMap((event, i) =>
        event
          ? [{ ...event, prequeued: Number(counts[i * 3 + 1] ?? 0), placed: Number(counts[i * 3 + 2] ?? 0) === 1 }]
          : [],
      );
      return { kind: "events", events: records, version: String(version) };
    });
  }

  writeEvents(room: RoomSpec, version: string, next: readonly ScheduledEvent[]): Promise<WriteEventsOutcome> {
    const adding = next.some((e) => e.seq === 0);
    return attempt("EVENTS_WRITE", async () => {
      const [written, seq] = await this.#eventsWrite.exec(
        [eventsKey(room.room), eventSeqKey(room.room)],
        [version, encodeEvents(next), adding ? "1" : ""],
      );
      return Number(written) === 1 ? { kind: "written", seq: Number(seq) } : { kind: "conflict" };
    });
  }

  tick(room: RoomSpec, report?: Report): Promise<TickOutcome> {
    const args = [
      ...this.#args(room, report),
      String(report?.releasesSince ?? 0),
      String(Math.floor(report?.consumedSince ?? 0)),
    ];
    return attempt("TICK", async () => {
      const reply = await this.#tick.exec(roomKeys(room.room), args);
      const [rate, mode, session, max, version, ...rest] = reply.slice(STATE_FIELDS) as [
        ...SettingsTail,
        ...(string | number)[],
      ];
      const [on, minRate, maxRate, targetP95Ms, maxErrorRate, timeoutMs, ...feeds] = rest;
      const [cursor, consumedCursor, skipped, releasedCount, takenCount, ...entries] = feeds;
      const released = entries.slice(0, Number(releasedCount)).map(String);
      const taken = entries.slice(released.length, released.length + Number(takenCount));
      this.#reportSettings("TICK", session, max);
      return {
        kind: "state",
        state: stateOf(reply.slice(0, STATE_FIELDS) as StateTail),
        settings: settingsOf([
          rate,
          mode,
          session,
          max,
          version,
          ...([on, minRate, maxRate, targetP95Ms, maxErrorRate, timeoutMs] as AutopilotTail),
        ]),
        releases: { releases: released.map(releaseOf).filter((r) => r !== null), cursor: Number(cursor) },
        consumed: {
          places: entries.slice(released.length + taken.length).flatMap(consumedOf),
          cursor: Number(consumedCursor),
          skipped: Number(skipped),
        },
        taken: taken.map(Number).filter((position) => Number.isSafeInteger(position) && position >= 1),
      };
    });
  }

  updateSettings(room: RoomSpec, patch: SettingsPatch): Promise<SettingsOutcome> {
    const arg = (value: number | string | null | undefined) =>
      value === null ? "-" : value === undefined ? "" : String(value);
    const onOff = (value: boolean | null | undefined) =>
      value === null ? "-" : value === undefined ? "" : value ? "on" : "off";
    return attempt("SETTINGS", async () => {
      const [rate, mode, session, max, version, ap, apMin, apMax, apP95, apErr, apTimeout, autopilotRate] =
        await this.#settings.exec(
          [settingsKey(room.room), autopilotKey(room.room), autopilotLogKey(room.room)],
          [
            arg(patch.perMinute),
            arg(patch.mode),
            arg(patch.sessionMinutes),
            arg(patch.maxActive),
            String(room.stateTtlMs),
            onOff(patch.autopilot),
            arg(patch.autopilotMinRate),
            arg(patch.autopilotMaxRate),
            arg(patch.originTargetP95Ms),
            arg(patch.originMaxErrorRate),
            arg(patch.originTimeoutMs),
            this.#now ? String(this.#now()) : "",
            String(room.defaultPerMinute),
            room.autopilot?.on ? "on" : "off",
          ],
        );
      this.#reportSettings("SETTINGS", session, max);
      // As the scripts read it: a stored rate that is not a number is the default.
      const manualRate = rate === "" || !Number.isFinite(Number(rate)) ? room.defaultPerMinute : Number(rate);
      const autopilot = autopilotInForce(room.autopilot, { ap, apMin, apMax, apP95, apErr, apTimeout });
      const live: SettingsTail = [
        autopilot?.on ? autopilotRateInForce(autopilotRate, manualRate, autopilot) : manualRate,
        mode === "" ? room.defaultMode : mode,
        session,
        max,
        version,
        ...autopilotTail(autopilot),
      ];
      return { kind: "settings", settings: settingsOf(live) };
    });
  }

  history(room: RoomSpec, range?: MinuteRange): Promise<HistoryOutcome> {
    return attempt("HISTORY", async () => {
      const [now, frontier, lastTicket, ...flat] = await this.#history.exec(
        [historyKey(room.room), stateKey(room.room)],
        [this.#now ? String(this.#now()) : "", range ? String(range.from) : "", range ? String(range.to) : ""],
      );
      const minutes: MinuteSnapshot[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) minutes.push(snapshotOf(Number(flat[i]), String(flat[i + 1])));
      const f = Number(frontier);
      const t = Number(lastTicket);
      const current = frontier === "" ? null : { lastTicket: t, admitted: Math.min(Math.floor(f), t) };
      return { kind: "history", minutes: minutes.sort((a, b) => a.minute - b.minute), now: Number(now), current };
    });
  }

  autopilot(room: RoomSpec): Promise<AutopilotOutcome> {
    return attempt("AUTOPILOT_READ", async () => {
      const [now, ...rest] = await this.#autopilotRead.exec(
        [originKey(room.room), autopilotKey(room.room), autopilotLogKey(room.room)],
        [this.#now ? String(this.#now()) : ""],
      );
      const fields = rest.slice(0, AUTOPILOT_FIELDS).map(String);
      const count = Number(rest[AUTOPILOT_FIELDS] ?? 0);
      const first = AUTOPILOT_FIELDS + 1;
      const changes: RateChange[] = [];
      for (const entry of rest.slice(first, first + count).map(String)) {
        const change = rateChangeOf(entry);
        if (change) changes.push(change);
        else this.#unreadable(`AUTOPILOT_READ: change ${JSON.stringify(entry.slice(0, 80))} left out`);
      }
      return {
        kind: "autopilot",
        state: autopilotStateOf(fields),
        learned: storedNumber(fields[7] ?? "") ?? 0,
        hold: holdOf(fields[10] ?? ""),
        changes,
        ...lastMinuteOf(rest.slice(first + count), Number(now)),
      };
    });
  }

  /** Reports stored session minutes or cap that {@link settingsOf} reads as the default. */
  #reportSettings(script: string, session: string | number, max: string | number): void {
    for (const [name, value] of [
      ["session", session],
      ["max", max],
    ] as const) {
      if (storedNumber(value) === undefined) {
        this.#unreadable(
          `${script}: settings field ${name} ${JSON.stringify(String(value).slice(0, 40))} is not a number; the default applies`,
        );
      }
    }
  }

  /** ARGV 1-13 of every admission script, with the instance's report and witness (see advance.ts). */
  #args(room: RoomSpec, report?: Report): string[] {
    return [
      String(room.defaultPerMinute),
      room.defaultMode,
      this.#now ? String(this.#now()) : "",
      String(room.stateTtlMs),
      (report?.consumed ?? []).filter(isPlace).map(placeArg).join(","),
      (report?.seen ?? []).filter(isSubject).join(","),
      (report?.released ?? [])
        .filter((r) => isSubject(r.subject))
        .map((r) => `${r.subject}@${Math.floor(r.at)}`)
        .join(","),
      String(room.maxActive ?? 0),
      String(room.sessionMs ?? DEFAULT_SESSION_MS),
      report?.origin ? encodeSample(report.origin) : "",
      autopilotArg(room.autopilot),
      ...witnessArgs(report?.witness),
    ];
  }
}

/**
 * ARGV 12-13: the instance id (left out unless it is the short hex the
 * worker makes) and "epoch,frontier,last_ticket,base,floor" (numbers the
 * store can read; floor -1 = none; '' when nothing is known).
 */
function witnessArgs(witness: Witness | undefined): [string, string] {
  if (!witness) return ["", ""];
  const id = /^[0-9a-f]{1,16}$/.test(witness.instance) ? witness.instance : "";
  const count = (n: number | undefined) => (n !== undefined && Number.isFinite(n) && n > 0 ? n : 0);
  const known = [count(witness.epoch), count(witness.frontier), Math.floor(count(witness.lastTicket))];
  if (known.every((n) => n === 0)) return [id, ""];
  const floor =
    witness.floor !== undefined && Number.isFinite(witness.floor) && witness.floor >= 0 ? witness.floor : -1;
  return [id, [...known, count(witness.base), floor].map((n) => String(n)).join(",")];
}

/**
 * Runs one script call and the mapping of its reply; any failure becomes a
 * value the caller must handle, classified by failure.ts: an outage when the
 * call failed in transport, a script error when Redis says a script failed or
 * the mapping could not read the reply (it threw, or produced NaN).
 */
async function attempt<T>(script: string, operation: () => Promise<T>): Promise<T | StoreUnavailable> {
  try {
    return checkedOutcome(script, await operation());
  } catch (error) {
    return storeFailure(script, error);
  }
}

/**
 * Subjects and stamp ids travel in comma-separated script arguments: anything
 * but the ids the worker makes (UUIDs) is left out rather than allowed to
 * split a list.
 */
function isSubject(subject: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(subject);
}

/** A place as the scripts take it (ARGV[5]): positions the store handed out, devices the worker hashed. */
function isPlace(place: ConsumedPlace): boolean {
  return Number.isSafeInteger(place.position) && place.position >= 1 && place.position <= MAX_POSITION;
}

/** "<position>[.<device>]": a device hint that is not short hex is left out, never allowed to split the list. */
function placeArg({ position, device }: ConsumedPlace): string {
  return device !== null && /^[0-9a-f]{1,16}$/.test(device) ? `${position}.${device}` : String(position);
}

/** "<feed time>:<position>[.<device>],..." as TICK returns it. */
function consumedOf(entry: string | number): (ConsumedPlace & { at: number })[] {
  const text = String(entry);
  const colon = text.indexOf(":");
  const at = Number(text.slice(0, colon));
  if (colon <= 0 || !Number.isFinite(at)) return [];
  return text
    .slice(colon + 1)
    .split(",")
    .flatMap((item) => {
      const [digits = "", device] = item.split(".");
      const position = Number(digits);
      return Number.isSafeInteger(position) && position >= 1 ? [{ position, device: device ?? null, at }] : [];
    });
}

/** "<subject>@<ms>" as TICK returns it. */
function releaseOf(entry: string): Release | null {
  const at = String(entry).lastIndexOf("@");
  if (at <= 0) return null;
  const ms = Number(String(entry).slice(at + 1));
  return Number.isFinite(ms) ? { subject: String(entry).slice(0, at), at: ms } : null;
}

/**
 * How long the store keeps a spent stamp's id past the stamp's expiry: an
 * instance whose clock lags the store's by up to this much still finds it
 * spent while it would still accept the stamp.
 */
export const SPENT_STAMP_GRACE_MS = 60_000;

/**
 * The one mapping of JOIN's reply: `count` outcomes, in arrival order; `spent`
 * are the stamps sent for each, which outcome 6 names by rank.
 */
function joinOutcomes(
  reply: JoinReply,
  count: number,
  localNow: number,
  spent: readonly (readonly SpentStamp[])[],
): JoinOutcome[] {
  const state = stateOf(reply.slice(2, 2 + STATE_FIELDS) as StateTail);
  const tail = reply.slice(2 + STATE_FIELDS);
  const live = tail.slice(2, 2 + SETTINGS_FIELDS) as SettingsTail;
  const settings = settingsOf(live);
  const more = tail.slice(2 + SETTINGS_FIELDS);
  if (more.length !== (count - 1) * 4) {
    return [unreadableReply("JOIN", `${more.length / 4 + 1} outcomes for ${count} arrivals`)];
  }
  const rows: [unknown, unknown, unknown, unknown][] = [[reply[0], reply[1], tail[0], tail[1]]];
  for (let i = 0; i < more.length; i += 4) rows.push([more[i], more[i + 1], more[i + 2], more[i + 3]]);
  return rows.map(([outcome, position, eventSeq, eventStarts], i) => {
    switch (outcome) {
      case 0:
        return { kind: "queued", position: Number(position), state, settings };
      case 1:
        return { kind: "admitted", position: Number(position), state, settings };
      case 2:
        return { kind: "closed", state, settings };
      case 3:
        return { kind: "admitted", position: 0, state, settings };
      case 4:
        return { kind: "prequeued", event: Number(eventSeq), startsAt: Number(eventStarts), state, settings };
      case 5:
        return { kind: "limited", retryAfterSeconds: secondsToNextMinute(localNow) };
      case 6: {
        const stamp = spent[i]?.[Number(position) - 1];
        return stamp ? { kind: "stamp_used", id: stamp.id } : unreadableReply("JOIN", `no stamp ${position} was sent`);
      }
      case 7:
        return { kind: "rejected", state, settings };
      default:
        return unreadableReply("JOIN", `unknown outcome ${JSON.stringify(outcome)}`);
    }
  });
}

/** The one mapping of CLAIM's reply. */
function claimOutcome(reply: ClaimReply): ClaimOutcome {
  const [outcome, position, base] = reply;
  const state = stateOf(reply.slice(3, 3 + STATE_FIELDS) as StateTail);
  const live = reply.slice(3 + STATE_FIELDS) as SettingsTail;
  const settings = settingsOf(live);
  switch (outcome) {
    case 1:
      return { kind: "placed", position: Number(position), base: Number(base), state, settings };
    case 2:
      return { kind: "not_started", state, settings };
    case 3:
      return { kind: "unknown", state, settings };
    default:
      return unreadableReply("CLAIM", `unknown outcome ${JSON.stringify(outcome)}`);
  }
}

/**
 * Events as the scripts read them: JSON with null fields left out (Lua's
 * cjson turns null into a truthy value) and the number of an event being
 * added as a placeholder the write script fills in.
 */
function encodeEvents(events: readonly ScheduledEvent[]): string {
  return JSON.stringify(
    events.map((e) =>
      Object.fromEntries(
        Object.entries({
          ...scheduledEvent(e),
          seq: e.seq === 0 ? "__SEQ__" : e.seq,
        }).filter(([, v]) => v !== null),
      ),
    ),
  );
}

/**
 * The stored events list, read defensively: per stored entry, in order, the
 * event or null when the entry cannot be read (not an object; no id; a seq
 * that is not a whole number above 0; a time that is not a number within the
 * Date range; a rate or mode of the wrong kind), with what was wrong in
 * `problems`. So one bad entry (edited by hand, or stored before times were
 * bounded) never takes the admin API down, and the next change of the
 * schedule, which writes the events read, drops it. A list that is not JSON
 * reads as empty. The REST client may hand the JSON back already parsed
 * (automatic deserialization).
 */
function decodeEvents(json: unknown): { entries: (ScheduledEvent | null)[]; problems: string[] } {
  let parsed: unknown = json;
  if (typeof json === "string") {
    try {
      parsed = JSON.parse(json);
    } catch {
      return { entries: [], problems: ["the events list is not JSON; read as empty"] };
    }
  }
  if (!Array.isArray(parsed)) {
    return { entries: [], problems: parsed === null ? [] : ["the events list is not a JSON array; read as empty"] };
  }
  const problems: string[] = [];
  const entries = parsed.map((entry: unknown, i) => {
    const event = storedEvent(entry);
    if (typeof event === "string") problems.push(`event ${i + 1} of ${parsed.length} left out: ${event}`);
    return typeof event === "string" ? null : event;
  });
  return { entries, problems };
}

/** One stored event, or what is wrong with it. */
function storedEvent(entry: unknown): ScheduledEvent | string {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return "not an object";
  const e = entry as Record<string, unknown>;
  const optional = (value: unknown, valid: (v: unknown) => boolean) =>
    value === undefined || value === null || valid(value);
  if (typeof e.id !== "string" || e.id === "") return "no id";
  const which = `${JSON.stringify(e.id.slice(0, 40))}: `;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return `${which}seq is not a whole number above 0`;
  for (const field of ["startsAt", "endsAt", "prequeueFrom"] as const) {
    if (field === "startsAt" ? !isEventTime(e[field]) : !optional(e[field], isEventTime)) {
      return `${which}${field} is not a time within the Date range`;
    }
  }
  if (!optional(e.perMinute, (v) => typeof v === "number" && Number.isFinite(v) && v > 0)) {
    return `${which}perMinute is not a rate`;
  }
  if (!optional(e.mode, (v) => (MODES as readonly unknown[]).includes(v))) return `${which}mode is not a mode`;
  if (!optional(e.autopilot, (v) => typeof v === "boolean")) return `${which}autopilot is not true or false`;
  const autopilot = typeof e.autopilot === "boolean" ? { autopilot: e.autopilot } : {};
  return {
    ...autopilot,
    id: e.id,
    seq: e.seq as number,
    startsAt: e.startsAt as number,
    endsAt: (e.endsAt as number | undefined) ?? null,
    prequeueFrom: (e.prequeueFrom as number | undefined) ?? null,
    perMinute: (e.perMinute as number | undefined) ?? null,
    mode: (e.mode as Mode | undefined) ?? null,
    shuffleAtStart: e.shuffleAtStart === true,
  };
}

/** Entries of the state part of a reply (`state_reply` in advance.ts). */
const STATE_FIELDS = 12;
/** Length of {@link SettingsTail}. */
const SETTINGS_FIELDS = 11;

/** The one mapping of a reply's state part. */
function stateOf([
  frontier,
  lastTicket,
  now,
  show,
  active,
  ceiling,
  epoch,
  base,
  restoredAt,
  instances,
  previousEpoch,
  floor,
]: StateTail): FrontierState {
  const cap = Number(ceiling);
  return {
    frontier: Number(frontier),
    lastTicket: Number(lastTicket),
    updatedAt: Number(now),
    showRatio: Number(show),
    active: Number(active),
    ceiling: cap < 0 ? Number.POSITIVE_INFINITY : cap,
    epoch: Number(epoch),
    base: Number(base),
    restoredAt: Number(restoredAt),
    instances: Number(instances),
    previousEpoch: Number(previousEpoch),
    floor: Number(floor),
  };
}

/**
 * The settings in a reply. A stored session length or cap that is not a
 * finite number reads as unset (the default), as the scripts read it
 * (`tonumber(...) or default`), rather than failing every call of the room.
 */
function settingsOf([rate, mode, session, max, version, ...autopilot]: SettingsTail): Settings {
  const [on, minRate, maxRate, targetP95Ms, maxErrorRate, timeoutMs] = autopilot;
  const settings: Settings = {
    perMinute: Number(rate),
    mode: (MODES as readonly string[]).includes(mode) ? (mode as Mode) : "auto",
    sessionMinutes: storedNumber(session) ?? null,
    maxActive: storedNumber(max) ?? null,
    version: Number(version),
  };
  // '' (the room has no autopilot): left out, which reads as off.
  if (minRate === "" || minRate === undefined) return settings;
  return {
    ...settings,
    autopilot: {
      on: Number(on) === 1,
      minRate: Number(minRate),
      maxRate: Number(maxRate),
      targetP95Ms: Number(targetP95Ms),
      maxErrorRate: Number(maxErrorRate),
      timeoutMs: Number(timeoutMs),
    },
  };
}

/** The autopilot's part of a settings reply (see `settings_reply` in advance.ts). */
type AutopilotTail = [
  on: number,
  minRate: string | number,
  maxRate: string | number,
  targetP95Ms: string | number,
  maxErrorRate: string | number,
  timeoutMs: string | number,
];

/** The autopilot's settings as a reply carries them: '' everywhere when the room has none. */
function autopilotTail(autopilot: AutopilotSettings | undefined): AutopilotTail {
  if (!autopilot) return [0, "", "", "", "", ""];
  const { on, minRate, maxRate, targetP95Ms, maxErrorRate, timeoutMs } = autopilot;
  return [on ? 1 : 0, minRate, maxRate, targetP95Ms, maxErrorRate, timeoutMs];
}

/** The deployed autopilot settings as the admission scripts take them (ARGV[11]); '' = none. */
function autopilotArg(autopilot: AutopilotSettings | undefined): string {
  if (!autopilot) return "";
  const { on, minRate, maxRate, targetP95Ms, maxErrorRate, timeoutMs } = autopilot;
  return [on ? "on" : "off", minRate, maxRate, targetP95Ms, maxErrorRate, timeoutMs].join(",");
}

/** An operator's stored autopilot overrides, as the settings hash holds them ('' = none). */
export interface StoredAutopilot {
  readonly ap: string | number;
  readonly apMin: string | number;
  readonly apMax: string | number;
  readonly apP95: string | number;
  readonly apErr: string | number;
  readonly apTimeout: string | number;
}

/**
 * The autopilot's settings in force from the deployed ones and an operator's
 * overrides, resolved as `load_settings` in `lua/advance.ts` resolves them
 * (the Lua does the same: a stored value that is not a finite number reads
 * as the deployed one; ap 'on' / 'off' wins over the deployed on/off).
 * Undefined when the room has no deployed autopilot settings: it stays off.
 * Events are not considered here (the scripts' replies are: an event may
 * turn it on or off while in force).
 */
export function autopilotInForce(
  deployed: AutopilotSettings | undefined,
  stored: StoredAutopilot,
): AutopilotSettings | undefined {
  if (!deployed) return undefined;
  const number = (value: string | number, fallback: number) => storedNumber(value) ?? fallback;
  const ap = String(stored.ap);
  const maxRate = number(stored.apMax, deployed.maxRate);
  return {
    on: ap === "on" ? true : ap === "off" ? false : deployed.on,
    // Bounds crossed (a redeploy raised the minimum past an operator's maximum): the maximum wins, as in load_settings.
    minRate: Math.min(number(stored.apMin, deployed.minRate), maxRate),
    maxRate,
    targetP95Ms: number(stored.apP95, deployed.targetP95Ms),
    maxErrorRate: number(stored.apErr, deployed.maxErrorRate),
    timeoutMs: number(stored.apTimeout, deployed.timeoutMs),
  };
}

/**
 * The rate in force while the autopilot is on, as `settings_at` reads it: its
 * own rate within the bounds, or before it started, the manual rate as it
 * will start from it.
 */
function autopilotRateInForce(stored: string | number, manual: number, limits: AutopilotSettings): number {
  const rate = storedNumber(stored);
  return typeof rate === "number" ? clampRate(rate, limits) : roundRate(clampRate(manual, limits));
}

/** "last_ticket:admitted[:rate:requests:errors:p95[:p50[:epoch:base]]]" as the admission scripts write it. */
function snapshotOf(minute: number, row: string): MinuteSnapshot {
  // "<opening>|peak_queue:peak_active:used": the part after '|' is absent in rows written before it was kept.
  const [text = "", running] = row.split("|", 2);
  const [lastTicket = 0, admitted = 0] = text.split(":", 2).map(Number);
  const parts = text.split(":");
  const [peakQueue = 0, peakActive = 0, used = 0] = running === undefined ? [] : running.split(":").map(Number);
  const snapshot: MinuteSnapshot =
    running === undefined
      ? { minute, lastTicket, admitted }
      : { minute, lastTicket, admitted, peakQueue, peakActive, used };
  if (parts.length < 6) return snapshot;
  const [, , rate, requests, errors, p95, p50, epoch, base] = parts;
  const count = Number(requests);
  const failed = Number(errors);
  const origin: OriginFigures = {
    requests: count,
    errors: failed,
    errorRate: count > 0 ? failed / count : 0,
    p50Ms: p50 === undefined || p50 === "" ? null : Number(p50),
    p95Ms: p95 === "" ? null : Number(p95),
  };
  const withOrigin = { ...snapshot, ratePerMinute: Number(rate), origin };
  return epoch === undefined || base === undefined
    ? withOrigin
    : { ...withOrigin, epoch: Number(epoch), base: Number(base) };
}

/** The reason codes of the autopilot's log, and the figures each carries. */
function reasonOf(code: string, x: number, y: number): ChangeReason | null {
  const both = Number.isFinite(x) && Number.isFinite(y);
  switch (code) {
    case "p95_high":
      return both ? { code, p95Ms: x, targetMs: y } : null;
    case "healthy":
      return both ? { code, p95Ms: x, targetMs: y } : null;
    case "errors_high":
      return both ? { code, errorRate: x, maxErrorRate: y } : null;
    case "bounds":
      return both ? { code, minRate: x, maxRate: y } : null;
    case "operator":
    case "started":
    case "event":
      return { code };
    default:
      return null;
  }
}

/** "<at>:<from>:<to>:<code>:<x>:<y>" from the autopilot's log, or null when it cannot be read. */
function rateChangeOf(entry: string): RateChange | null {
  const parts = entry.split(":");
  if (parts.length !== 6) return null;
  const [at, from, to, code = "", x = "", y = ""] = parts;
  const numbers = [Number(at), Number(from), Number(to)];
  if (numbers.some((n) => !Number.isFinite(n)) || from === "" || to === "") return null;
  const reason = reasonOf(code, x === "" ? Number.NaN : Number(x), y === "" ? Number.NaN : Number(y));
  return reason ? { at: numbers[0] as number, from: numbers[1] as number, to: numbers[2] as number, reason } : null;
}

/** How many of the autopilot hash's fields AUTOPILOT_READ returns. */
const AUTOPILOT_FIELDS = 13;

/** The autopilot hash's fields r d o c k b g l q e h a n (as AUTOPILOT_READ returns them): null when not started. */
function autopilotStateOf([r = "", d, o, c, k, b, g, l, q, e, , a, cutRequests]: string[]): AutopilotState | null {
  const rate = storedNumber(r);
  if (typeof rate !== "number") return null;
  const n = (value: string | undefined) => storedNumber(value ?? "") ?? 0;
  return {
    rate,
    decidedAt: n(d),
    offered: n(o),
    offeredAt: n(a),
    changedAt: n(c),
    lastKind: k === "up" || k === "down" ? k : "set",
    breachRate: n(b),
    healthyRate: n(g),
    learned: n(l),
    cutP95Ms: n(q),
    cutErrorRate: n(e),
    cutRequests: n(cutRequests),
  };
}

/** Every hold reason (a Record, so a reason added to the model must be added here). */
const HOLD_REASONS: Readonly<Record<HoldReason, true>> = {
  capped: true,
  not_admitting: true,
  too_few_requests: true,
  recovering: true,
  cut_gap: true,
  at_min: true,
  settling: true,
  no_queue: true,
  in_band: true,
  at_max: true,
};

function holdOf(value: string): HoldReason | null {
  return Object.hasOwn(HOLD_REASONS, value) ? (value as HoldReason) : null;
}

/** The origin over the last minute (the slots of the last WINDOW_SLOTS seconds up to `now`): merged bins and figures. */
function lastMinuteOf(
  flat: readonly (string | number)[],
  now: number,
): { origin: OriginFigures; originSample: OriginSample } {
  const second = Math.floor(now / SLOT_MS);
  let total: OriginSample = emptySample();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const text = String(flat[i + 1]);
    const comma = text.indexOf(",");
    const at = Number(text.slice(0, comma));
    if (comma <= 0 || !(at > second - WINDOW_SLOTS && at <= second)) continue;
    const sample = parseSample(text.slice(comma + 1));
    if (sample) total = mergeSamples(total, sample);
  }
  return { origin: figuresOf(total), originSample: total };
}

/** A stored optional number: null when unset (""), undefined when it cannot be read. */
function storedNumber(value: string | number | null): number | null | undefined {
  if (value === "" || value === null) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** Connection settings of {@link connectRedis}. */
export interface RedisConnection {
  readonly url: string;
  readonly token: string;
  /** Whole-call budget; past it the call fails and the caller falls back. */
  readonly timeoutMs: number;
}

/**
 * An Upstash REST client tuned for the request path: one quick retry for a
 * dropped connection and a hard timeout, so a dead store is noticed within
 * about `timeoutMs` instead of the client's default seconds of backoff.
 */
export function connectRedis({ url, token, timeoutMs }: RedisConnection): Redis {
  return new Redis({
    url,
    token,
    retry: { retries: 1, backoff: () => 20 },
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
  });
}
