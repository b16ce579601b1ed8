import { type FrontierState, type FrontierView, frontierAt, type Settings } from "./admission.ts";
import { bucketOf } from "./compensation.ts";
import type { AdmissionStore, RoomSpec } from "./store/store.ts";

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
    }
  | { readonly kind: "unavailable"; readonly reason: string };

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
    this.#view = {
      frontier: state.frontier,
      lastTicket: state.lastTicket,
      observedAt: this.#now(),
      settings,
      showRatio: state.showRatio ?? 1,
    };
    this.#failure = null;
  }

  /**
   * Counts an admission by ticket (a claim), reported with this instance's
   * next tick: no store call of its own, so admitted visitors stay cheap.
   */
  recordClaim(position: number): void {
    const bucket = bucketOf(position);
    this.#claims.set(bucket, (this.#claims.get(bucket) ?? 0) + 1);
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
    };
  }

  /**
   * Hands over the claims not reported yet, for a store call about to be made
   * (a newcomer's join carries them too, since joins keep the view fresh and
   * ticks rare during a surge). Give them back with {@link returnClaims} if the call fails.
   */
  takeClaims(): Map<number, number> {
    const claims = this.#claims;
    this.#claims = new Map();
    return claims;
  }

  /** Claims a failed store call did not deliver: reported with the next one. */
  returnClaims(claims: ReadonlyMap<number, number>): void {
    for (const [bucket, count] of claims) this.#claims.set(bucket, (this.#claims.get(bucket) ?? 0) + count);
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      const claims = this.takeClaims();
      const outcome = await this.#store.tick(this.#room, claims);
      if (outcome.kind === "state") {
        this.observe(outcome.state, outcome.settings);
      } else {
        this.#failure = { at: this.#now(), reason: outcome.reason };
        this.returnClaims(claims);
      }
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }
}
