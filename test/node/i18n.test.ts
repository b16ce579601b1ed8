import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { LANGUAGE_COOKIE, languageChoice, pageLanguage } from "../../worker/http/language.ts";
import { renderChallenge } from "../../worker/http/pages/challenge.ts";
import { renderCountdown } from "../../worker/http/pages/countdown.ts";
import { directionOf, LANGUAGES, type Language, SCRIPT_KEYS, TEXTS } from "../../worker/http/pages/i18n/catalog.ts";
import { en } from "../../worker/http/pages/i18n/en.ts";
import { pageValues, renderTemplate } from "../../worker/http/pages/page.ts";
import { DEFAULT_TEMPLATE } from "../../worker/http/pages/template.ts";
import { QUEUED_VIEW } from "../support/views.ts";

const I18N = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "worker", "http", "pages", "i18n");
const NONCE = "bm9uY2Utb2YtdGhlLXRlc3Q";
const view = QUEUED_VIEW;

/** The `{name}` placeholders of a string, sorted. */
function placeholdersOf(text: string): string[] {
  return [...text.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1] ?? "").sort();
}

describe("translations", () => {
  it("has a file for every language, and every file is a language", () => {
    const files = readdirSync(I18N)
      .filter((name) => name.endsWith(".ts") && name !== "catalog.ts")
      .map((name) => name.slice(0, -3))
      .sort();
    expect(files).toEqual([...LANGUAGES].sort());
    expect(LANGUAGES.length).toBeGreaterThanOrEqual(17);
  });

  it("gives every language exactly English's keys, each with English's placeholders, none empty", () => {
    const problems: string[] = [];
    const keys = Object.keys(en).sort();
    for (const language of LANGUAGES) {
      const text = TEXTS[language] as Record<string, string>;
      const own = Object.keys(text).sort();
      for (const key of keys) if (!own.includes(key)) problems.push(`${language} lacks ${key}`);
      for (const key of own) if (!keys.includes(key)) problems.push(`${language} has an extra key ${key}`);
      for (const key of keys) {
        const value = text[key];
        if (value === undefined) continue;
        if (value.trim() === "") problems.push(`${language}.${key} is empty`);
        const want = placeholdersOf(en[key as keyof typeof en]);
        const got = placeholdersOf(value);
        if (JSON.stringify(want) !== JSON.stringify(got))
          problems.push(
            `${language}.${key} has placeholders ${got.join(",") || "none"}, English ${want.join(",") || "none"}`,
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it("catches a missing key, an extra key and a changed placeholder (the check above can fail)", () => {
    const broken = { ...TEXTS.sv, offerWindow: "Du har {tid} på dig.", extra: "x" } as Record<string, string>;
    delete broken.comeIn;
    const own = Object.keys(broken);
    expect(Object.keys(en).filter((key) => !own.includes(key))).toEqual(["comeIn"]);
    expect(own.filter((key) => !(key in en))).toEqual(["extra"]);
    expect(placeholdersOf(broken.offerWindow ?? "")).not.toEqual(placeholdersOf(en.offerWindow));
  });

  it("records in each file which strings a fluent speaker reviewed (none yet), naming only real keys", async () => {
    for (const language of LANGUAGES) {
      const module = (await import(join(I18N, `${language}.ts`))) as { reviewed?: unknown };
      expect(Array.isArray(module.reviewed), `${language}.ts exports reviewed`).toBe(true);
      for (const key of module.reviewed as string[]) expect(Object.keys(en)).toContain(key);
    }
  });

  it("says each language's name in that language, all different", () => {
    const names = LANGUAGES.map((language) => TEXTS[language].languageName);
    expect(new Set(names).size).toBe(LANGUAGES.length);
    expect(TEXTS.sv.languageName).toBe("Svenska");
    expect(TEXTS.ja.languageName).toBe("日本語");
  });
});

describe("the visitor's language", () => {
  /** A page handler that answers with the language it would render in. */
  function app(fallback: Language = "en") {
    const hono = new Hono();
    hono.get("/", (c) => c.text(pageLanguage(c, fallback)));
    return hono;
  }
  async function chosen(headers: Record<string, string>, fallback: Language = "en"): Promise<string> {
    return (await app(fallback).request("/", { headers })).text();
  }

  it.each([
    ["sv-SE,sv;q=0.9,en;q=0.8", "sv"],
    ["fr;q=0.5, de;q=0.9, en;q=0.1", "de"],
    ["de;q=0, it", "it"],
    ["nb-NO", "nb"],
    ["no", "nb"],
    ["nn-NO,en;q=0.5", "nb"],
    ["zh-CN,zh;q=0.9", "zh-Hans"],
    ["zh-Hans-SG", "zh-Hans"],
    ["zh", "zh-Hans"],
    ["zh-TW,ja;q=0.5", "ja"],
    ["pt-BR,pt;q=0.9", "pt"],
    ["iw", "he"],
    ["AR-eg", "ar"],
    ["en-GB", "en"],
  ])("Accept-Language %s reads as %s", async (header, language) => {
    expect(await chosen({ "accept-language": header }, "fi")).toBe(language);
  });

  it.each([["tlh, xx;q=0.8"], ["zh-TW"], ["*"], [""], ["sv;q=0"], ["garbage;;;q=abc,,"]])(
    "falls back to the room's default for %j",
    async (header) => {
      expect(await chosen({ "accept-language": header }, "de")).toBe("de");
      expect(await chosen({}, "ko")).toBe("ko");
    },
  );

  it("lets the visitor's own choice (the cookie) beat Accept-Language, and ignores a cookie naming no language", async () => {
    const header = { "accept-language": "sv" };
    expect(await chosen({ ...header, cookie: `${LANGUAGE_COOKIE}=ja` })).toBe("ja");
    expect(await chosen({ ...header, cookie: `${LANGUAGE_COOKIE}=zh-hans` })).toBe("zh-Hans");
    for (const bad of ["klingon", "%3Cscript%3E", "sv-XX-", "", "-", "x".repeat(300)]) {
      expect(await chosen({ ...header, cookie: `${LANGUAGE_COOKIE}=${bad}` }), bad).toBe("sv");
    }
  });
});

describe("the language menu's endpoint", () => {
  const hono = new Hono();
  hono.post("/__anteroom/language", languageChoice());
  const post = (form: Record<string, string>, url = "http://room.test/__anteroom/language") =>
    hono.request(url, { method: "POST", headers: { origin: new URL(url).origin }, body: new URLSearchParams(form) });

  it("remembers a supported language for a year and sends the visitor back to their page", async () => {
    const res = await post({ lang: "ar", return: "/register?x=1" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/register?x=1");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(new RegExp(`^${LANGUAGE_COOKIE}=ar;`));
    expect(cookie).toContain("Max-Age=31536000");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).not.toContain("Secure");
    const secure = await post({ lang: "sv", return: "/" }, "https://room.test/__anteroom/language");
    expect(secure.headers.get("set-cookie")).toContain("Secure");
  });

  it("refuses a form posted from another site (403 cross_site), so no site can switch a visitor's language", async () => {
    const from = (headers: Record<string, string>) =>
      hono.request("http://room.test/__anteroom/language", {
        method: "POST",
        headers,
        body: new URLSearchParams({ lang: "ar", return: "/" }),
      });
    for (const headers of [{ origin: "http://evil.test" }, { "sec-fetch-site": "cross-site" }, {}]) {
      const res = await from(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("cross_site");
    }
    expect((await from({ "sec-fetch-site": "same-origin" })).status).toBe(303);
  });

  it("without a return field, sends the visitor back to a same-origin Referer, else to the root", async () => {
    const back = (referer: string) =>
      hono.request("http://room.test/__anteroom/language", {
        method: "POST",
        headers: { referer, origin: "http://room.test" },
        body: new URLSearchParams({ lang: "sv" }),
      });
    expect((await back("http://room.test/register?from=tv")).headers.get("location")).toBe("/register?from=tv");
    expect((await back("http://evil.test/register")).headers.get("location")).toBe("/");
    expect((await back("not a url")).headers.get("location")).toBe("/");
  });

  it("sends the visitor back only to a path on this site", async () => {
    for (const away of ["//evil.test/x", "https://evil.test/", "\\\\evil", "javascript:alert(1)"]) {
      expect((await post({ lang: "sv", return: away })).headers.get("location"), away).toBe("/");
    }
  });

  it("refuses a language the pages do not speak with 400 naming the supported ones, and sets nothing", async () => {
    for (const form of [{ lang: "tlh" }, { lang: "sv-SE" }, {}, { lang: "<script>" }]) {
      const res = await post(form as Record<string, string>);
      expect(res.status).toBe(400);
      expect(res.headers.get("set-cookie")).toBeNull();
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unknown_language");
      expect(body.error.message).toContain("zh-Hans");
    }
    const garbled = await hono.request("http://room.test/__anteroom/language", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x", "sec-fetch-site": "same-origin" },
      body: "not multipart",
    });
    expect(garbled.status).toBe(400);
  });
});

describe("pages in the visitor's language", () => {
  const holding = (language: Language) =>
    renderTemplate(DEFAULT_TEMPLATE, pageValues(view, "r", NONCE, { language, offerSeconds: 300 }));

  it("renders every language's holding page with its lang, direction, words and number format", () => {
    for (const language of LANGUAGES) {
      const html = holding(language);
      expect(html).toContain(`<html lang="${language}" dir="${directionOf(language)}">`);
      expect(html).toContain(`<h1>${TEXTS[language].holdingTitle}</h1>`);
      const digits = new Intl.NumberFormat(language).format(1234);
      expect(html, language).toContain(`id="anteroom-position">${digits}<`);
    }
    expect(directionOf("ar")).toBe("rtl");
    expect(directionOf("he")).toBe("rtl");
    expect(directionOf("sv")).toBe("ltr");
  });

  it("writes Swedish numbers and waits the Swedish way, and sends the script only Swedish strings", () => {
    const html = holding("sv");
    expect(html).toContain('id="anteroom-position">1\u00a0234<');
    expect(html).toContain('id="anteroom-eta">5 minuter<');
    expect(html).toContain("När det är din tur har du 5 minuter på dig att komma in.");
    const attribute = /data-text="([^"]*)"/.exec(html)?.[1] ?? "";
    const sent = JSON.parse(
      attribute
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, "&"),
    ) as object;
    expect(sent).toEqual(Object.fromEntries(SCRIPT_KEYS.map((key) => [key, TEXTS.sv[key]])));
    expect(html).not.toContain(en.holdingLead);
    expect(html).not.toContain(en.pausedNotice);
  });

  it("offers the translated strings to operators' templates as {{text.<key>}}, with the offer window filled in", () => {
    const values = pageValues(view, "r", NONCE, { language: "de", offerSeconds: 120 });
    expect(renderTemplate("<h1>{{text.holdingTitle}}</h1><p>{{text.offerWindow}}</p>", values)).toBe(
      "<h1>Sie sind in der Warteschlange</h1><p>Wenn Sie an der Reihe sind, haben Sie 2 Minuten, um hereinzukommen.</p>",
    );
    expect(renderTemplate("{{lang}} {{dir}} {{offerSeconds}} {{text.nope}}", values)).toBe("de ltr 120 {{text.nope}}");
  });

  it("puts the language menu on the holding page: a form posting to the room, every language named in itself", () => {
    const html = holding("ja");
    expect(html).toContain('<form method="post" action="/__anteroom/language">');
    // The page reflects nothing of the request: its script fills in where to come back to.
    expect(html).toContain('<input type="hidden" name="return" value="">');
    for (const language of LANGUAGES)
      expect(html).toContain(`value="${language}" lang="${language}">${TEXTS[language].languageName}</button>`);
    expect(html).toContain("<summary>言語: 日本語</summary>");
  });

  it("renders the countdown and the challenge in the visitor's language and direction", () => {
    const countdown = renderCountdown(
      { startsAt: Date.UTC(2026, 11, 24, 18), secondsToStart: 4000, refreshSeconds: 30, delayed: true },
      "r",
      NONCE,
      { language: "ja" },
    );
    expect(countdown).toContain('<html lang="ja" dir="ltr">');
    expect(countdown).toContain(TEXTS.ja.countdownTitle);
    expect(countdown).toContain(TEXTS.ja.countdownDelayed);
    expect(countdown).toContain('<time datetime="2026-12-24T18:00:00.000Z"');
    const challenge = renderChallenge({
      siteKey: "k",
      returnPath: "/",
      room: "r",
      nonce: NONCE,
      notice: "challengeFailed",
      language: "he",
    });
    expect(challenge).toContain('<html lang="he" dir="rtl">');
    expect(challenge).toContain(TEXTS.he.challengeFailed);
  });

  it("reads LANGUAGE from the config, refusing one the pages do not speak by name", () => {
    const base = {
      ANTEROOM_ENV: "development",
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079/",
      UPSTASH_REDIS_REST_TOKEN: "local-dev-token",
    };
    expect(parseConfig(base).language).toBe("en");
    expect(parseConfig({ ...base, LANGUAGE: "zh-Hans" }).language).toBe("zh-Hans");
    expect(() => parseConfig({ ...base, LANGUAGE: "sv-SE" })).toThrow(/LANGUAGE must be one of en, sv, .*"sv-SE"/);
  });
});
