import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { BrowserContextOptions, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { BrowserRoom, CHROMIUM_PATH, hasChromium } from "./browser.ts";

// The operator dashboard in a real browser: headless Chromium -> the worker in
// workerd (`wrangler dev`) with an ADMIN_TOKEN -> the Upstash REST bridge -> a
// redis-server of this file's own. The test changes settings through the page
// and checks them through the admin API, the way another operator would see them.
//
// One stack (one room) serves every scenario, run one after another; each
// scenario signs in afresh in a browser context of its own.

const ADMIT_PER_MINUTE = 30;
const FIRST_ROOM = `e2e-dashboard-${Date.now()}`;
const SECOND_ROOM = `${FIRST_ROOM}-second`;
const TOKEN = randomBytes(24).toString("base64url");
const PAGE = "/__anteroom/dashboard";
/** The page polls every 2 s; this bounds a few polls on a busy machine. */
const UPDATE_TIMEOUT_MS = 15_000;
const SCENARIO_TIMEOUT_MS = 90_000;
/** Kept with the sources: what the dashboard looked like in the last test run. */
const SCREENSHOT = fileURLToPath(new URL("./screenshots/dashboard.png", import.meta.url));
const SCREENSHOT_PHONE = "/tmp/anteroom-dashboard-phone.png";

const session = new BrowserRoom();
const room = () => session.room();

/** What went wrong inside a page: script errors, CSP violations, requests to other origins. */
interface Operator {
  readonly page: Page;
  readonly problems: string[];
  /** Stats requests the page made. */
  statsPolls: number;
}

async function openDashboard(options: BrowserContextOptions = {}): Promise<Operator> {
  const context = await session.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const operator: Operator = { page, problems: [], statsPolls: 0 };
  page.on("pageerror", (error) => operator.problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") operator.problems.push(`console: ${message.text()}`);
  });
  page.on("request", (request) => {
    if (!request.url().startsWith(room().url)) operator.problems.push(`request elsewhere: ${request.url()}`);
    if (new URL(request.url()).pathname === "/__anteroom/admin/stats") operator.statsPolls += 1;
  });
  const response = await page.goto(`${room().url}${PAGE}`);
  expect(response?.status()).toBe(200);
  return operator;
}

async function signIn(page: Page, token = TOKEN): Promise<void> {
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signedIn(page: Page): Promise<void> {
  await signIn(page);
  try {
    await page.locator("#live").waitFor({ state: "visible", timeout: UPDATE_TIMEOUT_MS });
  } catch (error) {
    const shown = await page
      .locator("#sign-in-error")
      .textContent({ timeout: 1_000 })
      .catch(() => null);
    throw new Error(`not signed in within ${UPDATE_TIMEOUT_MS} ms; the page says ${JSON.stringify(shown)}`, {
      cause: error,
    });
  }
  await expect(page.locator("#fig-mode").textContent()).resolves.not.toBe("-");
}

/** The admin API, called by the test as a second operator would. */
async function adminApi(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${TOKEN}`);
  if (init.body) headers.set("content-type", "application/json");
  const response = await fetch(`${room().url}/__anteroom/admin${path}`, { ...init, headers });
  return { status: response.status, body: await response.json() };
}

interface Settings {
  ratePerMinute: number;
  mode: string;
  maxActive: number;
  autopilot: "on" | "off";
  autopilotMinRate: number;
  autopilotMaxRate: number;
  originTargetP95Ms: number;
  originMaxErrorRate: number;
}

async function settings(): Promise<Settings> {
  const { status, body } = await adminApi("/settings");
  expect(status).toBe(200);
  return body as Settings;
}

/** The rate line's colour in the page's script (RATE_COLOR), as RGB. */
const RATE_RGB = [0x7b, 0x3f, 0xb8] as const;

/** Pixels of the rate chart's canvas in the rate line's colour (give or take antialiasing). */
async function rateLinePixels(page: Page): Promise<number> {
  return page.locator("#rate-chart canvas").evaluate((element, rgb) => {
    const c = element as HTMLCanvasElement;
    const pixels = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const near =
        Math.abs((pixels[i] ?? 0) - rgb[0]) < 24 &&
        Math.abs((pixels[i + 1] ?? 0) - rgb[1]) < 24 &&
        Math.abs((pixels[i + 2] ?? 0) - rgb[2]) < 24 &&
        (pixels[i + 3] ?? 0) > 200;
      if (near) count += 1;
    }
    return count;
  }, RATE_RGB);
}

/** Cookie-less newcomers asking for JSON: each takes a place in line (or goes straight in) and never returns. */
async function newcomers(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${room().url}/api/echo`, { headers: { accept: "application/json" } });
    expect([200, 429]).toContain(response.status);
    await response.body?.cancel();
  }
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent({ timeout: 5_000 })) ?? "").trim();
}

/** The history table's newest row (the current minute), as numbers. */
/**
 * Arrivals in the whole 30-minute table: unlike the current minute's row, the
 * total does not drop back when a minute ends in the middle of a test (the
 * row that falls out is from before the stack started).
 */
async function arrivalsInTable(page: Page): Promise<number> {
  const rows = await page.locator("#history tbody tr").all();
  let total = 0;
  for (const row of rows) total += Number(((await row.locator("td").nth(1).textContent()) ?? "").replace(/\D/g, ""));
  return total;
}

async function currentMinute(page: Page) {
  const cells = await page.locator("#history tbody tr").first().locator("td").allTextContents();
  const [, arrivals, admissions, inLine] = cells.map((cell) => Number(cell.replace(/\D/g, "")));
  return { arrivals: arrivals ?? 0, admissions: admissions ?? 0, inLine: inLine ?? 0 };
}

if (!hasChromium) {
  console.warn(`test/e2e: SKIPPING the dashboard tests: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? "operator dashboard in headless Chromium"
    : `operator dashboard in headless Chromium: SKIPPED, no browser at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`,
  () => {
    session.use(() => ({
      // Two rooms: the first (every path) is the one the scenarios steer; the second is for the room list.
      ROOMS: JSON.stringify([
        { name: FIRST_ROOM, paths: ["/*"] },
        { name: SECOND_ROOM, paths: ["/second/*"], admitPerMinute: 12 },
      ]),
      // The test fills the line with cookie-less requests on purpose; the cookie check has its own tests.
      COOKIE_CHECK: "off",
      ADMIT_PER_MINUTE: String(ADMIT_PER_MINUTE),
      ADMIN_TOKEN: TOKEN,
    }));

    it(
      "asks for the token first, and says clearly when a wrong one is refused",
      async () => {
        const { page, problems } = await openDashboard();
        await expect(page.getByRole("heading", { name: "Sign in" }).isVisible()).resolves.toBe(true);
        expect(await page.locator("#live").isVisible(), "no figures before signing in").toBe(false);

        await signIn(page, "not-the-admin-token-at-all");
        const error = page.locator("#sign-in-error");
        await expect.poll(() => error.textContent(), { timeout: UPDATE_TIMEOUT_MS }).toContain("token was refused");
        expect(await error.getAttribute("role")).toBe("alert");
        expect(await page.locator("#live").isVisible()).toBe(false);
        expect(await page.evaluate(() => sessionStorage.length), "a refused token is not kept").toBe(0);
        // The refusal was the API's 401, which the browser logs as a failed resource; nothing else went wrong.
        expect(problems.filter((p) => !p.includes("401"))).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "lists the rooms, and opens another: its own figures, through its own admin endpoints",
      async () => {
        const operator = await openDashboard();
        const { page, problems } = operator;
        await signedIn(page);
        const list = page.locator("#room-list li");
        await expect.poll(() => list.count(), { timeout: UPDATE_TIMEOUT_MS }).toBe(2);
        expect(await list.first().textContent()).toContain(`${FIRST_ROOM} any host /*: auto, 30 per min`);
        expect(await page.getByRole("link", { name: FIRST_ROOM, exact: true }).getAttribute("aria-current")).toBe(
          "page",
        );
        expect(await text(page, "#room-name")).toBe(`Room ${FIRST_ROOM}`);

        await page.getByRole("link", { name: SECOND_ROOM }).click();
        // The token stays in the tab: the reloaded page signs in by itself, now showing the second room.
        await expect.poll(() => text(page, "#room-name"), { timeout: UPDATE_TIMEOUT_MS }).toBe(`Room ${SECOND_ROOM}`);
        expect(await text(page, "#fig-rate")).toBe("12");
        expect(new URL(page.url()).searchParams.get("room")).toBe(SECOND_ROOM);
        const current = page.getByRole("link", { name: SECOND_ROOM });
        await expect.poll(() => current.getAttribute("aria-current"), { timeout: UPDATE_TIMEOUT_MS }).toBe("page");
        expect(problems).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "signed in: shows the room's figures and a chart of the last minutes, live",
      async () => {
        const operator = await openDashboard();
        const { page } = operator;
        await signedIn(page);
        expect(await text(page, "#fig-mode")).toBe("auto");
        expect(await text(page, "#fig-rate")).toBe(String(ADMIT_PER_MINUTE));
        expect(await text(page, "#fig-target")).toBe(String(ADMIT_PER_MINUTE));
        expect(await page.getByLabel("Admission rate (visitors per minute)").inputValue()).toBe(
          String(ADMIT_PER_MINUTE),
        );
        expect(await page.getByLabel("Mode").inputValue()).toBe("auto");
        expect(await page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);

        const before = await arrivalsInTable(page);
        await newcomers(8);
        // No reload by the test: the page's own polling brings the new figures.
        await expect
          .poll(async () => Number(await text(page, "#fig-queue")), { timeout: UPDATE_TIMEOUT_MS })
          .toBeGreaterThanOrEqual(5);
        const { body: stats } = await adminApi("/stats");
        expect((stats as { queueLength: number }).queueLength).toBeGreaterThanOrEqual(5);
        expect(await text(page, "#fig-eta")).toMatch(/^\d+ (s|min)$/);
        // The newcomer let straight in is active; no MAX_ACTIVE in this room.
        expect(Number(await text(page, "#fig-active"))).toBeGreaterThanOrEqual(1);
        expect(await text(page, "#fig-cap")).toBe("no cap");
        expect(Number(await text(page, "#fig-admitted"))).toBeGreaterThanOrEqual(1);
        await expect
          .poll(async () => arrivalsInTable(page), { timeout: UPDATE_TIMEOUT_MS })
          .toBeGreaterThanOrEqual(before + 8);
        expect(await page.locator("#history tbody tr").count(), "30 minutes and the current one").toBe(31);

        // The chart: a drawn canvas of real size, holding the same figures as the table.
        const canvas = page.locator("#chart canvas");
        await canvas.waitFor({ state: "visible", timeout: 5_000 });
        const box = await canvas.boundingBox();
        expect(box?.width ?? 0).toBeGreaterThan(300);
        expect(box?.height ?? 0).toBeGreaterThan(150);
        const inked = await canvas.evaluate((element) => {
          const c = element as HTMLCanvasElement;
          const pixels = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
          let count = 0;
          for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) count += 1;
          return count;
        });
        expect(inked, "the canvas is drawn on").toBeGreaterThan(1_000);
        const legend = await page.locator("#chart .u-legend .u-series .u-label").allTextContents();
        expect(legend).toEqual(["Minute", "Arrivals", "Admissions", "In line"]);
        // Pointing at the newest minute shows its values in the legend, as uPlot reads them from its data.
        const plot = page.locator("#chart .u-over");
        // In view first: the mouse reaches only what the viewport shows.
        await plot.scrollIntoViewIfNeeded();
        const area = await plot.boundingBox();
        if (!area) throw new Error("no plot area");
        await page.mouse.move(area.x + area.width - 1, area.y + area.height / 2);
        const arrivalsValue = page.locator("#chart .u-legend .u-series .u-value").nth(1);
        // The same figure as the table's newest row (both read the same stats answer).
        await expect
          .poll(async () => Number(await arrivalsValue.textContent()) === (await currentMinute(page)).arrivals, {
            timeout: 5_000,
          })
          .toBe(true);
        expect(await arrivalsInTable(page)).toBeGreaterThanOrEqual(before + 8);
        expect(operator.statsPolls, "the page polled for fresh figures").toBeGreaterThanOrEqual(2);

        // A reload in the same tab stays signed in.
        await page.reload();
        await page.locator("#live").waitFor({ state: "visible", timeout: UPDATE_TIMEOUT_MS });
        expect(await page.locator("#sign-in").isVisible()).toBe(false);
        expect(operator.problems).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "changes the rate, the mode and the active-users cap through the admin API, and shows the API's message for a bad value",
      async () => {
        const { page, problems } = await openDashboard();
        await signedIn(page);
        const rate = page.getByLabel("Admission rate (visitors per minute)");
        const status = page.locator("#control-status");
        const error = page.locator("#control-error");

        await rate.fill("120");
        await page.getByRole("button", { name: "Set rate" }).click();
        await expect
          .poll(() => status.textContent(), { timeout: UPDATE_TIMEOUT_MS })
          .toBe("Rate set to 120 per minute.");
        expect((await settings()).ratePerMinute, "the room runs at the new rate").toBe(120);
        expect(await text(page, "#fig-rate")).toBe("120");
        expect(await text(page, "#fig-target")).toBe("120");

        for (const bad of ["0", "-5", ""]) {
          await rate.fill(bad);
          await page.getByRole("button", { name: "Set rate" }).click();
          await expect
            .poll(() => error.textContent(), { timeout: UPDATE_TIMEOUT_MS })
            .toContain("ratePerMinute must be a number from 0.1 to 1000000");
          expect(await error.getAttribute("role")).toBe("alert");
          expect((await settings()).ratePerMinute, `"${bad}" changes nothing`).toBe(120);
        }

        await page.getByLabel("Mode").selectOption("queue-all");
        await page.getByRole("button", { name: "Set mode" }).click();
        await expect.poll(() => status.textContent(), { timeout: UPDATE_TIMEOUT_MS }).toBe("Mode set to queue-all.");
        expect(await error.textContent(), "a success clears the last problem").toBe("");
        expect((await settings()).mode).toBe("queue-all");
        expect(await text(page, "#fig-mode")).toBe("queue-all");
        // The next polls agree with the change.
        await page.waitForTimeout(2_500);
        expect(await text(page, "#fig-mode")).toBe("queue-all");
        expect(await page.getByLabel("Mode").inputValue()).toBe("queue-all");

        await page.getByLabel("Mode").selectOption("auto");
        await page.getByRole("button", { name: "Set mode" }).click();
        await expect.poll(() => status.textContent(), { timeout: UPDATE_TIMEOUT_MS }).toBe("Mode set to auto.");
        expect(await settings()).toMatchObject({ mode: "auto", ratePerMinute: 120 });

        const cap = page.getByLabel("Active-users cap (visitors at once; 0 = no cap)");
        await cap.fill("300");
        await page.getByRole("button", { name: "Set cap" }).click();
        await expect
          .poll(() => status.textContent(), { timeout: UPDATE_TIMEOUT_MS })
          .toBe("At most 300 visitors active at once.");
        expect((await settings()).maxActive, "the room runs with the new cap").toBe(300);
        // The next polls (stats) show the cap the room runs with.
        await page.waitForTimeout(2_500);
        expect(await text(page, "#fig-cap")).toBe("of 300 cap");
        expect(await cap.inputValue()).toBe("300");
        await cap.fill("-1");
        await page.getByRole("button", { name: "Set cap" }).click();
        await expect
          .poll(() => error.textContent(), { timeout: UPDATE_TIMEOUT_MS })
          .toContain("maxActive must be a whole number");
        await cap.fill("0");
        await page.getByRole("button", { name: "Set cap" }).click();
        await expect.poll(() => status.textContent(), { timeout: UPDATE_TIMEOUT_MS }).toBe("Active-users cap off.");
        expect((await settings()).maxActive).toBe(0);
        await page.waitForTimeout(2_500);
        expect(await text(page, "#fig-cap")).toBe("no cap");
        // The 400s above are logged by the browser as failed resources; nothing else went wrong.
        expect(problems.filter((p) => !p.includes("400"))).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "turns the autopilot on and off with its toggle, sets its bounds, and draws the rate line over the origin's health",
      async () => {
        const { page, problems } = await openDashboard();
        await signedIn(page);
        const toggle = page.locator("#autopilot-toggle");
        const message = page.locator("#autopilot-status");
        const error = page.locator("#autopilot-error");
        expect(await text(page, "#ap-on")).toBe("off");
        expect(await toggle.textContent()).toBe("Turn autopilot on");
        expect(await toggle.getAttribute("aria-pressed")).toBe("false");
        expect(await page.locator("#rate-hint").isVisible()).toBe(false);
        expect(await text(page, "#ap-status")).toContain("off: the rate is the operator's");

        // The rate chart: a line of the rate in force, with autopilot off too, beside the origin's p95 and errors.
        const canvas = page.locator("#rate-chart canvas");
        await canvas.waitFor({ state: "visible", timeout: 5_000 });
        expect(await page.locator("#rate-chart .u-legend .u-series .u-label").allTextContents()).toEqual([
          "Minute",
          "Rate",
          "Origin p95 (ms)",
          "Origin errors (%)",
        ]);
        // A line from the room's first minute to now (a point, when the stack started this minute).
        expect(await rateLinePixels(page), "the rate line is drawn").toBeGreaterThan(20);
        // Below the fold at this size: pointing needs it on screen.
        await page.locator("#rate-chart .u-over").scrollIntoViewIfNeeded();
        const area = await page.locator("#rate-chart .u-over").boundingBox();
        if (!area) throw new Error("no plot area");
        await page.mouse.move(area.x + area.width - 1, area.y + area.height / 2);
        const rateValue = page.locator("#rate-chart .u-legend .u-series .u-value").nth(1);
        const rateNow = (await settings()).ratePerMinute;
        await expect.poll(async () => Number(await rateValue.textContent()), { timeout: 5_000 }).toBe(rateNow);
        const tableRate = (await page.locator("#history tbody tr").first().locator("td").nth(4).textContent()) ?? "";
        expect(Number(tableRate.replace(/[^\d.]/g, ""))).toBe(rateNow);

        await toggle.click();
        await expect.poll(() => message.textContent(), { timeout: UPDATE_TIMEOUT_MS }).toContain("Autopilot on");
        expect((await settings()).autopilot, "the room runs with the autopilot on").toBe("on");
        const { body: stats } = await adminApi("/stats");
        expect((stats as { autopilot: { on: boolean } }).autopilot.on).toBe(true);
        expect(await text(page, "#ap-on")).toBe("on");
        expect(await toggle.textContent()).toBe("Turn autopilot off");
        expect(await toggle.getAttribute("aria-pressed")).toBe("true");
        expect(await page.locator("#rate-hint").isVisible(), "a rate set by hand is its new starting point").toBe(true);
        // The next polls agree, and the line is still drawn.
        await page.waitForTimeout(2_500);
        expect(await text(page, "#ap-on")).toBe("on");
        expect(await text(page, "#ap-status")).not.toContain("off:");
        expect(await text(page, "#ap-last-change")).not.toBe("-");
        expect(await rateLinePixels(page)).toBeGreaterThan(20);

        // Bounds and targets: the API's words for a bad pair, then a good one.
        await page.locator("#ap-limits summary").click();
        await page.getByLabel("Lowest rate (per minute)").fill("500");
        await page.getByLabel("Highest rate (per minute)").fill("100");
        await page.getByRole("button", { name: "Set bounds and targets" }).click();
        await expect
          .poll(() => error.textContent(), { timeout: UPDATE_TIMEOUT_MS })
          .toContain("autopilotMinRate (500) must not be above autopilotMaxRate (100)");
        expect((await settings()).autopilotMaxRate).not.toBe(100);
        await page.getByLabel("Lowest rate (per minute)").fill("5");
        await page.getByLabel("Highest rate (per minute)").fill("400");
        await page.getByLabel("Target origin p95 (ms)").fill("900");
        await page.getByLabel("Most origin errors (%)").fill("2");
        await page.getByRole("button", { name: "Set bounds and targets" }).click();
        await expect
          .poll(() => message.textContent(), { timeout: UPDATE_TIMEOUT_MS })
          .toBe("Autopilot within 5 to 400 per minute, p95 at most 900 ms, errors at most 2%.");
        expect(await error.textContent(), "a success clears the last problem").toBe("");
        expect(await settings()).toMatchObject({
          autopilotMinRate: 5,
          autopilotMaxRate: 400,
          originTargetP95Ms: 900,
          originMaxErrorRate: 0.02,
        });
        await page.waitForTimeout(2_500);
        expect(await text(page, "#ap-bounds")).toBe("5 to 400");
        expect(await text(page, "#ap-target")).toBe("900 ms");
        expect(await text(page, "#ap-max-errors")).toBe("2%");

        await toggle.click();
        await expect.poll(() => message.textContent(), { timeout: UPDATE_TIMEOUT_MS }).toContain("Autopilot off");
        expect((await settings()).autopilot).toBe("off");
        expect(await toggle.textContent()).toBe("Turn autopilot on");
        // On again, for the screenshot of the next scenario.
        await toggle.click();
        await expect.poll(() => message.textContent(), { timeout: UPDATE_TIMEOUT_MS }).toContain("Autopilot on");
        // The 400 above is logged by the browser as a failed resource; nothing else went wrong.
        expect(problems.filter((p) => !p.includes("400"))).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "lists scheduled events, and fits a phone's screen",
      async () => {
        const startsAt = new Date(Date.now() + 2 * 3_600_000);
        const created = await adminApi("/events", {
          method: "POST",
          body: JSON.stringify({
            startsAt: startsAt.toISOString(),
            endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
            ratePerMinute: 300,
          }),
        });
        expect(created.status, JSON.stringify(created.body)).toBe(201);

        const desk = await openDashboard();
        await signedIn(desk.page);
        const rows = desk.page.locator("#events-table tbody tr");
        await expect.poll(() => rows.count(), { timeout: UPDATE_TIMEOUT_MS }).toBe(1);
        const cells = await rows.first().locator("td").allTextContents();
        expect(cells[0]).toBe("scheduled");
        expect(cells[4]).toBe("300 / min");
        expect(await desk.page.locator("#events-none").isVisible()).toBe(false);

        // The whole view, with traffic in the chart and the event listed, for the record.
        await desk.page.locator("#chart canvas").waitFor({ state: "visible" });
        const plot = await desk.page.locator("#chart .u-over").boundingBox();
        if (plot) await desk.page.mouse.move(plot.x + plot.width * 0.97, plot.y + plot.height / 2);
        await desk.page.screenshot({ path: SCREENSHOT, fullPage: true });

        const phone = await openDashboard({
          viewport: { width: 390, height: 844 },
          deviceScaleFactor: 2,
          isMobile: true,
          hasTouch: true,
        });
        await signedIn(phone.page);
        await phone.page.locator("#chart canvas").waitFor({ state: "visible" });
        const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, "no sideways scrolling on a phone").toBeLessThanOrEqual(0);
        const chartWidth = (await phone.page.locator("#chart canvas").boundingBox())?.width ?? 0;
        expect(chartWidth, "the chart fits the screen").toBeLessThanOrEqual(390);
        await phone.page.screenshot({ path: SCREENSHOT_PHONE, fullPage: true });
        expect(desk.problems).toEqual([]);
        expect(phone.problems).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      "signing out forgets the token and stops polling",
      async () => {
        const operator = await openDashboard();
        const { page } = operator;
        await signedIn(page);
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.getByRole("heading", { name: "Sign in" }).waitFor({ state: "visible", timeout: 5_000 });
        expect(await page.locator("#live").isVisible()).toBe(false);
        expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
        const polls = operator.statsPolls;
        await page.waitForTimeout(3_000);
        expect(operator.statsPolls, "no polling once signed out").toBe(polls);
        await page.reload();
        await page.getByRole("heading", { name: "Sign in" }).waitFor({ state: "visible", timeout: 5_000 });
        expect(await page.locator("#live").isVisible(), "a reload does not sign in again").toBe(false);
        expect(operator.problems).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );
  },
);
