import { describe, expect, it } from "vitest";
import type { QueuedView } from "../../worker/gate.ts";
import { escapeHtml, humanWait, pageValues, renderTemplate } from "../../worker/page/page.ts";
import { DEFAULT_TEMPLATE } from "../../worker/page/template.ts";

const view: QueuedView = {
  position: 1234,
  ahead: 56,
  etaSeconds: 300,
  refreshSeconds: 10,
  progress: 0.42,
  delayed: false,
  paused: false,
};

describe("holding page", () => {
  it("renders every figure into the built-in template, under 15 KB", () => {
    const html = renderTemplate(DEFAULT_TEMPLATE, pageValues(view, "default"));
    expect(html).toContain('id="anteroom-position">1234<');
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
      ...pageValues(view, "x"),
      room: `"><script>alert(1)</script>`,
      notice: "<img src=x onerror=alert(1)>",
    };
    const html = renderTemplate(template, hostile);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&quot;&gt;&lt;script&gt;");
  });

  it("leaves unknown placeholders alone in an operator's template", () => {
    expect(renderTemplate("{{position}} {{unknown}}", pageValues(view, "r"))).toBe("1234 {{unknown}}");
  });

  it("says there is a delay instead of a wait when the store is not answering", () => {
    const values = pageValues({ ...view, delayed: true }, "r");
    expect(values.eta).toBe("updating…");
    expect(values.notice).toContain("delay");
  });

  it("says admission is paused when an operator paused it", () => {
    const values = pageValues({ ...view, paused: true }, "r");
    expect(values.eta).toBe("paused");
    expect(values.notice).toContain("paused");
  });

  it("words waits the way people say them", () => {
    expect(humanWait(10)).toBe("under a minute");
    expect(humanWait(60)).toBe("1 minute");
    expect(humanWait(1500)).toBe("25 minutes");
    expect(humanWait(3600 + 7 * 60)).toBe("1 h 07 min");
  });

  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
