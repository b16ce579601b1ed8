import { describe, expect, it } from "vitest";
import { testRoom } from "./helpers.ts";

const TOKEN = "admin-token-for-tests-0123456789";
const PAGE = "/__anteroom/dashboard";
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

type Room = Awaited<ReturnType<typeof testRoom>>;

function get(room: Room, path: string, init: RequestInit = {}) {
  return room.app.request(`http://room.test${path}`, init, room.env);
}

/** The asset URLs the page loads, by tag. */
function assetUrls(html: string) {
  return {
    scripts: [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1] ?? ""),
    styles: [...html.matchAll(/<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"/g)].map((m) => m[1] ?? ""),
  };
}

describe("dashboard without ADMIN_TOKEN", () => {
  it("does not exist: the page and its assets answer 404, like the admin API", async () => {
    const withToken = await testRoom({ ADMIN_TOKEN: TOKEN });
    const { scripts, styles } = assetUrls(await (await get(withToken, PAGE)).text());
    const room = await testRoom();
    for (const path of [PAGE, ...scripts, ...styles, `${PAGE}/assets/nothing.js`]) {
      const res = await get(room, path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    }
  });
});

describe("dashboard with ADMIN_TOKEN", () => {
  it("serves the page without the token, with a strict CSP and no caching", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const res = await get(room, PAGE);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toBe(CSP);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).not.toContain(TOKEN);
    // The CSP allows no inline code, so the page must have none.
    expect(html).not.toMatch(/<script\b(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i);
    expect(html).toMatch(/<label for="token">/);
    expect(html).toContain('data-api="/__anteroom/admin"');
  });

  it("serves the chart library and the page's own files from the worker, cached for good under fingerprinted names", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const { scripts, styles } = assetUrls(await (await get(room, PAGE)).text());
    expect(scripts).toHaveLength(2);
    expect(styles).toHaveLength(2);
    for (const url of [...scripts, ...styles]) {
      expect(url, "same origin, under the dashboard").toMatch(
        /^\/__anteroom\/dashboard\/assets\/[a-z]+\.[0-9a-f]{8}\.(js|css)$/,
      );
      const res = await get(room, url);
      expect(res.status, url).toBe(200);
      const type = url.endsWith(".js") ? /^text\/javascript/ : /^text\/css/;
      expect(res.headers.get("content-type"), url).toMatch(type);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect((await res.text()).length, url).toBeGreaterThan(100);
    }
    const library = await (await get(room, scripts.find((url) => url.includes("/uplot.")) ?? "")).text();
    expect(library).toContain("uPlot");
    expect(library.length, "the minified build, not the source").toBeLessThan(80_000);
  });

  it("answers 404 for an unknown or stale asset name", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    for (const name of ["uplot.00000000.js", "dashboard.js", "..%2Fdashboard.ts"]) {
      const res = await get(room, `${PAGE}/assets/${name}`);
      expect(res.status, name).toBe(404);
    }
  });

  it("has the autopilot's switch, its bounds and targets, and a chart of the rate over the origin's health", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    const html = await (await get(room, PAGE)).text();
    expect(html).toMatch(
      /<button type="submit" id="autopilot-toggle" aria-pressed="false"[^>]*>Turn autopilot on<\/button>/,
    );
    for (const [id, label] of [
      ["ap-min-input", "Lowest rate (per minute)"],
      ["ap-max-input", "Highest rate (per minute)"],
      ["ap-target-input", "Target origin p95 (ms)"],
      ["ap-errors-input", "Most origin errors (%)"],
    ]) {
      expect(html).toContain(`<label for="${id}">${label}</label>`);
      expect(html).toContain(`id="${id}"`);
    }
    for (const id of ["ap-last-change", "ap-status", "ap-learned", "ap-p95", "ap-errors", "ap-bounds"]) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).toMatch(/<div id="rate-chart" class="chart" role="img" aria-label="[^"]*rate[^"]*p95[^"]*"/);
    expect(html).toContain(
      '<th scope="col">Rate</th><th scope="col">Origin p95</th><th scope="col">Origin errors</th>',
    );
  });

  it("keeps the admin API behind the token: the page grants nothing by itself", async () => {
    const room = await testRoom({ ADMIN_TOKEN: TOKEN });
    await get(room, PAGE);
    const res = await get(room, "/__anteroom/admin/stats");
    expect(res.status).toBe(401);
  });
});
