/**
 * How the problems of a refused admin change are put into words, bounded:
 * whatever the body holds (20,000 unknown fields, a 10 KB field name), the
 * 400 that names them stays a few kilobytes.
 */

/** Most problems an error lists; the rest are counted. */
export const MAX_PROBLEMS = 20;

/** Most unknown field names one problem quotes. */
const MAX_NAMED_FIELDS = 5;

/** Longest field name quoted whole. */
const MAX_NAME = 40;

/** Longest problem kept whole. */
const MAX_PROBLEM = 300;

/** The problems an admin error reports: at most {@link MAX_PROBLEMS}, each clipped, and how many were left out. */
export interface BoundedProblems {
  readonly problems: readonly string[];
  /** Problems not listed (0 when all are). */
  readonly more: number;
  /** The listed problems in one sentence, with the count of the rest. */
  readonly message: string;
}

/**
 * The problems of a refused change, bounded for the response.
 *
 * @example
 * ```ts
 * boundedProblems(["mode must be ...", ...]).message; // "mode must be ...; ...; and 3 more"
 * ```
 */
export function boundedProblems(problems: readonly string[]): BoundedProblems {
  const listed = problems.slice(0, MAX_PROBLEMS).map((p) => clip(p, MAX_PROBLEM));
  const more = problems.length - listed.length;
  return { problems: listed, more, message: listed.join("; ") + (more > 0 ? `; and ${more} more` : "") };
}

/**
 * One problem naming the unknown fields of a body (a few of them, clipped, and
 * how many others), or null when there are none.
 *
 * @example
 * ```ts
 * unknownFields({ rate: 5, startsAt: 1 }, ["startsAt"]); // 'unknown field "rate" (known: startsAt)'
 * ```
 */
export function unknownFields(body: object, known: readonly string[]): string | null {
  const unknown = Object.keys(body).filter((field) => !known.includes(field));
  if (unknown.length === 0) return null;
  const named = unknown
    .slice(0, MAX_NAMED_FIELDS)
    .map((field) => JSON.stringify(clip(field, MAX_NAME)))
    .join(", ");
  const others = unknown.length - Math.min(unknown.length, MAX_NAMED_FIELDS);
  const noun = unknown.length === 1 ? "field" : "fields";
  return `unknown ${noun} ${named}${others > 0 ? ` and ${others} more` : ""} (known: ${known.join(", ")})`;
}

function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
