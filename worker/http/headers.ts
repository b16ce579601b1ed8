import type { Context } from "hono";
import type { Config } from "../config.ts";

/**
 * Security headers of the HTML pages the worker renders itself (holding,
 * closed, unavailable pages). Proxied origin responses are the origin's
 * business and are left alone.
 */

/**
 * `strict-origin-when-cross-origin` rather than `no-referrer`: the built-in
 * pages only ever talk to their own origin (the status poll, the reload), so
 * `no-referrer` would protect nothing more there, while an operator's template
 * that links off-site still leaks only the origin, never the path and query
 * the visitor was queued on (which can carry tokens). It also pins the
 * browsers' modern default for old browsers, and keeps the same-origin
 * `Referer` that sites' own CSRF or WAF rules may check.
 */
export const REFERRER_POLICY = "strict-origin-when-cross-origin";

/** The default `frame-ancestors`: nobody may frame the room's pages (clickjacking the queue is pointless, but so is allowing it). */
export const DEFAULT_FRAME_ANCESTORS = "'none'";

/**
 * A fresh CSP nonce: 16 random bytes (128 bits, as CSP recommends), base64url.
 *
 * @example
 * ```ts
 * newNonce(); // "q3Zt0iYj3wC9pF1bLkN0xA"
 * ```
 */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * The Content-Security-Policy of a page: nothing loads unless listed; inline
 * `<script>` and `<style>` run only with this response's nonce (so markup
 * injected into the page, by a template value or anything else, stays inert);
 * scripts may only call back to the room itself; no `<base>` rewriting; forms
 * post only to the room; framing as `FRAME_ANCESTORS` allows.
 *
 * @param frameAncestors a source list already validated by `parseConfig` (FRAME_ANCESTORS).
 * @param thirdParty one origin whose script and frame a page embeds (the Turnstile widget), or null.
 * @example
 * ```ts
 * contentSecurityPolicy("abc", "'none'");
 * // "default-src 'none'; script-src 'nonce-abc'; style-src 'nonce-abc'; connect-src 'self'; ..."
 * ```
 */
export function contentSecurityPolicy(nonce: string, frameAncestors: string, thirdParty: string | null = null): string {
  const inline = `'nonce-${nonce}'`;
  // A widget's origin (Turnstile) may add its script and frame; nothing else does.
  const widget = thirdParty ? [`frame-src ${thirdParty}`] : [];
  return [
    "default-src 'none'",
    `script-src ${inline}${thirdParty ? ` ${thirdParty}` : ""}`,
    ...widget,
    `style-src ${inline}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
  ].join("; ");
}

/**
 * Sets the security headers of an HTML page on `c` and returns the nonce its
 * inline `<script>` and `<style>` tags must carry (`nonce="…"`). A new nonce
 * per response, so one seen in a cached or leaked page is worth nothing.
 *
 * @example
 * ```ts
 * const nonce = securePage(c);
 * return c.html(`<script nonce="${nonce}">…</script>`);
 * ```
 */
export function securePage(c: Context, thirdParty: string | null = null): string {
  const nonce = newNonce();
  setPageHeaders(c, nonce, thirdParty);
  return nonce;
}

function setPageHeaders(c: Context, nonce: string, thirdParty: string | null): void {
  // Typed by what it needs (not AppEnv, which needs the wrangler-generated Env), so Node tests can use it too.
  // The runtime is absent only when the config failed to parse, and then no page is rendered.
  const runtime: { readonly config: Config } | undefined = c.get("runtime");
  const frameAncestors = runtime?.config.frameAncestors ?? DEFAULT_FRAME_ANCESTORS;
  c.header("Content-Security-Policy", contentSecurityPolicy(nonce, frameAncestors, thirdParty));
  c.header("Referrer-Policy", REFERRER_POLICY);
  c.header("X-Content-Type-Options", "nosniff");
}
