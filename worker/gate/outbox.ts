import { bucketOf } from "../model/compensation.ts";
import type { Release, Report } from "../store/store.ts";

/** What the outbox hands over for one store call: a {@link Report} without the release cursor (`denylist.ts`). */
export type Parcel = Required<Pick<Report, "claims" | "seen" | "released">>;

/**
 * What one worker instance has to tell the store and sends with its next
 * script call, so admitted visitors cost no store call of their own:
 * admissions by claims bucket (no-show compensation), pass subjects in use
 * (the active-users count) and sessions the origin ended. Taken for a call
 * with {@link take}; a call that fails gives it back with {@link giveBack},
 * so nothing is lost to an outage.
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
  /** Admissions made here since the last report, by claims bucket. */
  #claims = new Map<number, number>();
  /** Pass subjects seen here -> when last reported (local clock). */
  readonly #reported = new Map<string, number>();
  /** Subjects to report as in use with the next store call. */
  #seen = new Set<string>();
  /** Sessions the origin ended here, to report with the next store call. */
  #released: Release[] = [];

  /** An admission by ticket at `position` (a claim); its visitor is active from `at`. */
  claim(position: number, subject: string, at: number): void {
    const bucket = bucketOf(position);
    this.#claims.set(bucket, (this.#claims.get(bucket) ?? 0) + 1);
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

  /** Hands over everything to report, for a store call about to be made; the outbox is empty after. */
  take(): Parcel {
    const parcel = { claims: this.#claims, seen: [...this.#seen], released: this.#released };
    this.#claims = new Map();
    this.#seen = new Set();
    this.#released = [];
    return parcel;
  }

  /** What a failed store call did not deliver: reported with the next one, ahead of what came since. */
  giveBack(parcel: Parcel): void {
    for (const [bucket, count] of parcel.claims) this.#claims.set(bucket, (this.#claims.get(bucket) ?? 0) + count);
    for (const subject of parcel.seen) this.#seen.add(subject);
    this.#released.unshift(...parcel.released);
  }

  /** Forgets when subjects last reported before `horizon` were reported: they are reported afresh when seen again. */
  forget(horizon: number): void {
    for (const [subject, at] of this.#reported) if (at < horizon) this.#reported.delete(subject);
  }
}
