import { ar } from "./ar.ts";
import { da } from "./da.ts";
import { de } from "./de.ts";
import { en, type Text, type TextKey } from "./en.ts";
import { es } from "./es.ts";
import { fi } from "./fi.ts";
import { fr } from "./fr.ts";
import { he } from "./he.ts";
import { it } from "./it.ts";
import { ja } from "./ja.ts";
import { ko } from "./ko.ts";
import { nb } from "./nb.ts";
import { nl } from "./nl.ts";
import { pl } from "./pl.ts";
import { pt } from "./pt.ts";
import { sv } from "./sv.ts";
import { zhHans } from "./zh-Hans.ts";

/**
 * The languages the visitor pages speak, by BCP 47 tag, in the order the
 * language menu lists them. Adding one: a file like `sv.ts` (every key of
 * `en.ts`, the same `{placeholders}`), its line in {@link TEXTS}, and its tag
 * here (and in {@link RIGHT_TO_LEFT} if it is written right to left).
 */
export const LANGUAGES = [
  "en",
  "sv",
  "nb",
  "da",
  "fi",
  "de",
  "fr",
  "es",
  "it",
  "pt",
  "nl",
  "pl",
  "ja",
  "zh-Hans",
  "ko",
  "ar",
  "he",
] as const;

/** One of {@link LANGUAGES}. */
export type Language = (typeof LANGUAGES)[number];

/** Every language's strings (the worker renders any of them; a page carries only its own). */
export const TEXTS: { readonly [L in Language]: Text } = {
  en,
  sv,
  nb,
  da,
  fi,
  de,
  fr,
  es,
  it,
  pt,
  nl,
  pl,
  ja,
  "zh-Hans": zhHans,
  ko,
  ar,
  he,
};

/** Languages written right to left: their pages get `dir="rtl"` and a mirrored layout. */
const RIGHT_TO_LEFT: ReadonlySet<Language> = new Set<Language>(["ar", "he"]);

/**
 * The strings the holding page's script uses (its live announcements, the
 * turn notice); the page sends these, in its own language only, as a JSON
 * blob in `data-text`.
 */
export const SCRIPT_KEYS = [
  "waitUnderMinute",
  "waitPaused",
  "waitUpdating",
  "pausedNotice",
  "delayedNotice",
  "turnNow",
  "turnTitle",
  "turnHidden",
  "turnNotification",
  "turnLapsed",
] as const satisfies readonly TextKey[];

/**
 * Whether a value names a supported language exactly (a cookie, a form field).
 *
 * @example
 * ```ts
 * isLanguage("sv"); // true
 * isLanguage("sv-SE"); // false: only the tags of LANGUAGES
 * ```
 */
export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * A language's writing direction, for `<html dir>`.
 *
 * @example
 * ```ts
 * directionOf("he"); // "rtl"
 * ```
 */
export function directionOf(language: Language): "ltr" | "rtl" {
  return RIGHT_TO_LEFT.has(language) ? "rtl" : "ltr";
}

export type { Text, TextKey };
