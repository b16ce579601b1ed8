import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/**
 * The Chromium the end-to-end tests drive: Debian's package by default
 * (`apt-get install chromium`); CHROMIUM_PATH points elsewhere. Playwright's
 * own browser download is not used.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Whether the browser is installed; the e2e suite is skipped (with a message) when it is not. */
export const hasChromium = existsSync(CHROMIUM_PATH);

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts headless Chromium (Playwright gives it a fresh temporary profile).
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await (await browser.newContext()).newPage();
 * ```
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}
