import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { errorResponse } from "../http/responses.ts";
import { dashboardAssets } from "./assets.ts";
import { dashboardPage } from "./page.ts";

/** Options of {@link dashboard}. */
export interface DashboardOptions {
  /** Path of the admin API the page talks to (same origin). Default `/__anteroom/admin`. */
  readonly api?: string;
}

/**
 * Only this origin's own files, no inline code, nothing that frames the page:
 * the page holds an admin token, so an injected script or a clickjacking
 * frame must find nothing to work with.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** Asset names carry a fingerprint of their content, so a cached copy is never stale. */
const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * The operator dashboard: `GET /` is the page (sign in with the admin token,
 * then a live view with controls, all through the admin API from the
 * browser), `GET /assets/<name>` its script, styles and the chart library.
 * Like the admin API, none of it exists without an ADMIN_TOKEN (404). The
 * page itself is no secret, so it is served without the token; every figure
 * and change goes through the API, which checks it.
 *
 * @example
 * ```ts
 * app.route("/__anteroom/dashboard", dashboard());
 * ```
 */
export function dashboard(options: DashboardOptions = {}): Hono<AppEnv> {
  const api = options.api ?? "/__anteroom/admin";
  if (!api.startsWith("/") || api.startsWith("//")) {
    throw new TypeError(`dashboard: api must be a path on this origin (starting with one "/"), got ${api}`);
  }
  const assets = dashboardAssets();
  const app = new Hono<AppEnv>();

  app.use(async function dashboardEnabled(c, next) {
    if (!c.var.runtime.config.adminToken) return errorResponse(c, 404, "not_found", "No such Anteroom endpoint.");
    return next();
  });

  app.get("/", function dashboardHtml(c) {
    c.header("Content-Security-Policy", CSP);
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-store");
    return c.html(dashboardPage({ base: c.req.path.replace(/\/+$/, ""), api, assets }));
  });

  app.get("/assets/:name", function dashboardAsset(c) {
    const asset = assets.byName.get(c.req.param("name"));
    if (!asset) return errorResponse(c, 404, "not_found", "No such Anteroom endpoint.");
    c.header("Content-Type", asset.contentType);
    c.header("Cache-Control", IMMUTABLE);
    c.header("X-Content-Type-Options", "nosniff");
    return c.body(asset.body);
  });

  return app;
}
