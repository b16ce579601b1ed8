/**
 * Compiles path patterns (`/exact`, `/prefix/*`, `/*.ext`) into one matcher,
 * using the platform's URLPattern rather than hand-made globbing.
 *
 * @example
 * ```ts
 * const isAsset = pathMatcher(["/*.css", "/favicon.ico"]);
 * isAsset("/styles/site.css"); // true
 * ```
 */
export function pathMatcher(patterns: readonly string[]): (pathname: string) => boolean {
  const compiled = patterns.map((pathname) => new URLPattern({ pathname }));
  return (pathname) => compiled.some((pattern) => pattern.test({ pathname }));
}
