import type { ConsumedPlace, Release, Report } from "../store/store.ts";
import { OriginMeter } from "./origin-meter.ts";

/**
 * What the outbox hands over for one store call: a {@link Report} without the
 * cursors (`denylist.ts`, `consumed.ts`); `origin` only when the instance saw
 * the origin answer since its last report.
 */
export type Parcel = Required<Pick<Report, "consumed" | "seen" | "released">> & {
  readonly origin?: NonNullable<Report["origin"]>;
};

/** Most places one store call reports; more wait for the next call (only a long outage piles them up). */
export const PLACES_PER_REPORT = 2_000;
/** Most places waiting to be reported; past it the oldest go (their claims are lost, nothing else). */
export const PLACES_PENDING = 50_000;

/**
 * What one worker instance has to tell the store and sends with its next
 * script call (at the latest a background tick soon after the response, see
 * `RoomLink.flushSoon`: {@link urgent} items within a second, the rest within
 * a few), so admitted visitors cost no store call of their own:
 * places used (admissions by ticket: the store counts each position's claim
 * once, for no-show compensation, and tells every instance), pass subjects
 * in use (the active-users count), sessions the origin ended, and how the
 * origin answered admitted visitors (the autopilot's signal,
 * `origin-meter.ts`). Taken for a call
 * with {@link take}; a call that fails gives it back with {@link giveBack},
 * so nothing is lost to an outage (of places, the newest {@link PLACES_PENDING}).
 *
 * No clock of its own: every call says when it is.
 *
 * @example
 * ```ts
 * const parcel = outbox.take();
 * const outcome = await store.tick(room, { ...parcel, releasesSince });
 * if (outcome.kind === "unavailable") outbox.giveBack(parcel);
 * ```
 */
export class Outbox {
  /** Places used here since the last report, oldest first. */
  #consumed: ConsumedPlace[] = [];
  /** Pass subjects seen here -> when last reported (local clock). */
  readonly #reported = new Map<string, number>();
  /** Subjects to report as in use with the next store call. */
  #seen = new Set<string>();
  /** Sessions the origin ended here, to report with the next store call. */
  #released: Release[] = [];
  /** The origin's answers to admitted visitors since the last report. */
  readonly #origin = new OriginMeter();

  /**
   * Whether places used or sessions ended wait to be reported: what the
   * store needs soonest. A claim that never arrives reads as a no-show (the
   * show ratio falls, the line moves faster: over-admission) and a release
   * that never arrives keeps a pass admitting elsewhere, so these go within a
   * second; passes in use only refresh the active count, which errs high by
   * design, and can wait a few seconds (`RoomLink.flushSoon`).
   */
  get urgent(): boolean {
    return this.#consumed.length > 0 || this.#released.length > 0;
  }

  /** Requests the origin answered since the last report (the autopilot's signal). */
  get originPending(): number {
    return this.#origin.pending;
  }

  /** Whether nothing at all waits to be reported. */
  get empty(): boolean {
    return !this.urgent && this.#seen.size === 0 && this.#origin.pending === 0;
  }

  /**
   * The origin answered an admitted visitor's request after `latencyMs` (to
   * the response headers), failed or not; no answer within the timeout is a
   * failure whose latency is the timeout. Counted in place: it runs on every
   * admitted request.
   */
  originAnswered(latencyMs: number, error: boolean): void {
    this.#origin.record(latencyMs, error);
  }

  /** The first admission by the ticket for `position` (a claim), of `device`; its visitor is active from `at`. */
  claim(position: number, subject: string, at: number, device: string | null = null): void {
    this.#consumed.push({ position, device });
    if (this.#consumed.length > PLACES_PENDING) this.#consumed.splice(0, this.#consumed.length - PLACES_PENDING);
    this.visit(subject, at, 0, true);
  }

  /**
   * A pass in use at `at`; a subject already reported is reported again only
   * `everyMs` later (unless `force`), so a busy shopper costs the report little.
   */
  visit(subject: string, at: number, everyMs: number, force = false): void {
    const last = this.#reported.get(subject);
    if (!force && last !== undefined && at - last < everyMs) return;
    this.#reported.set(subject, at);
    this.#seen.add(subject);
  }

  /** The origin ended this subject's session at `at`: reported as such, and no longer as in use. */
  release(subject: string, at: number): void {
    this.#reported.delete(subject);
    this.#seen.delete(subject);
    this.#released.push({ subject, at });
  }

  /**
   * Hands over everything to report, for a store call about to be made; the
   * outbox is empty after, but for places past {@link PLACES_PER_REPORT}, which wait for the next call.
   * The origin's answers go only when `withOrigin`: RoomLink sends them with
   * its ticks (about one a second per instance with admitted traffic), not
   * with every newcomer's JOIN, because taking a sample in costs the script
   * about 50 µs of Redis time (the merge into the current second's slot).
   */
  take(withOrigin = true): Parcel {
    const parcel = {
      consumed: this.#consumed.slice(0, PLACES_PER_REPORT),
      seen: [...this.#seen],
      released: this.#released,
    };
    this.#consumed = this.#consumed.slice(PLACES_PER_REPORT);
    this.#seen = new Set();
    this.#released = [];
    const origin = withOrigin ? this.#origin.take() : null;
    return origin === null ? parcel : { ...parcel, origin };
  }

  /** What a failed store call did not deliver: reported with the next one, ahead of what came since. */
  giveBack(parcel: Parcel): void {
    this.#consumed = [...parcel.consumed, ...this.#consumed].slice(-PLACES_PENDING);
    for (const subject of parcel.seen) this.#seen.add(subject);
    this.#released.unshift(...parcel.released);
    if (parcel.origin) this.#origin.giveBack(parcel.origin);
  }

  /** Forgets when subjects last reported before `horizon` were reported: they are reported afresh when seen again. */
  forget(horizon: number): void {
    for (const [subject, at] of this.#reported) if (at < horizon) this.#reported.delete(subject);
  }
}
