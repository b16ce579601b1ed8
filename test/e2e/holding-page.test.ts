import { generateKeyPairSync, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { BrowserRoom, CHROMIUM_PATH, hasChromium } from "./browser.ts";

// The whole product path in a real browser: headless Chromium -> the worker in
// workerd (`wrangler dev`) -> the Upstash REST bridge -> a redis-server of this
// file's own, with the demo origin behind the worker.
//
// One stack (one room) serves every scenario, run one after another. The room's
// state carries over, which the scenarios allow for: each one first puts a few
// cookie-less newcomers in line (`occupyFront`), so its browser visitor waits
// whatever the room looked like before, and positions are compared with the
// positions those newcomers got rather than with fixed numbers.

/** One admission every 4 s: a page visibly waits, and near the front the page polls every 2 s (±20 %), well inside one admission slot, so visitors land in the order they were let in. */
const ADMIT_PER_MINUTE = 15;
/** A bound on waiting to be let in, not a speed expectation: each scenario has at most 5 people ahead (about 20 s). */
const ADMISSION_TIMEOUT_MS = 60_000;
const SCENARIO_TIMEOUT_MS = 100_000;
/** Landing times this close together count as the same moment when checking the order. */
const SAME_MOMENT_MS = 500;
const HOLDING_HEADING = "You are in line";
const SCREENSHOT = "/tmp/anteroom-holding.png";
const SCREENSHOT_MOBILE = "/tmp/anteroom-holding-mobile.png";
const SCREENSHOT_DARK = "/tmp/anteroom-holding-dark.png";

const session = new BrowserRoom();
const room = () => session.room();

/** A browser visitor with its own cookie jar, and what its page requested. */
interface Visitor {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Requests to the status endpoint (the page's polling). */
  statusPolls: number;
  /** Documents loaded in the tab: the test's own navigation plus any the page made (reload, meta refresh). */
  documents: number;
}

async function openVisitor(options: BrowserContextOptions = {}): Promise<Visitor> {
  const context = await session.newContext(options);
  const page = await context.newPage();
  const visitor: Visitor = { context, page, statusPolls: 0, documents: 0 };
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/__anteroom/status") visitor.statusPolls += 1;
  });
  // A document is a navigation answered with a page: the cookie check's 307 (the room's default) is a hop, not a load.
  page.on("response", (response) => {
    const request = response.request();
    const redirect = response.status() >= 300 && response.status() < 400;
    if (request.isNavigationRequest() && request.frame() === page.mainFrame() && !redirect) visitor.documents += 1;
  });
  return visitor;
}

/**
 * A newcomer that never comes back (a plain fetch asking for JSON, passing the
 * room's cookie check once): takes the next place. Returns its position when it had to wait, null when
 * it went straight in.
 */
async function newcomer(): Promise<number | null> {
  const url = `${room().url}/api/echo`;
  let response = await fetch(url, { headers: { accept: "application/json" } });
  let body = (await response.json()) as { position?: unknown; state?: unknown };
  if (body.state === "cookie_check") {
    // The room's default cookie check: send the request again with the cookie it set, as a client that keeps cookies does.
    const cookie = response.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    response = await fetch(url, { headers: { accept: "application/json", cookie } });
    body = (await response.json()) as { position?: unknown; state?: unknown };
  }
  if (response.status === 200) return null;
  expect(response.status, JSON.stringify(body)).toBe(429);
  expect(body.position).toEqual(expect.any(Number));
  return body.position as number;
}

/** Newcomers until `count` of them wait in line; returns the last one's position, which the next visitor follows. */
async function occupyFront(count: number): Promise<number> {
  let queued = 0;
  let last = 0;
  // At most one newcomer goes straight in (the room lets ~1 s worth of its rate run ahead), so this ends.
  for (let attempt = 0; queued < count; attempt++) {
    if (attempt > count + 2) throw new Error(`could not put ${count} newcomers in line`);
    const position = await newcomer();
    if (position !== null) {
      queued += 1;
      last = position;
    }
  }
  return last;
}

interface Figures {
  readonly position: number;
  readonly ahead: number;
  readonly eta: string;
  /** The progress bar's aria-valuenow. */
  readonly progress: number;
}

/** The figures the holding page shows (through locators, so this works with JavaScript off too). */
async function readFigures(page: Page): Promise<Figures> {
  const timeout = 5_000;
  const [position, ahead, eta, progress] = await Promise.all([
    page.locator("#anteroom-position").textContent({ timeout }),
    page.locator("#anteroom-ahead").textContent({ timeout }),
    page.locator("#anteroom-eta").textContent({ timeout }),
    page.locator("#anteroom-bar").getAttribute("aria-valuenow", { timeout }),
  ]);
  return { position: Number(position), ahead: Number(ahead), eta: eta?.trim() ?? "", progress: Number(progress) };
}

/** Checks the visitor sees the holding page, with sane figures, and returns them. */
async function expectHoldingPage(page: Page): Promise<Figures> {
  await expect(page.locator("h1").textContent({ timeout: 5_000 })).resolves.toBe(HOLDING_HEADING);
  const figures = await readFigures(page);
  expect(Number.isInteger(figures.position) && figures.position >= 1, `position ${figures.position}`).toBe(true);
  expect(Number.isInteger(figures.ahead) && figures.ahead >= 0, `ahead ${figures.ahead}`).toBe(true);
  expect(figures.ahead).toBeLessThan(figures.position);
  expect(figures.eta).not.toBe("");
  expect(Number.isInteger(figures.progress), `aria-valuenow ${figures.progress}`).toBe(true);
  expect(figures.progress).toBeGreaterThanOrEqual(0);
  expect(figures.progress).toBeLessThanOrEqual(100);
  return figures;
}

/** Resolves once the origin's /register page is shown, with the time it was. */
async function landing(page: Page): Promise<number> {
  try {
    await page
      .getByRole("heading", { name: "Register", exact: true })
      .waitFor({ state: "visible", timeout: ADMISSION_TIMEOUT_MS });
  } catch (error) {
    const heading = await page
      .locator("h1")
      .textContent({ timeout: 1_000 })
      .catch(() => null);
    throw new Error(
      `the visitor was not let in to the origin's /register within ${ADMISSION_TIMEOUT_MS} ms; the page shows h1 ${JSON.stringify(heading)}`,
      { cause: error },
    );
  }
  return Date.now();
}

async function cookieNames(context: BrowserContext): Promise<string[]> {
  return (await context.cookies(room().url)).map((cookie) => cookie.name).sort();
}

/** Where the screenshots of the page in other languages are kept (the repository's own copies). */
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "screenshots");

/** The page's language and direction, and its heading. */
async function languageOf(page: Page): Promise<{ lang: string | null; dir: string | null; h1: string | null }> {
  return page.evaluate(() => ({
    lang: document.documentElement.getAttribute("lang"),
    dir: document.documentElement.getAttribute("dir"),
    h1: document.querySelector("h1")?.textContent ?? null,
  }));
}

/**
 * Spies the page's Notification API and sound (before any script of the page
 * runs): notifications constructed, permission requests, tones started.
 */
const NOTIFICATION_SPY = () => {
  const spy = { notes: [] as { title: string; body: string }[], asked: 0, tones: 0 };
  (window as unknown as { __spy: typeof spy }).__spy = spy;
  const Real = window.Notification;
  const Spy = function (this: unknown, title: string, options?: NotificationOptions) {
    spy.notes.push({ title, body: options?.body ?? "" });
    try {
      return new Real(title, options);
    } catch {
      return { close() {} };
    }
  } as unknown as typeof Notification;
  Object.defineProperty(Spy, "permission", { get: () => Real.permission });
  Spy.requestPermission = (...args: Parameters<typeof Notification.requestPermission>) => {
    spy.asked += 1;
    return Real.requestPermission(...args);
  };
  window.Notification = Spy;
  const createOscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function (this: AudioContext) {
    spy.tones += 1;
    return createOscillator.call(this);
  };
};

interface Spied {
  readonly notes: { title: string; body: string }[];
  readonly asked: number;
  readonly tones: number;
}

async function spied(page: Page): Promise<Spied> {
  return page.evaluate(() => (window as unknown as { __spy: Spied }).__spy);
}

/** Makes the tab look hidden (or shown again) to the page, as switching tabs does (Page Visibility API). */
async function setVisibility(page: Page, state: "hidden" | "visible"): Promise<void> {
  await page.evaluate((value) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => value });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => value === "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  }, state);
}

/** The tab titles the page shows over `ms`, sampled every 200 ms. */
async function titlesOver(page: Page, ms: number): Promise<string[]> {
  const seen: string[] = [];
  for (let waited = 0; waited < ms; waited += 200) {
    seen.push(await page.title());
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return seen;
}

/** Origin requests for /register since `from` (an index into the demo origin's log). */
function originRegisterRequests(from: number) {
  const log = room().demoOrigin?.log ?? [];
  return log.slice(from).filter((entry) => entry.path === "/register");
}

function originLogLength(): number {
  return room().demoOrigin?.log.length ?? 0;
}

/** A private ES256 (P-256) JWK, as PASS_SIGNING_KEYS wants it. */
function signingKey(): JsonWebKey {
  return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
}

if (!hasChromium) {
  console.warn(`test/e2e: SKIPPING the browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? "holding page in headless Chromium"
    : `holding page in headless Chromium: SKIPPED, no browser at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`,
  () => {
    session.use(() => ({
      ROOM: `e2e-${Date.now()}`,
      ADMIT_PER_MINUTE: String(ADMIT_PER_MINUTE),
      // Fixed keys rather than development's ephemeral ones: `wrangler dev` rebuilds the
      // worker when a source file changes, and new ephemeral keys would silently void every
      // ticket and pass handed out so far (waiting visitors would rejoin at the back).
      TICKET_SECRET: randomBytes(32).toString("base64url"),
      PASS_SIGNING_KEYS: JSON.stringify([{ ...signingKey(), kid: "e2e" }]),
    }));

    it(
      "with JavaScript: shows the place in line, updates it by polling, then lets the visitor in by itself",
      async () => {
        const lastInLine = await occupyFront(2);
        const visitor = await openVisitor({ viewport: { width: 1280, height: 800 } });
        const { page, context } = visitor;
        const originBefore = originLogLength();

        const response = await page.goto(`${room().url}/register`);
        if (!response) throw new Error("no response for the page");
        expect(response.status()).toBe(200);
        expect(response.headers()["cache-control"]).toBe("no-store");
        expect(response.headers()["content-type"]).toMatch(/^text\/html/);
        expect((await response.body()).byteLength).toBeLessThan(15 * 1024);

        const first = await expectHoldingPage(page);
        expect(first.position, "the visitor takes the place right after the newcomers").toBe(lastInLine + 1);
        expect(first.ahead, "the newcomers in line are ahead").toBeGreaterThanOrEqual(1);
        expect(await cookieNames(context)).toEqual(["anteroom_ticket"]);
        expect(originRegisterRequests(originBefore), "a waiting visitor must not reach the origin").toEqual([]);

        // The accessible parts: a polite live region holding the figures, a labelled progress bar, a status notice.
        const live = page.locator("#anteroom-live");
        expect(await live.getAttribute("aria-live")).toBe("polite");
        expect(await live.locator("#anteroom-position, #anteroom-ahead, #anteroom-eta").count()).toBe(3);
        const bar = page.getByRole("progressbar", { name: "Progress through the line" });
        expect(await bar.count()).toBe(1);
        expect(await bar.getAttribute("aria-valuemin")).toBe("0");
        expect(await bar.getAttribute("aria-valuemax")).toBe("100");
        const notice = page.locator("#anteroom-notice");
        expect(await notice.getAttribute("role")).toBe("status");
        expect(await notice.textContent(), "no delay notice while the store answers").toBe("");

        // No reload by the test: the page's own polling must move the figures forward.
        await page.waitForFunction(
          (before) =>
            Number(document.getElementById("anteroom-ahead")?.textContent) < before.ahead &&
            Number(document.getElementById("anteroom-bar")?.getAttribute("aria-valuenow")) > before.progress,
          first,
          { timeout: 30_000 },
        );
        const second = await readFigures(page);
        expect(second.position, "the place is kept").toBe(first.position);
        expect(second.ahead).toBeLessThan(first.ahead);
        expect(second.progress).toBeGreaterThan(first.progress);
        expect(visitor.statusPolls).toBeGreaterThanOrEqual(1);
        const drawn = await page.evaluate(() => {
          const element = document.getElementById("anteroom-bar");
          const fill = element?.firstElementChild as HTMLElement | null | undefined;
          return { valueNow: element?.getAttribute("aria-valuenow"), width: fill?.style.width };
        });
        expect(drawn.width, "the drawn bar matches aria-valuenow").toBe(`${drawn.valueNow}%`);
        await page.screenshot({ path: SCREENSHOT });

        await landing(page);
        expect(page.url()).toBe(`${room().url}/register`);
        await expect(page.locator("body").textContent()).resolves.toContain("Admitted by Anteroom");
        const cookies = await context.cookies(room().url);
        const pass = cookies.find((cookie) => cookie.name === "anteroom_pass");
        expect(pass, "admission sets the pass cookie").toBeDefined();
        expect(pass?.httpOnly).toBe(true);
        expect(pass?.sameSite).toBe("Lax");
        expect(await cookieNames(context), "the ticket is dropped once admitted").toEqual(["anteroom_pass"]);
        // The test navigated once; the page's own reload is the only other document (the
        // <noscript> meta refresh must not fire with JavaScript on).
        expect(visitor.documents).toBe(2);
        expect(originRegisterRequests(originBefore).map((entry) => entry.passHeader)).toEqual([true]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "without JavaScript: the holding page's meta refresh alone gets the visitor in",
      async () => {
        const lastInLine = await occupyFront(1);
        const visitor = await openVisitor({ javaScriptEnabled: false });
        const { page, context } = visitor;
        const originBefore = originLogLength();

        const response = await page.goto(`${room().url}/register`);
        expect(response?.status()).toBe(200);
        const figures = await expectHoldingPage(page);
        expect(figures.position).toBe(lastInLine + 1);
        const refresh = page.locator('meta[http-equiv="refresh"]');
        expect(await refresh.count(), "the <noscript> meta refresh is live without JavaScript").toBe(1);
        const seconds = Number(await refresh.getAttribute("content"));
        expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 20, `refresh ${seconds}`).toBe(true);

        await landing(page);
        expect(page.url()).toBe(`${room().url}/register`);
        expect(visitor.statusPolls, "nothing polls without JavaScript").toBe(0);
        expect(visitor.documents, "the meta refresh reloaded the page").toBeGreaterThanOrEqual(2);
        expect(await cookieNames(context)).toEqual(["anteroom_pass"]);
        const seen = originRegisterRequests(originBefore);
        expect(seen.map((entry) => entry.passHeader)).toEqual([true]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "lets visitors in in the order they joined",
      async () => {
        const lastInLine = await occupyFront(1);
        // Different devices, same line; two of them are photographed while they wait.
        const devices: { options: BrowserContextOptions; screenshot?: string }[] = [
          {
            options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
            screenshot: SCREENSHOT_MOBILE,
          },
          { options: { colorScheme: "dark", viewport: { width: 1024, height: 700 } }, screenshot: SCREENSHOT_DARK },
          { options: {} },
          { options: {} },
        ];
        const joined: { position: number; landed: Promise<number>; context: BrowserContext }[] = [];
        for (const device of devices) {
          const { page, context } = await openVisitor(device.options);
          const response = await page.goto(`${room().url}/register`);
          expect(response?.status()).toBe(200);
          const { position } = await expectHoldingPage(page);
          const landed = landing(page);
          landed.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
          joined.push({ position, landed, context });
          if (device.options.isMobile) {
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            expect(overflow, "no sideways scrolling on a phone").toBeLessThanOrEqual(0);
          }
          if (device.screenshot) await page.screenshot({ path: device.screenshot });
        }

        const positions = joined.map((visitor) => visitor.position);
        const expected = positions.map((_, index) => lastInLine + 1 + index);
        expect(positions, "each joiner takes the next place").toEqual(expected);

        const landedAt = await Promise.all(joined.map((visitor) => visitor.landed));
        const start = Math.min(...landedAt);
        const report = joined
          .map((visitor, index) => `place ${visitor.position} at +${(landedAt[index] ?? 0) - start} ms`)
          .join(", ");
        for (let later = 1; later < joined.length; later++) {
          for (let earlier = 0; earlier < later; earlier++) {
            expect(
              landedAt[later] ?? 0,
              `place ${positions[later]} was let in before place ${positions[earlier]}: ${report}`,
            ).toBeGreaterThanOrEqual((landedAt[earlier] ?? 0) - SAME_MOMENT_MS);
          }
        }
        for (const visitor of joined) expect(await cookieNames(visitor.context)).toEqual(["anteroom_pass"]);
      },
      SCENARIO_TIMEOUT_MS,
    );
    it(
      "in Swedish for a Swedish browser: words, waits and the offer window in Swedish, updated in Swedish by the script",
      async () => {
        await occupyFront(3);
        const { page } = await openVisitor({ locale: "sv-SE", viewport: { width: 1024, height: 720 } });
        await page.goto(`${room().url}/register`);
        expect(await languageOf(page)).toEqual({ lang: "sv", dir: "ltr", h1: "Du står i kö" });
        expect(await page.getByRole("progressbar", { name: "Hur långt du har kommit i kön" }).count()).toBe(1);
        expect(await page.locator("#anteroom-offer").textContent()).toBe(
          "När det är din tur har du 5 minuter på dig att komma in.",
        );
        const swedishWait = /^(under en minut|1 minut|\d+ minuter)$/;
        expect(await page.locator("#anteroom-eta").textContent()).toMatch(swedishWait);
        // After a poll the script rewrites the figures: still Swedish, through the page's Intl and strings.
        const before = await page.locator("#anteroom-ahead").textContent();
        await page.waitForFunction((was) => document.getElementById("anteroom-ahead")?.textContent !== was, before, {
          timeout: 30_000,
        });
        expect(await page.locator("#anteroom-eta").textContent()).toMatch(swedishWait);
        await page.screenshot({ path: join(SCREENSHOTS, "holding-sv.png") });
        // Large figures, as a crowd from television gives them: the next status answer is made up here so the
        // page's script must group digits and word hours the Swedish way (its Intl in the page's language).
        await page.route("**/__anteroom/status?*", (route) =>
          route.fulfill({
            json: {
              state: "queued",
              position: 12_345,
              ahead: 1_234,
              etaSeconds: 4_020,
              refreshSeconds: 30,
              progress: 0.5,
              delayed: false,
              paused: false,
            },
          }),
        );
        await page.waitForFunction(
          () => document.getElementById("anteroom-position")?.textContent === "12\u00a0345",
          null,
          {
            timeout: 30_000,
          },
        );
        expect(await page.locator("#anteroom-ahead").textContent()).toBe("1\u00a0234");
        expect(await page.locator("#anteroom-eta").textContent()).toBe("1 tim, 7 min");
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "in Arabic right to left: dir=rtl, the menu at the start of the line, the progress bar filling from the right",
      async () => {
        await occupyFront(2);
        const { page } = await openVisitor({ locale: "ar", viewport: { width: 1024, height: 720 } });
        await page.goto(`${room().url}/register`);
        expect(await languageOf(page)).toEqual({ lang: "ar", dir: "rtl", h1: "أنت في قائمة الانتظار" });
        // A fixed share drawn, whatever the line's real progress: the layout is what is measured here.
        const bars = await page.evaluate(() => {
          const track = document.getElementById("anteroom-bar");
          const fill = track?.firstElementChild as HTMLElement | null;
          if (!track || !fill) return null;
          fill.style.transition = "none";
          fill.style.width = "40%";
          const t = track.getBoundingClientRect();
          const f = fill.getBoundingClientRect();
          return { trackLeft: t.left, trackRight: t.right, fillLeft: f.left, fillRight: f.right, fillWidth: f.width };
        });
        if (!bars) throw new Error("no progress bar");
        expect(Math.abs(bars.fillRight - (bars.trackRight - 1)), JSON.stringify(bars)).toBeLessThanOrEqual(1);
        expect(bars.fillLeft - bars.trackLeft, JSON.stringify(bars)).toBeGreaterThan(bars.fillWidth);
        const menu = await page.locator(".anteroom-lang").boundingBox();
        expect(menu && menu.x < 1024 / 2, "the menu sits at the inline end: the left in Arabic").toBe(true);
        await page.screenshot({ path: join(SCREENSHOTS, "holding-ar.png") });

        // The same page in English fills from the left.
        const english = (await openVisitor({ locale: "en-US", viewport: { width: 1024, height: 720 } })).page;
        await english.goto(`${room().url}/register`);
        const ltr = await english.evaluate(() => {
          const track = document.getElementById("anteroom-bar");
          const fill = track?.firstElementChild as HTMLElement;
          fill.style.transition = "none";
          fill.style.width = "40%";
          return { track: track?.getBoundingClientRect().left ?? 0, fill: fill.getBoundingClientRect().left };
        });
        expect(Math.abs(ltr.fill - (ltr.track + 1))).toBeLessThanOrEqual(1);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "in Japanese for a Japanese browser (screenshot)",
      async () => {
        await occupyFront(2);
        const { page } = await openVisitor({ locale: "ja-JP", viewport: { width: 1024, height: 720 } });
        await page.goto(`${room().url}/register`);
        expect(await languageOf(page)).toEqual({ lang: "ja", dir: "ltr", h1: "順番待ちをしています" });
        await page.screenshot({ path: join(SCREENSHOTS, "holding-ja.png") });
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "the language menu switches the page and the choice sticks, over the browser's language, keeping the place",
      async () => {
        await occupyFront(3);
        const visitor = await openVisitor({ locale: "en-US" });
        const { page, context } = visitor;
        await page.goto(`${room().url}/register?from=tv`);
        expect((await languageOf(page)).lang).toBe("en");
        const { position } = await expectHoldingPage(page);
        await page.locator(".anteroom-lang summary").click();
        await page.getByRole("button", { name: "Suomi" }).click();
        // The menu's form posts, the room answers 303 back to the page, which comes back in Finnish.
        await page.locator('html[lang="fi"]').waitFor({ state: "attached", timeout: 10_000 });
        await page.waitForLoadState("load");
        expect(page.url()).toBe(`${room().url}/register?from=tv`);
        expect(await languageOf(page)).toEqual({ lang: "fi", dir: "ltr", h1: "Olet jonossa" });
        expect(Number(await page.locator("#anteroom-position").textContent()), "the place is kept").toBe(position);
        const chosen = (await context.cookies(room().url)).find((cookie) => cookie.name === "anteroom_lang");
        expect(chosen?.value).toBe("fi");
        // A later visit in the same browser, which still says it prefers English: Finnish.
        await page.goto(`${room().url}/register`);
        expect((await languageOf(page)).h1).toBe("Olet jonossa");
        expect(page.url()).toBe(`${room().url}/register`);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "turn notice: hidden when the turn comes, the title alternates, a notification and a tone for a visitor who opted in; in on return",
      async () => {
        await occupyFront(1);
        const visitor = await openVisitor({ locale: "en-US" });
        const { page, context } = visitor;
        await context.grantPermissions(["notifications"], { origin: room().url });
        await page.addInitScript(NOTIFICATION_SPY);
        await page.goto(`${room().url}/register`);
        await expectHoldingPage(page);
        expect(await page.locator("#anteroom-offer").textContent()).toBe(
          "When your turn comes, you have 5 minutes to come in.",
        );
        await page.getByLabel("Tell me when it is my turn (a notification and a sound)").check();
        await setVisibility(page, "hidden");

        await page.waitForFunction(() => document.title === "It's your turn!", null, { timeout: ADMISSION_TIMEOUT_MS });
        const titles = new Set(await titlesOver(page, 2_600));
        expect([...titles].sort()).toEqual(["It's your turn!", "You are in line"]);
        const spy = await spied(page);
        expect(spy.notes).toEqual([
          { title: "It's your turn!", body: "Come back to this tab within 5 minutes to go in." },
        ]);
        expect(spy.tones, "a short beep: two tones").toBe(2);
        expect(spy.asked, "permission was granted already: nothing asked").toBe(0);
        expect(await page.locator("#anteroom-turn-clock").textContent()).toMatch(
          /^It is your turn! Come in within 0[45]:\d\d\.$/,
        );
        expect(visitor.documents, "no reload behind the visitor's back").toBe(1);

        await setVisibility(page, "visible");
        await landing(page);
        expect(await cookieNames(context)).toEqual(["anteroom_pass"]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "turn notice without the opt-in: the title still alternates, and no permission is ever asked, no notification, no sound",
      async () => {
        await occupyFront(1);
        const visitor = await openVisitor({ locale: "de-DE" });
        const { page } = visitor;
        await page.addInitScript(NOTIFICATION_SPY);
        await page.goto(`${room().url}/register`);
        expect((await languageOf(page)).lang).toBe("de");
        await setVisibility(page, "hidden");
        await page.waitForFunction(() => document.title === "Sie sind dran!", null, { timeout: ADMISSION_TIMEOUT_MS });
        const titles = new Set(await titlesOver(page, 2_600));
        expect([...titles].sort()).toEqual(["Sie sind dran!", "Sie sind in der Warteschlange"]);
        expect(await spied(page)).toEqual({ notes: [], asked: 0, tones: 0 });
        expect(await page.evaluate(() => Notification.permission)).toBe("default");
      },
      SCENARIO_TIMEOUT_MS,
    );
  },
);
