import type { Context, Handler } from "hono";
import { setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { type DetectorOptions, detectFromCookie, detectFromHeader } from "hono/language";
import { safeReturnPath } from "../tokens/turnstile.ts";
import { isLanguage, LANGUAGES, type Language } from "./pages/i18n/catalog.ts";

/**
 * The visitor's own choice of language (the pages' language menu sets it). Not a
 * secret and worth nothing to forge, so no `__Host-` prefix; Secure on https.
 */
export const LANGUAGE_COOKIE = "anteroom_lang";

/** A choice is remembered for a year. */
const LANGUAGE_COOKIE_SECONDS = 365 * 86_400;

/**
 * Turns a tag a browser sent into the tag the pages would answer it with, by
 * the language's likely script (`Intl.Locale#maximize`, CLDR's data): every
 * Norwegian (`no`, `nn`, `nb`) reads Bokmål; Chinese in Simplified script
 * (`zh`, `zh-CN`, `zh-SG`, `zh-Hans-*`) is `zh-Hans`, and in Traditional
 * (`zh-TW`, `zh-HK`, `zh-Hant`) is left unsupported rather than shown the
 * wrong script; anything else keeps its language (`pt-BR` → `pt`, `iw` → `he`).
 * Hono's detector then compares the result with the supported list; a tag
 * Intl cannot read throws, which the detector counts as no match.
 */
function likelyTag(tag: string): string {
  const locale = new Intl.Locale(tag).maximize();
  if (locale.language === "zh") return `zh-${locale.script ?? "Hans"}`;
  if (locale.language === "no" || locale.language === "nn") return "nb";
  return locale.language;
}

/** Hono's CSRF check: a form posted from this site only (its Origin or Sec-Fetch-Site says so). */
const SAME_SITE_ONLY = csrf();

/** Hono's language detector's options, built once: the supported list and the conversion above. */
const DETECTOR: DetectorOptions = {
  order: ["cookie", "header"],
  lookupQueryString: "lang",
  lookupCookie: LANGUAGE_COOKIE,
  lookupFromPathIndex: 0,
  lookupFromHeaderKey: "accept-language",
  caches: false,
  ignoreCase: true,
  fallbackLanguage: "en",
  supportedLanguages: [...LANGUAGES],
  convertDetectedLanguage: likelyTag,
};

/**
 * The language a page is rendered in: the visitor's own choice (the
 * language cookie, when it names a supported language; anything else in it
 * is ignored), else the best supported match for `Accept-Language` in order
 * of its quality values (Hono's `hono/language` detector; `q=0` excludes),
 * else the room's default. Only pages call this: JSON answers and admitted
 * requests never pay for it.
 *
 * @param fallback the room's default language (LANGUAGE).
 * @example
 * ```ts
 * pageLanguage(c, "en"); // "sv" for Accept-Language: sv-SE,en;q=0.8
 * ```
 */
export function pageLanguage(c: Context, fallback: Language): Language {
  const found = detectFromCookie(c, DETECTOR) ?? detectFromHeader(c, DETECTOR);
  return isLanguage(found) ? found : fallback;
}

/**
 * `POST /__anteroom/language` (the pages' language menu, a plain form, so it
 * works without JavaScript): remembers the visitor's choice in a cookie and
 * sends them back (303) to the page they were on: the form's `return` (the
 * pages' script fills it in), else the same-origin Referer, a path on this
 * site only either way.
 * A language the pages do not speak is refused with 400 and a list of those
 * they do; a form posted from another site (Hono's `csrf` check: Origin or
 * Sec-Fetch-Site) with 403 `cross_site`, so no other site can switch a
 * visitor's language; nothing is set either way.
 *
 * @example
 * ```ts
 * app.post("/__anteroom/language", languageChoice());
 * ```
 */
export function languageChoice(): Handler {
  return async function languageChoice(c) {
    c.header("Cache-Control", "no-store");
    try {
      await SAME_SITE_ONLY(c, async () => {});
    } catch {
      const message = "The language can only be chosen from this site's own pages.";
      return c.json({ error: { code: "cross_site", message } }, 403);
    }
    let form: FormData | null = null;
    try {
      form = await c.req.formData();
    } catch {
      form = null;
    }
    const language = form?.get("lang");
    if (!isLanguage(language)) {
      const message = `Choose one of the supported languages: ${LANGUAGES.join(", ")}.`;
      return c.json({ error: { code: "unknown_language", message } }, 400);
    }
    setCookie(c, LANGUAGE_COOKIE, language, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: c.req.url.startsWith("https:"),
      maxAge: LANGUAGE_COOKIE_SECONDS,
    });
    const wanted = form?.get("return");
    return c.redirect(safeReturnPath(typeof wanted === "string" && wanted !== "" ? wanted : refererPath(c)), 303);
  };
}

/** The path and query of a same-origin Referer (the page whose menu was used), else the site's root. */
function refererPath(c: Context): string {
  try {
    const referer = new URL(c.req.header("referer") ?? "");
    return referer.origin === new URL(c.req.url).origin ? referer.pathname + referer.search : "/";
  } catch {
    return "/";
  }
}
