// A Redis sorted set: members ordered by score, then by member bytes (Redis
// compares members with memcmp; members here are byte strings, one char per
// byte, so JavaScript's `<` on them is that same order). A sorted array with
// binary search: O(log n) lookups, O(n) inserts, ample for a dev server and tests.

interface Entry {
  readonly member: string;
  readonly score: number;
}

/** Score bounds of ZRANGEBYSCORE and friends. */
export interface ScoreRange {
  readonly min: number;
  readonly minExclusive: boolean;
  readonly max: number;
  readonly maxExclusive: boolean;
}

function before(a: Entry, score: number, member: string): boolean {
  return a.score < score || (a.score === score && a.member < member);
}

export class SortedSet {
  readonly #scores = new Map<string, number>();
  #entries: Entry[] = [];

  get size(): number {
    return this.#entries.length;
  }

  score(member: string): number | undefined {
    return this.#scores.get(member);
  }

  /** Adds or moves a member; returns true when it was new. */
  set(member: string, given: number): boolean {
    // Redis keeps small sorted sets as listpacks, whose score encoding stores -0 as the integer 0.
    const score = given === 0 ? 0 : given;
    const old = this.#scores.get(member);
    if (old !== undefined) {
      if (old === score) return false; // as Redis: 0 and -0 are the same score, the stored one stays
      this.#entries.splice(this.#index(old, member), 1);
    }
    this.#scores.set(member, score);
    this.#entries.splice(this.#index(score, member), 0, { member, score });
    return old === undefined;
  }

  delete(member: string): boolean {
    const old = this.#scores.get(member);
    if (old === undefined) return false;
    this.#entries.splice(this.#index(old, member), 1);
    this.#scores.delete(member);
    return true;
  }

  /** 0-based rank, or undefined when absent. */
  rank(member: string): number | undefined {
    const score = this.#scores.get(member);
    return score === undefined ? undefined : this.#index(score, member);
  }

  /** Entries by rank, both ends inclusive and already clamped by the caller. */
  slice(start: number, stop: number): readonly Entry[] {
    return this.#entries.slice(start, stop + 1);
  }

  /** Entries within the score range, in order. */
  inRange(range: ScoreRange): readonly Entry[] {
    const first = this.#firstIn(range);
    const out: Entry[] = [];
    for (let i = first; i < this.#entries.length; i++) {
      const entry = this.#entries[i] as Entry;
      if (range.maxExclusive ? entry.score >= range.max : entry.score > range.max) break;
      out.push(entry);
    }
    return out;
  }

  /** Position where (score, member) is or would be inserted. */
  #index(score: number, member: string): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.#entries[mid] as Entry, score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry whose score is past the range's lower bound. */
  #firstIn(range: ScoreRange): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const score = (this.#entries[mid] as Entry).score;
      const below = range.minExclusive ? score <= range.min : score < range.min;
      if (below) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
