import { log } from "../log.ts";
import { activeCap, activeSince, reportEveryMs, sessionLengthMs } from "../model/active.ts";
import type { FrontierState, Settings } from "../model/admission.ts";
import { type EpochView, placeInLine } from "../model/epoch.ts";
import type { AdmissionStore, Arrival, ClaimOutcome, JoinOutcome, Report, RoomSpec, Witness } from "../store/store.ts";
import { capPace, PaceTrail } from "./cap-pace.ts";
import { ConsumedPlaces, deviceOf, type PlaceUse } from "./consumed.ts";
import { Denylist } from "./denylist.ts";
import { JoinBatcher } from "./join-batcher.ts";
import { Outbox, type Parcel } from "./outbox.ts";
import { type FrontierReading, RoomView } from "./room-view.ts";

/** How long after a restore an instance that hears of it logs it (a later one finds it in the stats). */
const RESTORE_NEWS_MS = 600_000;

/**
 * A random id for this worker instance: 12 hex characters (48 bits), as the store's fleet count
 * takes them. The runtime makes one per isolate and gives it to every room's link, and the metrics
 * label the isolate's counters with it.
 */
export function instanceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * One worker instance's link to its room: the only thing in the gate that
 * calls the store's admission scripts (TICK, JOIN, CLAIM). Every call carries
 * what the instance has to report (the {@link Outbox}: claims, visits,
 * releases and the origin's answers (ticks only); given back if the call
 * fails) where the script takes it (JOIN and TICK), and every state a call returns refreshes
 * the {@link RoomView}, feeds the cap's pace and, for a tick, the
 * {@link Denylist} and the {@link ConsumedPlaces}.
 *
 * When it talks to Redis (besides a newcomer's JOIN and a pre-queued
 * visitor's CLAIM, one each):
 * - a poll near the frontier, or an admission by ticket, ticks when the
 *   view is `maxAgeMs` old (about once a second while such polls come);
 * - a poll far from the frontier is answered from a view up to `idleMs` old
 *   (see {@link RoomView.answersFar});
 * - what the outbox holds goes in the background soon after the response
 *   that produced it ({@link flushSoon}): places used and releases (and the
 *   origin's answers while the autopilot is on) within `maxAgeMs` of the
 *   last tick, passes in use and the rest within `idleMs`; an instance that
 *   serves admitted visitors ticks at least every `idleMs`, which bounds how
 *   late it hears of other instances' releases.
 *
 * So an instance serving admitted visitors only, or waiting visitors far
 * from the frontier only, costs one call per `idleMs` rather than one a
 * second, and an idle one none. Concurrent ticks share one store call.
 *
 * @example
 * ```ts
 * const link = new RoomLink(store, room, Date.now);
 * const reading = await link.read(ticket.position);
 * c.executionCtx.waitUntil(link.flushSoon(true) ?? Promise.resolve());
 * ```
 */
export class RoomLink {
  readonly #store: AdmissionStore;
  readonly #room: RoomSpec;
  readonly #now: () => number;
  readonly #maxAgeMs: number;
  readonly #view: RoomView;
  readonly #outbox = new Outbox();
  readonly #denylist = new Denylist();
  readonly #places = new ConsumedPlaces();
  readonly #trail = new PaceTrail();
  readonly #idleMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  #refreshing: Promise<void> | null = null;
  /** When this instance last sent a tick (local clock), whatever joins observed since. */
  #tickedAt = Number.NEGATIVE_INFINITY;
  /** Ticks sent so far: a scheduled flush that finds a tick went since knows its parcel went with it. */
  #ticks = 0;
  /** An operator changed the settings here since the last reading (see {@link settingsChanged}). */
  #settingsChanged = false;
  /** The background flush scheduled and not yet begun (see {@link flushSoon}). */
  #flush: ScheduledFlush | null = null;
  /**
   * What this instance tells every script call: a random id (the store counts the live instances)
   * and the furthest state it has seen in the newest epoch, from which a store that lost the room's
   * state restores it (see `model/epoch.ts`).
   */
  #witness: Witness;
  /** The newest epoch seen and its base; null before the first reply. */
  #epoch: EpochView | null = null;
  /** Live instances, as the store last counted them; 1 before it has (this instance alone: today's share). */
  #instances = 1;
  /** The newest restore this instance has logged (store ms). */
  #restoreLogged = 0;
  /** Newcomers who arrive while a JOIN is in flight go together in the next one (see {@link JoinBatcher}). */
  readonly #joins = new JoinBatcher((arrivals) => this.#joinMany(arrivals));
  /** Newcomers this instance saw turned away by QUEUEING=reject, since it started (the metrics). */
  #rejected = 0;

  constructor(store: AdmissionStore, room: RoomSpec, now: () => number, maxAgeMs = 1000, timing: LinkTiming = {}) {
    this.#store = store;
    this.#room = room;
    this.#now = now;
    this.#maxAgeMs = maxAgeMs;
    this.#idleMs = Math.max(maxAgeMs, timing.idleMs ?? IDLE_TICK_MS);
    this.#sleep = timing.sleep ?? sleep;
    this.#view = new RoomView(maxAgeMs);
    this.#witness = { instance: timing.instance ?? instanceId(), epoch: 0, frontier: 0, lastTicket: 0 };
  }

  /**
   * The frontier now; asks the store only when the view is older than
   * `maxAgeMs`, unless the holder of `position` is out of the frontier's reach
   * and the view younger than `idleMs` (see {@link RoomView.answersFar}).
   */
  async read(position?: number): Promise<FrontierReading> {
    const now = this.#now();
    const far = position !== undefined && !this.#settingsChanged && this.#view.answersFar(position, now, this.#idleMs);
    if (this.#view.isStale(now) && !far) await this.#refresh();
    const view = this.#view.current;
    const pace = capPace(
      this.#trail.samples,
      view,
      activeCap(view?.settings.maxActive, this.#room.maxActive),
      this.#sessionMs(),
    );
    return this.#view.reading(this.#now(), pace);
  }

  /** Whether a queue may exist, from what this instance last saw, without touching the store (see {@link RoomView.mayBeBusy}). */
  mayBeBusy(): boolean {
    return this.#view.mayBeBusy();
  }

  /** Whether this instance's last reading showed visitors waiting (see {@link RoomView.sawQueue}). */
  sawQueue(): boolean {
    return this.#view.sawQueue();
  }

  /** The settings this instance last saw, without touching the store (null before the first reading). */
  lastSettings(): Settings | null {
    return this.#view.settings;
  }

  /**
   * An operator changed the settings through this instance: until its next
   * reading, no poll is answered from the view as far from the frontier (a
   * higher rate may have brought it near). Other instances hear of the
   * change with their next tick: within `maxAgeMs` where visitors near the
   * frontier poll, `idleMs` where only far ones do.
   */
  settingsChanged(): void {
    this.#settingsChanged = true;
  }

  /** Records a state the store just returned to someone else's call (the admin stats' tick). */
  observe(state: FrontierState, settings: Settings): void {
    const now = this.#now();
    this.#settingsChanged = false;
    const epochChanged = this.#learnState(state);
    // A store that lost its state hands positions past its base out again: what was used before says nothing of them.
    if (epochChanged || state.lastTicket < this.#places.highest) this.#places.reset();
    this.#view.observe(state, settings, now);
    this.#trail.record(now, state.frontier);
  }

  /**
   * A newcomer's script call: their own, or shared with the newcomers who
   * arrived here while the previous JOIN was in flight (see
   * {@link JoinBatcher}); it carries the report too, since joins keep the
   * view fresh and ticks rare during a surge.
   */
  join(arrival: Arrival): Promise<JoinOutcome> {
    return this.#joins.join(arrival);
  }

  async #joinMany(arrivals: readonly Arrival[]): Promise<readonly JoinOutcome[]> {
    // The origin's answers wait for the next tick (see Outbox.take): a surge's JOINs stay cheap.
    const parcel = this.#outbox.take(false);
    const outcomes = await this.#store.joinMany(this.#room, arrivals, this.#report(parcel));
    if (outcomes.some((outcome) => outcome.kind === "unavailable")) {
      this.#outbox.giveBack(parcel);
      this.#view.failed(this.#now());
    } else {
      // Every outcome of one call carries the state after the whole batch: observed once.
      const answered = outcomes.find((outcome) => "state" in outcome);
      if (answered && "state" in answered) this.observe(answered.state, answered.settings);
      else this.#view.answered();
    }
    this.#rejected += outcomes.filter((outcome) => outcome.kind === "rejected").length;
    return outcomes;
  }

  /** How long the store has been failing this instance's calls, in ms (0 while it answers; see {@link RoomView.failingFor}). */
  failingFor(): number {
    return this.#view.failingFor(this.#now());
  }

  /** Newcomers this instance's joins saw rejected (QUEUEING=reject) since it started. */
  rejectedCount(): number {
    return this.#rejected;
  }

  /** A pre-queued visitor's place after the event's start (the script takes no report). */
  async claim(event: number, visitorId: string): Promise<ClaimOutcome> {
    const outcome = await this.#store.claim(this.#room, event, visitorId, this.#witness);
    if (outcome.kind !== "unavailable") this.observe(outcome.state, outcome.settings);
    else this.#view.failed(this.#now());
    return outcome;
  }

  /**
   * A ticket for `position` (of `subject`, issued at `issuedAtSeconds`) is
   * about to admit the client with hint `device` (see `consumed.ts`). The
   * first use of a place is remembered here at once and reported with this
   * instance's next store call, as a claim the store counts once: no store
   * call of its own, so admitted visitors stay cheap; the visitor is active
   * from now. A place used before is `spent` (its ticket was copied), unless
   * the same device comes back within the grace (`again`); a ticket whose
   * subject's session the origin ended is spent too.
   */
  consumePlace(position: number, subject: string, issuedAtSeconds: number, device: string | null): PlaceUse {
    if (this.#denylist.isReleased(subject, issuedAtSeconds)) return "spent";
    const now = this.#now();
    const use = this.#places.consume(position, device, now);
    if (use === "first") this.#outbox.claim(position, subject, now, deviceOf(device));
    return use;
  }

  /**
   * After a place's first use here, before its admission is answered: a tick
   * when this instance has not ticked for `maxAgeMs`. It reports the place
   * at once and brings what other instances used, so the instance decides
   * with what the fleet knew a second ago at most, and the store settles
   * which client used the place first (see {@link placeStillHeld}). It is the
   * background tick the admission would cause anyway (see {@link tickIfDue}),
   * made first. The caller skips it while the store is failing.
   *
   * While this instance may not know every place used (its feed skipped
   * entries: it is new, or fell behind a surge; see `ConsumedPlaces.mayMiss`),
   * it ticks for every first use, after any tick already under way (which
   * may not carry this place): the tick's `taken` says at once whether the
   * store had heard of the place. First uses are bounded by the rate, so
   * this costs the fleet at most one call per place admitted.
   */
  async catchUp(): Promise<void> {
    if (this.#places.mayMiss(this.#now())) {
      if (this.#refreshing) await this.#refreshing;
      await this.#refresh();
      return;
    }
    if (this.#now() - this.#tickedAt < this.#maxAgeMs) return;
    await this.#refresh();
  }

  /**
   * Whether a place used here is still this client's after what the store
   * said since: its subject not released, and the place not used first by
   * another client, as the feed showed or as the tick that reported the place
   * said (see `ConsumedPlaces.heldBy`).
   */
  placeStillHeld(position: number, subject: string, issuedAtSeconds: number, device: string | null): boolean {
    return !this.#denylist.isReleased(subject, issuedAtSeconds) && this.#places.heldBy(position, device);
  }

  /**
   * A pass in use (the active-users count), reported with the next store
   * call; a subject already reported is reported again only after
   * {@link reportEveryMs}, unless `force`.
   */
  recordVisit(subject: string, force = false): void {
    this.#outbox.visit(subject, this.#now(), reportEveryMs(this.#sessionMs()), force);
  }

  /**
   * The origin answered an admitted visitor's request after `latencyMs` (time
   * to the response headers), failed (5xx, 429, unreachable, or no answer
   * within the timeout) or not: the autopilot's signal, reported with the next
   * JOIN or TICK this instance makes anyway (no store call of its own), given
   * back if that call fails.
   */
  originAnswered(latencyMs: number, error: boolean): void {
    this.#outbox.originAnswered(latencyMs, error);
  }

  /** The origin ended this subject's session: its passes stop admitting here at once, elsewhere after the next ticks. */
  recordRelease(subject: string): void {
    const at = this.#now();
    this.#denylist.deny(subject, at);
    this.#outbox.release(subject, at);
  }

  /** Whether the origin ended this pass's session (released at or after it was issued). */
  isReleased(subject: string, issuedAtSeconds: number): boolean {
    return this.#denylist.isReleased(subject, issuedAtSeconds);
  }

  /**
   * A tick now when this instance has not ticked for `maxAgeMs` (null when
   * none is due): how a caller that needs the feeds a second fresh at most
   * gets them (tests, tools). The worker itself uses {@link flushSoon}.
   */
  tickIfDue(): Promise<void> | null {
    if (this.#now() - this.#tickedAt < this.#maxAgeMs) return null;
    return this.#refresh();
  }

  /**
   * The background tick that sends what the outbox holds, scheduled (or
   * joined) after a response, for the platform to wait for (`waitUntil`), so
   * an instance evicted after its last response has still sent it. Due
   * `maxAgeMs` after the last tick for places used and releases (and the
   * origin's answers while the autopilot is on), `idleMs` after it for the
   * rest; when `watching` (the response relied on the denylist: an admitted
   * visitor), `idleMs` after it even with nothing to send, so the instance
   * hears of other instances' releases. A flush already scheduled takes what
   * comes before it begins, and is brought forward when something more
   * urgent comes: at most one tick per `maxAgeMs` however busy the instance,
   * none when it has nothing to send. Null when nothing is due.
   *
   * A flush whose call fails gives the parcel back (see {@link Outbox.giveBack})
   * and does not try again by itself: the next response schedules the next.
   */
  flushSoon(watching = false): Promise<void> | null {
    const at = this.#flushDue(watching);
    const scheduled = this.#flush;
    if (at === null) return scheduled?.done ?? null;
    if (scheduled !== null && scheduled.at <= at) {
      scheduled.watching ||= watching;
      return scheduled.done;
    }
    // None yet, or one due later: this one takes its place (the later one finds itself replaced and ends).
    const entry: ScheduledFlush = {
      at,
      watching: watching || scheduled?.watching === true,
      ticks: this.#ticks,
      done: null,
    };
    this.#flush = entry;
    entry.done = this.#flushAt(entry);
    return entry.done;
  }

  /**
   * What {@link flushSoon} would send, sent now if it is due now (null
   * otherwise): for a caller that cannot keep the instance alive after the
   * response (no execution context: `app.request` in tests), where a flush
   * scheduled for later would run unwatched.
   */
  flushIfDue(watching = false): Promise<void> | null {
    const at = this.#flushDue(watching);
    return at !== null && at <= this.#now() ? this.#refresh() : null;
  }

  /** When the outbox should next reach the store, by what it holds (null: never, it holds nothing and nobody watches). */
  #flushDue(watching: boolean): number | null {
    const outbox = this.#outbox;
    if (outbox.urgent || (outbox.originPending > 0 && this.#autopilotOn())) return this.#tickedAt + this.#maxAgeMs;
    if (watching || !outbox.empty) return this.#tickedAt + this.#idleMs;
    return null;
  }

  async #flushAt(entry: ScheduledFlush): Promise<void> {
    await this.#sleep(Math.max(0, entry.at - this.#now()));
    if (this.#flush !== entry) return; // replaced by one due sooner, which takes everything
    this.#flush = null;
    if (this.#refreshing) await this.#refreshing;
    if (this.#ticks !== entry.ticks) {
      // A tick went since (a poll near the frontier, a catch-up) and took what was waiting then; what
      // came after waits its own turn after that tick.
      await this.flushSoon();
      return;
    }
    if (entry.watching || !this.#outbox.empty) await this.#refresh();
  }

  /** Whether the autopilot steers the rate, as last seen (else as deployed): then its signal goes every second. */
  #autopilotOn(): boolean {
    return this.#view.settings?.autopilot?.on ?? this.#room.autopilot?.on ?? false;
  }

  #sessionMs(): number {
    return sessionLengthMs(this.#view.settings?.sessionMinutes, this.#room.sessionMs);
  }

  #report(parcel: Parcel): Report {
    return {
      ...parcel,
      releasesSince: this.#denylist.cursor,
      consumedSince: this.#places.cursor,
      witness: this.#witness,
    };
  }

  /**
   * Live instances of the room as the store last counted them (distinct ids within the last
   * minute), at least 1; 1 before any count is heard. The outage fallback divides its share by it.
   */
  fleetSize(): number {
    return this.#instances;
  }

  /**
   * What this instance tells a script call it makes outside the link (the admin API's ticks): its
   * id and the furthest state it has seen, so that no call on a store that lost the room's state
   * restores it from less than this instance knows.
   */
  witness(): Witness {
    return this.#witness;
  }

  /**
   * A verified ticket: the line went at least to its `position` in its `epoch`, with the frontier
   * at least at `joinedFrontier`. Learnt before the instance's next store call, so an instance that
   * never heard the store (new, or evicted and back) learns how far the line went from the visitors
   * polling it, and a store that lost the room's state is restored at least that far.
   */
  learnTicket(position: number, epoch: number, joinedFrontier: number): void {
    const known = this.#witness;
    // Before any reply, a ticket's epoch is the newest this instance knows of.
    if (this.#epoch === null && epoch > known.epoch) {
      this.#witness = { ...known, epoch, frontier: joinedFrontier, lastTicket: position };
    } else if (epoch === known.epoch && (position > known.lastTicket || joinedFrontier > known.frontier)) {
      this.#witness = {
        ...known,
        frontier: Math.max(known.frontier, joinedFrontier),
        lastTicket: Math.max(known.lastTicket, position),
      };
    }
  }

  /** Where a ticket for `position`, issued in `epoch`, stands in the line now (`placeInLine`, model/epoch.ts). */
  placeOf(position: number, epoch: number): number {
    return placeInLine(position, epoch, this.#epoch);
  }

  /** Takes in a reply's state: the fleet's size, the epoch, the furthest state seen; true when the epoch changed. */
  #learnState(state: FrontierState): boolean {
    if (state.instances !== undefined && state.instances >= 1) this.#instances = state.instances;
    const epoch = state.epoch ?? 0;
    const known = this.#witness;
    const changed = this.#epoch !== null && epoch !== this.#epoch.epoch;
    // An older epoch's reply (one overtaken in flight) teaches nothing.
    if (this.#epoch !== null && epoch < this.#epoch.epoch) return false;
    const base = state.base ?? 0;
    const floor = state.floor ?? -1;
    this.#epoch = { epoch, base, previous: state.previousEpoch ?? 0, floor };
    this.#witness =
      epoch === known.epoch
        ? {
            ...known,
            frontier: Math.max(known.frontier, state.frontier),
            lastTicket: Math.max(known.lastTicket, state.lastTicket),
            base,
            floor,
          }
        : { ...known, epoch, frontier: state.frontier, lastTicket: state.lastTicket, base, floor };
    const restoredAt = state.restoredAt ?? 0;
    if (restoredAt > this.#restoreLogged) {
      // Once per restore per instance, while it is news: the operator learns the store lost the room's state.
      if (state.updatedAt - restoredAt < RESTORE_NEWS_MS)
        log({
          event: "state_restored",
          room: this.#room.room,
          frontier: state.frontier,
          lastTicket: state.lastTicket,
          epoch,
          restoredAt: new Date(restoredAt).toISOString(),
          from: `last ticket ${state.base ?? 0}; operator settings and events may need re-applying (README, "When Redis loses its data")`,
        });
      this.#restoreLogged = restoredAt;
    }
    return changed;
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      this.#tickedAt = this.#now();
      this.#ticks += 1;
      const parcel = this.#outbox.take();
      const outcome = await this.#store.tick(this.#room, this.#report(parcel));
      if (outcome.kind === "state") {
        this.observe(outcome.state, outcome.settings);
        this.#denylist.learn(outcome.releases);
        // The store's clock (the scripts' time) against this instance's: a clock 30 s off must not make
        // this instance's own use of a place look 30 s apart from the feed's record of it.
        const now = this.#now();
        this.#places.learn(outcome.consumed, now, now - outcome.state.updatedAt);
        // After the feed: a place this report found used is a copy's unless the feed showed its own client.
        this.#places.learnTaken(outcome.taken, this.#now());
        // A pass lives at most a session past its last renewal, so older releases and reports can go.
        const horizon = activeSince(this.#now(), this.#sessionMs());
        this.#denylist.forget(horizon);
        this.#outbox.forget(horizon);
      } else {
        this.#view.fail(outcome.reason, this.#now());
        this.#outbox.giveBack(parcel);
      }
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }
}

/**
 * How often at most an instance with nothing urgent to say ticks: one that
 * serves admitted visitors only (it reports passes in use, and hears of other
 * instances' releases this late at most), or waiting visitors far from the
 * frontier only (their figures come from a view this old at most). Five
 * times fewer calls than a tick a second. What it costs: passes in use reach
 * the active count up to 5 s late (a visitor already counts up to a quarter
 * session past its last view); a released pass replayed at another instance gets in there
 * for up to about 6 s instead of 2 (never at the instance that released it,
 * and its ticket never: an admission by ticket ticks first); a visitor far
 * back sees a change of settings up to 5 s late.
 */
export const IDLE_TICK_MS = 5_000;

/** How a {@link RoomLink} paces its ticks, for tests: `idleMs` (default {@link IDLE_TICK_MS}), and how it waits. */
export interface LinkTiming {
  readonly idleMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** This instance's id (instanceId); absent: the link makes its own. */
  readonly instance?: string;
}

/** A background flush: due at `at` (local clock), scheduled after `ticks` ticks; `done` when it has run. */
interface ScheduledFlush {
  readonly at: number;
  watching: boolean;
  readonly ticks: number;
  done: Promise<void> | null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
