import { activeCap, activeSince, isReleased, reportEveryMs, sessionLengthMs } from "../model/active.ts";
import { type FrontierState, type FrontierView, frontierAt, type Settings } from "../model/admission.ts";
import { bucketOf } from "../model/compensation.ts";
import type { AdmissionStore, Release, ReleaseFeed, Report, RoomSpec } from "../store/store.ts";

/** The frontier and live settings as a worker instance knows them, or unknown because the store is down. */
export type FrontierReading =
  | {
      readonly kind: "known";
      readonly frontier: number;
      readonly settings: Settings;
      /** Share of offered places whose holders come in (no-show compensation): the line moves 1/showRatio faster. */
      readonly showRatio: number;
      /** Someone holds a place the frontier has not reached (as last observed). */
      readonly waiting: boolean;
      /** True while the store is failing: the frontier is extrapolated from the last good reading. */
      readonly degraded: boolean;
      /**
       * How fast the frontier moves now, in positions per minute, when the
       * active-users cap holds it back (measured from this instance's readings);
       * null when it moves at the rate over the show ratio.
       */
      readonly capPace: number | null;
    }
  | { readonly kind: "unavailable"; readonly reason: string };

/** How far back the cap's pace is measured, and the least span that makes a measurement. */
const PACE_WINDOW_MS = 60_000;
const MIN_PACE_SPAN_MS = 5_000;

/**
 * Per-instance view of a room's frontier and live settings, refreshed from the
 * store at most about once per `maxAgeMs`, so waiting polls cost Redis almost
 * nothing however many people wait, and operators' changes reach every
 * instance within about that interval. Between refreshes the frontier is
 * extrapolated at the room's rate, which never runs ahead of the store (see
 * `frontierAt`). Concurrent refreshes share one store call, and a failed
 * refresh is remembered for the same interval so a dead store is not hammered
 * by every poll.
 *
 * @example
 * ```ts
 * const cache = new FrontierCache(store, room, Date.now);
 * const reading = await cache.read();
 * ```
 */
export class FrontierCache {
  readonly #store: AdmissionStore;
  readonly #room: RoomSpec;
  readonly #now: () => number;
  readonly #maxAgeMs: number;
  #view: FrontierView | null = null;
  #failure: { at: number; reason: string } | null = null;
  #refreshing: Promise<void> | null = null;
  /** Admissions made here since the last report, by claims bucket; sent with the next tick. */
  #claims = new Map<number, number>();
  /** Pass subjects seen here -> when last reported (local clock). */
  readonly #reported = new Map<string, number>();
  /** Subjects to report as in use with the next store call. */
  #seen = new Set<string>();
  /** Sessions the origin ended here, to report with the next store call. */
  #released: Release[] = [];
  /** Released subjects this instance knows of -> release time: their older passes no longer admit. */
  readonly #denied = new Map<string, number>();
  /** Store time of the newest release read (TICK's cursor). */
  #releaseCursor = 0;
  /** When this instance last sent a tick (local clock), whatever joins observed since. */
  #tickedAt = Number.NEGATIVE_INFINITY;
  /** Store readings of the last minute (local time, frontier): the pace the cap lets the line move at. */
  #trail: { at: number; frontier: number }[] = [];

  constructor(store: AdmissionStore, room: RoomSpec, now: () => number, maxAgeMs = 1000) {
    this.#store = store;
    this.#room = room;
    this.#now = now;
    this.#maxAgeMs = maxAgeMs;
  }

  /** The frontier now; asks the store only when the view is older than `maxAgeMs`. */
  async read(): Promise<FrontierReading> {
    if (this.#isStale(this.#now())) await this.#refresh();
    return this.#reading(this.#now());
  }

  /**
   * Whether a queue may exist, from what this instance last saw, without
   * touching the store: true before the first reading, while someone holds a
   * place the frontier has not reached, or in a mode that queues everyone.
   */
  mayBeBusy(): boolean {
    const view = this.#view;
    if (!view) return true;
    return view.lastTicket > view.frontier || (view.settings.mode !== "auto" && view.settings.mode !== "passthrough");
  }

  /** The settings this instance last saw, without touching the store (null before the first reading). */
  lastSettings(): Settings | null {
    return this.#view?.settings ?? null;
  }

  /** Records a state the store just returned (a newcomer's join), saving a tick. */
  observe(state: FrontierState, settings: Settings): void {
    const now = this.#now();
    this.#view = {
      frontier: state.frontier,
      lastTicket: state.lastTicket,
      observedAt: now,
      settings,
      showRatio: state.showRatio ?? 1,
      ceiling: state.ceiling ?? Number.POSITIVE_INFINITY,
    };
    this.#failure = null;
    this.#trail.push({ at: now, frontier: state.frontier });
    while ((this.#trail[0]?.at ?? now) < now - PACE_WINDOW_MS) this.#trail.shift();
  }

  /**
   * Counts an admission by ticket (a claim), reported with this instance's
   * next tick: no store call of its own, so admitted visitors stay cheap.
   * The visitor is active from now.
   */
  recordClaim(position: number, subject: string): void {
    const bucket = bucketOf(position);
    this.#claims.set(bucket, (this.#claims.get(bucket) ?? 0) + 1);
    this.recordVisit(subject, true);
  }

  /**
   * A pass in use (the active-users count), reported with the next store
   * call; a subject already reported is reported again only after
   * {@link reportEveryMs}, so a busy shopper costs the report little.
   */
  recordVisit(subject: string, force = false): void {
    const now = this.#now();
    const last = this.#reported.get(subject);
    if (!force && last !== undefined && now - last < reportEveryMs(this.#sessionMs())) return;
    this.#reported.set(subject, now);
    this.#seen.add(subject);
  }

  /** The origin ended this subject's session: its passes stop admitting here at once, elsewhere after the next ticks. */
  recordRelease(subject: string): void {
    const at = this.#now();
    this.#denied.set(subject, at);
    this.#reported.delete(subject);
    this.#seen.delete(subject);
    this.#released.push({ subject, at });
  }

  /** Whether the origin ended this pass's session (released at or after it was issued). */
  isReleased(subject: string, issuedAtSeconds: number): boolean {
    return isReleased(this.#denied.get(subject), issuedAtSeconds);
  }

  /**
   * A tick in the background when this instance has not ticked for
   * `maxAgeMs`, so claims, active subjects and releases reach the store, and
   * other instances' releases reach this one, even when only admitted
   * visitors come here: at most one store call a second per instance.
   * Returns null when no tick is due.
   */
  tickIfDue(): Promise<void> | null {
    if (this.#now() - this.#tickedAt < this.#maxAgeMs) return null;
    return this.#refresh();
  }

  #sessionMs(): number {
    return sessionLengthMs(this.#view?.settings.sessionMinutes, this.#room.sessionMs);
  }

  #isStale(now: number): boolean {
    if (this.#failure && now - this.#failure.at < this.#maxAgeMs) return false;
    return !this.#view || now - this.#view.observedAt >= this.#maxAgeMs;
  }

  #reading(now: number): FrontierReading {
    if (!this.#view) return { kind: "unavailable", reason: this.#failure?.reason ?? "no frontier observed yet" };
    // Extrapolating through an outage stays safe: the store's own frontier will
    // be at least this far when it answers again, since it is a function of time.
    const degraded = this.#failure !== null && now - this.#failure.at < this.#maxAgeMs;
    return {
      kind: "known",
      frontier: frontierAt(this.#view, now),
      settings: this.#view.settings,
      showRatio: this.#view.showRatio,
      waiting: this.#view.lastTicket > this.#view.frontier,
      degraded,
      capPace: this.#capPace(),
    };
  }

  /**
   * The frontier's pace over this instance's readings of the last minute,
   * when the cap held it back at the last reading; at least the turnover of
   * a full room whose visitors stay a whole session, so a stalled line still
   * shows a finite (long) estimate.
   */
  #capPace(): number | null {
    const view = this.#view;
    const maxActive = activeCap(view?.settings.maxActive, this.#room.maxActive);
    if (!view || maxActive <= 0 || (view.ceiling ?? Number.POSITIVE_INFINITY) > view.frontier + 1) return null;
    const first = this.#trail[0];
    const last = this.#trail.at(-1);
    const measured =
      first && last && last.at - first.at >= MIN_PACE_SPAN_MS
        ? ((last.frontier - first.frontier) / (last.at - first.at)) * 60_000
        : 0;
    const turnover = maxActive / (this.#sessionMs() / 60_000) / view.showRatio;
    const full = view.settings.perMinute / view.showRatio;
    return Math.min(full, Math.max(measured, turnover));
  }

  /**
   * Hands over what this instance has to report (see {@link Report}), for a
   * store call about to be made (a newcomer's join carries it too, since
   * joins keep the view fresh and ticks rare during a surge). Give it back
   * with {@link returnReport} if the call fails.
   */
  takeReport(): Report {
    const report = {
      claims: this.#claims,
      seen: [...this.#seen],
      released: this.#released,
      releasesSince: this.#releaseCursor,
    };
    this.#claims = new Map();
    this.#seen = new Set();
    this.#released = [];
    return report;
  }

  /** What a failed store call did not deliver: reported with the next one. */
  returnReport(report: Report): void {
    for (const [bucket, count] of report.claims ?? []) {
      this.#claims.set(bucket, (this.#claims.get(bucket) ?? 0) + count);
    }
    for (const subject of report.seen ?? []) this.#seen.add(subject);
    this.#released.unshift(...(report.released ?? []));
  }

  /** Takes in the releases a tick returned, and forgets what no longer matters. */
  #learn(feed: ReleaseFeed): void {
    for (const release of feed.releases) {
      this.#denied.set(release.subject, Math.max(release.at, this.#denied.get(release.subject) ?? 0));
    }
    this.#releaseCursor = Math.max(this.#releaseCursor, feed.cursor);
    const horizon = activeSince(this.#now(), this.#sessionMs());
    // A pass lives at most a session past its last renewal, so older releases and reports can go.
    for (const [subject, at] of this.#denied) if (at < horizon) this.#denied.delete(subject);
    for (const [subject, at] of this.#reported) if (at < horizon) this.#reported.delete(subject);
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      this.#tickedAt = this.#now();
      const report = this.takeReport();
      const outcome = await this.#store.tick(this.#room, report);
      if (outcome.kind === "state") {
        this.observe(outcome.state, outcome.settings);
        this.#learn(outcome.releases);
      } else {
        this.#failure = { at: this.#now(), reason: outcome.reason };
        this.returnReport(report);
      }
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }
}
