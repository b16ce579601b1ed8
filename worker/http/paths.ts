/**
 * Which requests skip the room (`BYPASS_PATHS`) and which queue
 * (`QUEUE_PATHS`), decided on the path as the origin may read it, not only as
 * the URL parser reads it.
 *
 * The URL parser (`new URL`, which every request URL has been through) resolves
 * `.` and `..` segments (also `%2e`), turns `\` into `/` and percent-encodes
 * what needs it. Origins commonly do more: many frameworks (Tomcat, Spring,
 * Jetty, some PHP and Ruby routers) drop `;` path parameters from each
 * segment, so `/checkout;.css` is their `/checkout`; many collapse `//`; some
 * decode `%2F` into a separator before routing, so `/.well-known/..%2Fcheckout`
 * is their `/checkout`. A path is therefore read several ways
 * ({@link pathReadings}), and:
 *
 * - it **bypasses** only when every reading matches a bypass pattern, the
 *   method is one the pattern applies to (GET and HEAD unless it names
 *   others), and it holds nothing whose meaning origins disagree on (an
 *   encoded `/`, `\`, `;`, `?`, `#`, `%` or control character, or a dot
 *   segment the URL parser left alone, like `..;`): what skips the room must
 *   be the same path whoever reads it;
 * - it **queues** when any reading matches a queue pattern, ignoring case
 *   (some origins route case-insensitively), so a disguise cannot make a
 *   queued path look unqueued.
 *
 * Patterns use the platform's URLPattern (`/exact`, `/prefix/*`, `/*.ext`)
 * rather than hand-made globbing.
 */

/** Methods a bypass pattern applies to when its entry names none. */
export const BYPASS_METHODS: readonly string[] = Object.freeze(["GET", "HEAD"]);

/** One `BYPASS_PATHS` entry: `[METHOD ]/pattern`, where METHOD is a method name or `*` for every method. */
export interface BypassRule {
  /** The methods it applies to; null: every method. */
  readonly methods: ReadonlySet<string> | null;
  readonly pattern: string;
}

/**
 * The path pattern of a `BYPASS_PATHS` entry, or the problem with its method
 * prefix. `GET` includes `HEAD`. Config validation and {@link bypassMatcher}
 * read entries with this one function.
 *
 * @example
 * ```ts
 * bypassRule("/*.css"); // { methods: Set { "GET", "HEAD" }, pattern: "/*.css" }
 * bypassRule("POST /webhooks/*"); // { methods: Set { "POST" }, pattern: "/webhooks/*" }
 * bypassRule("* /api/public/*"); // { methods: null, pattern: "/api/public/*" }
 * ```
 */
export function bypassRule(entry: string): BypassRule | { readonly problem: string } {
  const spaced = /^(\S+)\s+(\S.*)$/.exec(entry.trim());
  if (!spaced) return { methods: new Set(BYPASS_METHODS), pattern: entry.trim() };
  const [, method = "", pattern = ""] = spaced;
  if (method === "*") return { methods: null, pattern };
  if (!/^[A-Z]{1,20}$/.test(method)) {
    return {
      problem: `${JSON.stringify(entry)}: the method before a pattern must be an upper-case method name or "*" (e.g. "POST /webhooks/*")`,
    };
  }
  return { methods: new Set(method === "GET" ? ["GET", "HEAD"] : [method]), pattern };
}

/**
 * The pattern part of a `BYPASS_PATHS` entry, for config validation: the
 * pattern, or the problem with its method.
 */
export function bypassPattern(entry: string): string | { readonly problem: string } {
  const rule = bypassRule(entry);
  return "problem" in rule ? rule : rule.pattern;
}

/**
 * Compiles `BYPASS_PATHS` entries into one test of a request's method and
 * path (the URL's `pathname`). An entry that cannot be read bypasses nothing.
 *
 * @example
 * ```ts
 * const bypasses = bypassMatcher(["/*.css", "POST /webhooks/*"]);
 * bypasses("GET", "/styles/site.css"); // true
 * bypasses("POST", "/checkout;.css"); // false: POST, and the origin may read /checkout
 * bypasses("GET", "/checkout;.css"); // false: /checkout is not a bypass path
 * ```
 */
export function bypassMatcher(entries: readonly string[]): (method: string, pathname: string) => boolean {
  const rules = entries.flatMap((entry) => {
    const rule = bypassRule(entry);
    return "problem" in rule ? [] : [{ methods: rule.methods, pattern: compile(rule.pattern, false) }];
  });
  return (method, pathname) => {
    const applicable = rules.filter((rule) => rule.methods === null || rule.methods.has(method));
    if (applicable.length === 0) return false;
    const { bypassReadings } = pathReadings(pathname);
    return (
      bypassReadings.length > 0 &&
      bypassReadings.every((reading) => applicable.some((rule) => rule.pattern.test({ pathname: reading })))
    );
  };
}

/**
 * Compiles `QUEUE_PATHS` patterns into one test of a request's path: true
 * when any reading of it matches, ignoring case.
 *
 * @example
 * ```ts
 * const queues = queueMatcher(["/checkout*"]);
 * queues("/shop/..%2Fcheckout"); // true: an origin that decodes %2F reads /checkout
 * queues("/CHECKOUT;jsessionid=1"); // true
 * ```
 */
export function queueMatcher(patterns: readonly string[]): (pathname: string) => boolean {
  const compiled = patterns.map((pattern) => compile(pattern, true));
  return (pathname) => {
    const { queueReadings } = pathReadings(pathname);
    return queueReadings.some((reading) => compiled.some((pattern) => pattern.test({ pathname: reading })));
  };
}

/**
 * Like {@link queueMatcher}, but says how specific the match is: the length
 * of the longest pattern that any reading of the path matches, or -1 when
 * none does. Rooms compare it to pick the most specific (rooms.ts).
 *
 * @example
 * ```ts
 * const specificity = queueSpecificity(["/*", "/shop/*"]);
 * specificity("/shop/cart"); // 7 ("/shop/*")
 * specificity("/about"); // 2 ("/*")
 * ```
 */
export function queueSpecificity(patterns: readonly string[]): (pathname: string) => number {
  const compiled = patterns.map((pattern) => ({ length: pattern.length, pattern: compile(pattern, true) }));
  return (pathname) => {
    const { queueReadings } = pathReadings(pathname);
    let best = -1;
    for (const { length, pattern } of compiled) {
      if (length > best && queueReadings.some((reading) => pattern.test({ pathname: reading }))) best = length;
    }
    return best;
  };
}

/** The readings of one path that the matchers test. */
export interface PathReadings {
  /**
   * What must all match a bypass pattern: the path as parsed and as
   * normalised with and without collapsing `//`. Empty when the path holds an
   * encoded character or a disguised dot segment origins disagree on, so it
   * never bypasses.
   */
  readonly bypassReadings: readonly string[];
  /** Any of which matching a queue pattern queues: the above, and with encoded `/`, `\` and `;` decoded first. */
  readonly queueReadings: readonly string[];
}

/**
 * Encoded characters whose meaning depends on who decodes the path, and when:
 * `/` and `\` (a separator once decoded), `;` (a path parameter), `?` and `#`,
 * `%` (decoded twice, anything), control characters (C strings end at NUL).
 */
const AMBIGUOUS = /%(?:2f|5c|3b|3f|23|25|[01][0-9a-f]|7f)/i;

/**
 * The ways an origin may read `pathname` (a URL's `pathname`: already through
 * the URL parser), without duplicates. Pure.
 *
 * @example
 * ```ts
 * pathReadings("/checkout;.css").bypassReadings; // ["/checkout;.css", "/checkout"]
 * pathReadings("/.well-known/..%2Fcheckout").bypassReadings; // [] (never bypasses)
 * pathReadings("/.well-known/..%2Fcheckout").queueReadings; // [..., "/checkout"]
 * ```
 */
export function pathReadings(pathname: string): PathReadings {
  const normalised = [pathname, normalisePath(pathname, false), normalisePath(pathname, true)];
  const separated = pathname.replace(/%2f|%5c/gi, "/").replace(/%3b/gi, ";");
  const queueReadings = unique([...normalised, normalisePath(separated, false), normalisePath(separated, true)]);
  const ambiguous = AMBIGUOUS.test(pathname) || hidesDotSegment(pathname);
  return { bypassReadings: ambiguous ? [] : unique(normalised), queueReadings };
}

/**
 * Whether a segment is `.` or `..` to some readers only (`..;x`, `%2e%2e;`):
 * the URL parser has resolved the plain ones, and an origin that does not
 * drop parameters routes such a path by its prefix (`/checkout/..;/x.ico`).
 */
function hidesDotSegment(pathname: string): boolean {
  return pathname.split("/").some((raw) => {
    const segment = decodeUnreserved(raw.split(";", 1)[0] ?? "");
    return segment === "." || segment === "..";
  });
}

/**
 * A path as origins commonly normalise it: `;` parameters dropped from every
 * segment, percent-encoded unreserved characters (letters, digits, `-._~`)
 * decoded, `.` and `..` segments resolved (also when encoded, e.g. `%2e%2e`,
 * or left behind by a parameter, `..;x`; never above the root), and, with
 * `collapse`, empty segments (`//`) dropped before resolving, as servers that
 * merge slashes do. Encoded `/` and `\` stay encoded: they are not separators
 * here. A trailing `/` is kept. Pure.
 *
 * @example
 * ```ts
 * normalisePath("/shop;jsessionid=1/%2E%2E;x/checkout;.css", false); // "/checkout"
 * normalisePath("/a//..;/b", true); // "/b"
 * normalisePath("/a//..;/b", false); // "/a/b"
 * ```
 */
export function normalisePath(pathname: string, collapse: boolean): string {
  const segments = pathname.split("/").slice(1);
  const out: string[] = [];
  let trailing = false;
  segments.forEach((raw, i) => {
    const segment = decodeUnreserved(raw.split(";", 1)[0] ?? "");
    const last = i === segments.length - 1;
    trailing = last && (segment === "" || segment === "." || segment === "..");
    if (segment === "..") out.pop();
    else if (segment === "." || (segment === "" && (collapse || last))) return;
    else out.push(segment);
  });
  const path = `/${out.join("/")}`;
  return trailing && path !== "/" ? `${path}/` : path;
}

function decodeUnreserved(segment: string): string {
  return segment.replace(/%([0-9a-f]{2})/gi, (encoded, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /^[A-Za-z0-9\-._~]$/.test(char) ? char : encoded.toUpperCase();
  });
}

function compile(pattern: string, ignoreCase: boolean): URLPattern {
  return new URLPattern({ pathname: pattern }, { ignoreCase });
}

function unique(paths: readonly string[]): string[] {
  return [...new Set(paths)];
}
