import uplotJs from "uplot/dist/uPlot.iife.min.js";
import uplotCss from "uplot/dist/uPlot.min.css";
import dashboardCss from "./dashboard.client.css";
import dashboardJs from "./dashboard.client.js";

/** A file the dashboard page loads, served by the worker itself (the CSP allows no other origin). */
export interface Asset {
  /** File name under `assets/`, with a fingerprint of the content, so it can be cached for good. */
  readonly name: string;
  readonly contentType: string;
  /** How the page loads it: a stylesheet, a classic deferred script, or a module script. */
  readonly load: "style" | "script" | "module";
  readonly body: string;
}

/** The dashboard's files. */
export interface DashboardAssets {
  /** In the order the page must load them. */
  readonly files: readonly Asset[];
  /** The same files by name, for the route that serves them. */
  readonly byName: ReadonlyMap<string, Asset>;
}

const CSS = "text/css; charset=utf-8";
const JS = "text/javascript; charset=utf-8";

/**
 * The stylesheets and scripts of the dashboard: uPlot (the chart library,
 * from node_modules, whose browser build defines a global `uPlot`) and the
 * page's own files. uPlot's script is a classic deferred one placed before
 * the page's module script, so it has run by the time the page draws. The
 * files arrive as strings through wrangler.toml's Text module rule.
 *
 * @example
 * ```ts
 * const { files, byName } = dashboardAssets();
 * byName.get(files[0].name)?.contentType; // "text/css; charset=utf-8"
 * ```
 */
export function dashboardAssets(): DashboardAssets {
  const files = [
    asset("uplot", "css", "style", uplotCss),
    asset("dashboard", "css", "style", dashboardCss),
    asset("uplot", "js", "script", uplotJs),
    asset("dashboard", "js", "module", dashboardJs),
  ];
  return { files, byName: new Map(files.map((a) => [a.name, a])) };
}

function asset(stem: string, extension: "css" | "js", load: Asset["load"], body: string): Asset {
  const contentType = extension === "css" ? CSS : JS;
  return { name: `${stem}.${fingerprint(body)}.${extension}`, contentType, load, body };
}

/**
 * FNV-1a (32 bits) of the text, as 8 hex digits. Not a security measure: it
 * only has to change when a file changes, so a new deploy never meets a stale
 * cached copy. It is synchronous (WebCrypto is not), so names are known when
 * the routes are built.
 */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
