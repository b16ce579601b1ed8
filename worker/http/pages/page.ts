import type { QueuedView } from "../../gate/gate.ts";
import { fill, formatWait } from "./format.ts";
import { directionOf, LANGUAGES, type Language, SCRIPT_KEYS, TEXTS, type Text, type TextKey } from "./i18n/catalog.ts";
import { en } from "./i18n/en.ts";

/** Every translated string, as the placeholder `{{text.<key>}}` (e.g. `{{text.holdingTitle}}`). */
export type TextValues = { readonly [K in TextKey as `text.${K}`]: string };

/** Values a holding page template may use, each as {{name}}. */
export interface PageValues extends TextValues {
  readonly position: number;
  readonly ahead: number;
  /** The position and the number ahead as the visitor's language writes numbers ("1 234" in Swedish). */
  readonly positionText: string;
  readonly aheadText: string;
  /** Human wait in the visitor's language, e.g. "4 minutes"; "paused" while the room is paused. */
  readonly eta: string;
  /** The estimated wait in seconds; empty while the room is paused (it promises none). */
  readonly etaSeconds: number | "";
  readonly progressPercent: number;
  readonly refreshSeconds: number;
  readonly statusUrl: string;
  /** A sentence about a delay, or empty. */
  readonly notice: string;
  readonly room: string;
  /**
   * This response's CSP nonce: inline `<script>` and `<style>` tags run only
   * with `nonce="{{nonce}}"` (see `headers.ts`).
   */
  readonly nonce: string;
  /** The page's language (`<html lang>`), a BCP 47 tag such as `sv` or `zh-Hans`. */
  readonly lang: string;
  /** `ltr` or `rtl` (`<html dir>`). */
  readonly dir: string;
  /** The language's name in itself, for the language menu's summary. */
  readonly languageName: string;
  /** How long a visitor whose turn came has to come in, in seconds, and in words. */
  readonly offerSeconds: number;
  readonly offerText: string;
  /** The script's strings in this language, as JSON (for a `data-` attribute; the page parses it). */
  readonly scriptText: string;
}

/** The placeholders a template may contain; anything else in braces is left alone. */
export const PLACEHOLDERS: readonly (keyof PageValues)[] = [
  "position",
  "ahead",
  "positionText",
  "aheadText",
  "eta",
  "etaSeconds",
  "progressPercent",
  "refreshSeconds",
  "statusUrl",
  "notice",
  "room",
  "nonce",
  "lang",
  "dir",
  "languageName",
  "offerSeconds",
  "offerText",
  "scriptText",
  ...(Object.keys(en) as TextKey[]).map((key) => `text.${key}` as const),
];

const KNOWN: ReadonlySet<string> = new Set(PLACEHOLDERS);

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** HTML-escapes a value for text or a quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * Fills a template. Every value is HTML-escaped, whatever its source, so an
 * operator's template can put any placeholder in text or in a quoted attribute.
 *
 * @example
 * ```ts
 * renderTemplate("<p>{{position}}</p>", values); // "<p>42</p>"
 * ```
 */
export function renderTemplate(template: string, values: PageValues): string {
  return template.replace(/\{\{\s*([A-Za-z]+(?:\.[A-Za-z]+)?)\s*\}\}/g, (match, name: string) =>
    KNOWN.has(name) ? escapeHtml(String(values[name as keyof PageValues])) : match,
  );
}

/** What a page needs to know besides the visitor's standing: their language and the offer window. */
export interface PageContext {
  readonly language: Language;
  /** How long a visitor whose turn came has to come in (OFFER_SECONDS). */
  readonly offerSeconds: number;
}

/**
 * Page values for a waiting visitor.
 *
 * @param nonce the response's CSP nonce, from `securePage(c)`.
 * @example
 * ```ts
 * renderTemplate(template, pageValues(verdict.view, config.room, securePage(c), { language: "sv", offerSeconds: 300 }));
 * ```
 */
export function pageValues(view: QueuedView, room: string, nonce: string, page: PageContext): PageValues {
  const { language } = page;
  const text = TEXTS[language];
  // A paused room promises no wait.
  const etaSeconds = view.paused ? null : view.etaSeconds;
  const number = new Intl.NumberFormat(language);
  const offerText = formatWait(page.offerSeconds, language, text.waitUnderMinute);
  const eta =
    etaSeconds === null
      ? text.waitPaused
      : view.delayed
        ? text.waitUpdating
        : formatWait(etaSeconds, language, text.waitUnderMinute);
  return {
    position: view.position,
    ahead: view.ahead,
    positionText: number.format(view.position),
    aheadText: number.format(view.ahead),
    eta,
    etaSeconds: etaSeconds ?? "",
    progressPercent: Math.round(view.progress * 100),
    refreshSeconds: view.refreshSeconds,
    // The room's own status: with ROOMS, a visitor may wait in several (http/status.ts).
    statusUrl: `/__anteroom/status?room=${encodeURIComponent(room)}`,
    notice: noticeOf(view, text),
    room,
    nonce,
    lang: language,
    dir: directionOf(language),
    languageName: text.languageName,
    offerSeconds: page.offerSeconds,
    offerText,
    scriptText: scriptText(language),
    ...textValues(text, { time: offerText, wait: eta }),
  };
}

/** Every string of a language as `text.<key>`, its `{placeholders}` filled. */
function textValues(text: Text, values: Readonly<Record<string, string>>): TextValues {
  return Object.fromEntries(
    Object.entries(text).map(([key, value]) => [`text.${key}`, fill(value, values)]),
  ) as unknown as TextValues;
}

/** The script's strings (catalog.ts SCRIPT_KEYS) of one language, as JSON, each language's computed once. */
const SCRIPT_TEXT = new Map<Language, string>(
  LANGUAGES.map((language) => [
    language,
    JSON.stringify(Object.fromEntries(SCRIPT_KEYS.map((key) => [key, TEXTS[language][key]]))),
  ]),
);

function scriptText(language: Language): string {
  return SCRIPT_TEXT.get(language) ?? "{}";
}

/** What the page says while an operator has paused the room, in English (the reference; see i18n/). */
export const PAUSED_NOTICE = en.pausedNotice;
/** What the page says while the store is not answering, in English. */
export const DELAYED_NOTICE = en.delayedNotice;

/** A sentence about why the line is not moving, if it is not, in the page's language. */
export function noticeOf(view: Pick<QueuedView, "delayed" | "paused">, text: Text = en): string {
  if (view.paused) return text.pausedNotice;
  if (view.delayed) return text.delayedNotice;
  return "";
}

/**
 * The language menu: a plain form posting to `/__anteroom/language` (it works
 * without JavaScript), one button per language, each labelled in its own
 * language. The arguments go in as they are: pass escaped text, or template
 * placeholders. The page the visitor returns to is `returnPath` when given;
 * the pages that reflect nothing of the request leave it empty and their
 * script fills it in (without JavaScript the endpoint uses the same-origin
 * Referer).
 *
 * @example
 * ```ts
 * languageMenu("{{text.languageLabel}}", "{{languageName}}");
 * ```
 */
export function languageMenu(label: string, current: string, returnPath = ""): string {
  const buttons = LANGUAGES.map(
    (language) => `<button name="lang" value="${language}" lang="${language}">${TEXTS[language].languageName}</button>`,
  ).join("");
  return `<details class="anteroom-lang"><summary>${label}: ${current}</summary><form method="post" action="/__anteroom/language"><input type="hidden" name="return" value="${returnPath}">${buttons}</form></details>`;
}

/** The language menu's style (logical properties: it sits at the reading end in both directions). */
export const LANGUAGE_MENU_STYLE =
  ".anteroom-lang{position:absolute;inset-block-start:.5rem;inset-inline-end:.75rem;font-size:.9rem;max-width:20rem;text-align:end}.anteroom-lang summary{cursor:pointer}.anteroom-lang form{display:flex;flex-wrap:wrap;gap:.25rem;justify-content:flex-end;margin-block-start:.25rem}.anteroom-lang button{font:inherit;padding:.15rem .45rem}";

/**
 * The start of every small page the worker writes itself, up to and including
 * its title: doctype, language and direction, charset, phone viewport, and
 * noindex (a waiting room's pages have nothing for search engines).
 *
 * @example
 * ```ts
 * `${pageStart("Opening soon", "en")}\n<style nonce="...">...</style>\n</head>...`;
 * ```
 */
export function pageStart(title: string, language: Language): string {
  return `<!doctype html>
<html lang="${language}" dir="${directionOf(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>`;
}
