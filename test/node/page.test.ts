import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { ConfigError } from "../../worker/errors.ts";
import { formatWait } from "../../worker/http/pages/format.ts";
import {
  escapeHtml,
  PAUSED_NOTICE,
  type PageValues,
  PLACEHOLDERS,
  pageValues,
  renderTemplate,
} from "../../worker/http/pages/page.ts";
import { DEFAULT_TEMPLATE } from "../../worker/http/pages/template.ts";
import { queuedJson } from "../../worker/http/responses.ts";
import { QUEUED_VIEW } from "../support/views.ts";

const NONCE = "bm9uY2Utb2YtdGhlLXRlc3Q";
/** An English page with the default offer window. */
const PAGE = { language: "en", offerSeconds: 300 } as const;

const view = QUEUED_VIEW;

/** The strings the built-in page hands its script (the `data-text` JSON), as the browser reads them. */
function scriptTextOf(html: string): Record<string, string> {
  const attribute = /data-text="([^"]*)"/.exec(html)?.[1] ?? "{}";
  const json = attribute
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
  return JSON.parse(json) as Record<string, string>;
}

describe("holding page", () => {
  it("renders every figure into the built-in template, under 15 KB", () => {
    const html = renderTemplate(DEFAULT_TEMPLATE, pageValues(view, "default", NONCE, PAGE));
    expect(html).toContain('id="anteroom-position">1,234<');
    expect(html).toContain('id="anteroom-ahead">56<');
    expect(html).toContain('id="anteroom-eta">5 minutes<');
    expect(html).toContain('aria-valuenow="42"');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="10"></noscript>');
    expect(html).toContain('aria-live="polite"');
    expect(html).not.toMatch(/\{\{\s*\w+\s*\}\}/);
    expect(new TextEncoder().encode(html).length).toBeLessThan(15 * 1024);
  });

  it("escapes every value, in text and in attributes", () => {
    const template = '<p title="{{room}}">{{room}}</p><a href="{{statusUrl}}">{{notice}}</a>';
    const hostile = {
      ...pageValues(view, "x", NONCE, PAGE),
      room: `"><script>alert(1)</script>`,
      notice: "<img src=x onerror=alert(1)>",
    };
    const html = renderTemplate(template, hostile);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&quot;&gt;&lt;script&gt;");
  });

  it("leaves unknown placeholders alone in an operator's template", () => {
    expect(renderTemplate("{{position}} {{unknown}}", pageValues(view, "r", NONCE, PAGE))).toBe("1234 {{unknown}}");
  });

  it("says there is a delay instead of a wait when the store is not answering", () => {
    const values = pageValues({ ...view, delayed: true }, "r", NONCE, PAGE);
    expect(values.eta).toBe("updating…");
    expect(values.notice).toContain("delay");
  });

  it("says admission is paused when an operator paused it", () => {
    const values = pageValues({ ...view, paused: true }, "r", NONCE, PAGE);
    expect(values.eta).toBe("paused");
    expect(values.notice).toContain("paused");
  });

  it("says plainly that the room is paused and the place is kept, and promises no wait", () => {
    const values = pageValues({ ...view, etaSeconds: null, paused: true }, "r", NONCE, PAGE);
    expect(values.eta).toBe("paused");
    expect(values.etaSeconds).toBe("");
    expect(values.notice).toContain("The waiting room is paused");
    expect(values.notice).toContain("You keep your place");
    const html = renderTemplate(DEFAULT_TEMPLATE, values);
    expect(html).toContain('id="anteroom-eta">paused<');
    expect(html).toContain(`id="anteroom-notice">${values.notice}<`);
    // The page's own script, polling the status JSON, words the pause the same way: from the strings the page carries.
    expect(scriptTextOf(html).pausedNotice).toBe(PAUSED_NOTICE);
    expect(renderTemplate("[{{etaSeconds}}]", values)).toBe("[]");
  });

  it("leaves the wait out of the queued JSON while paused, and keeps it otherwise", () => {
    const paused = queuedJson({ ...view, etaSeconds: null, paused: true });
    expect(paused).toMatchObject({ state: "queued", position: 1234, ahead: 56, paused: true });
    expect(paused).not.toHaveProperty("etaSeconds");
    expect(queuedJson(view)).toMatchObject({ etaSeconds: 300, paused: false });
  });

  it("words waits the way people say them, in the page's language", () => {
    expect(formatWait(10, "en", "under a minute")).toBe("under a minute");
    expect(formatWait(60, "en", "")).toBe("1 minute");
    expect(formatWait(1500, "en", "")).toBe("25 minutes");
    expect(formatWait(3600 + 7 * 60, "en", "")).toBe("1 hr, 7 min");
    expect(formatWait(300, "sv", "")).toBe("5 minuter");
    expect(formatWait(120, "pl", "")).toBe("2 minuty");
    expect(formatWait(300, "pl", "")).toBe("5 minut");
  });

  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("puts the response's nonce on the built-in template's one <script> and one <style>, and nowhere else", () => {
    const html = renderTemplate(DEFAULT_TEMPLATE, pageValues(view, "default", NONCE, PAGE));
    expect(html.match(/<script\b[^>]*>/g)).toEqual([`<script nonce="${NONCE}">`]);
    expect(html.match(/<style\b[^>]*>/g)).toEqual([`<style nonce="${NONCE}">`]);
    // No inline handlers or style attributes: the CSP would block them.
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
  });

  it("offers {{nonce}} to operators' templates, escaped like every value", () => {
    expect(renderTemplate('<script nonce="{{nonce}}"></script>', pageValues(view, "r", NONCE, PAGE))).toBe(
      `<script nonce="${NONCE}"></script>`,
    );
    expect(renderTemplate("{{nonce}}", { ...pageValues(view, "r", NONCE, PAGE), nonce: '"><x' })).toBe(
      "&quot;&gt;&lt;x",
    );
  });
});

describe("holding page: XSS", () => {
  const PAYLOADS = [
    "<script>alert(1)</script>",
    '"><script>alert(document.cookie)</script>',
    "'><img src=x onerror=alert(1)>",
    "</style><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{nonce}}",
    "&lt;script&gt;",
  ];

  /** Every placeholder, in text and in both kinds of quoted attribute. */
  const EVERY_CONTEXT = PLACEHOLDERS.map(
    (name) => `<p data-a="{{${name}}}" data-b='{{${name}}}'>{{${name}}}</p><style>{{${name}}}</style>`,
  ).join("");

  /** Strings in every field, whatever its usual type: escaping must not depend on where a value came from. */
  function valuesOf(value: string): PageValues {
    return Object.fromEntries(PLACEHOLDERS.map((name) => [name, value])) as unknown as PageValues;
  }

  function unescapeHtml(html: string): string {
    return html
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  }

  it("escapes a payload in every placeholder, in text and attributes, of the built-in and an operator's template", () => {
    for (const payload of PAYLOADS) {
      const html = renderTemplate(EVERY_CONTEXT, valuesOf(payload));
      expect(html).not.toMatch(/<(?!\/?(?:p|style)\b)/);
      // Only the template's own quotes: no value closes an attribute.
      expect(html.split('"').length - 1).toBe(2 * PLACEHOLDERS.length);
      expect(html.split("'").length - 1).toBe(2 * PLACEHOLDERS.length);
      const builtIn = renderTemplate(DEFAULT_TEMPLATE, { ...valuesOf(payload), nonce: NONCE });
      expect(builtIn.match(/<script\b/g), payload).toHaveLength(1);
      expect(builtIn).not.toContain("<img");
      expect(builtIn).not.toContain("<svg");
    }
  });

  it("for any string in any placeholder: no markup character survives, and the text reads back exactly", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 64 }), fc.constantFrom(...PLACEHOLDERS), (value, name) => {
        const html = renderTemplate(`[{{${name}}}]`, { ...valuesOf("x"), [name]: value } as PageValues);
        expect(html).not.toMatch(/[<>"']/);
        expect(html).not.toMatch(/&(?!(?:lt|gt|quot|amp|#39);)/);
        expect(unescapeHtml(html)).toBe(`[${value}]`);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps a hostile ROOM out in the first place: the config refuses it, naming ROOM", () => {
    for (const room of ["<script>alert(1)</script>", 'a"b', "x y", "é"]) {
      expect(() => parseConfig({ ANTEROOM_ENV: "development", ROOM: room })).toThrow(ConfigError);
      expect(() => parseConfig({ ANTEROOM_ENV: "development", ROOM: room })).toThrow(/ROOM/);
    }
  });
});
