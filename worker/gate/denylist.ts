import { isReleased } from "../model/active.ts";
import type { ReleaseFeed } from "../store/store.ts";

/**
 * The released subjects one worker instance knows of, with their release
 * times: their passes issued at or before that time no longer admit here.
 * Releases made here count at once; other instances' arrive with the feed a
 * tick returns, read from {@link cursor} on.
 *
 * @example
 * ```ts
 * denylist.deny(subject, now);
 * denylist.isReleased(claims.sub, claims.iat); // true
 * ```
 */
export class Denylist {
  /** Released subject -> release time (ms). */
  readonly #denied = new Map<string, number>();
  #cursor = 0;

  /** Store time of the newest release read from the store (the next tick's `releasesSince`); 0 before any. */
  get cursor(): number {
    return this.#cursor;
  }

  /** The origin ended this subject's session here at `at`. */
  deny(subject: string, at: number): void {
    this.#denied.set(subject, at);
  }

  /** Whether the origin ended this pass's session (released at or after it was issued). */
  isReleased(subject: string, issuedAtSeconds: number): boolean {
    return isReleased(this.#denied.get(subject), issuedAtSeconds);
  }

  /** Takes in the releases a tick returned, and moves the cursor past them. */
  learn(feed: ReleaseFeed): void {
    for (const release of feed.releases) {
      this.#denied.set(release.subject, Math.max(release.at, this.#denied.get(release.subject) ?? 0));
    }
    this.#cursor = Math.max(this.#cursor, feed.cursor);
  }

  /** Forgets releases before `horizon`: every pass they could refuse has expired (a pass lives a session past its renewal). */
  forget(horizon: number): void {
    for (const [subject, at] of this.#denied) if (at < horizon) this.#denied.delete(subject);
  }
}
