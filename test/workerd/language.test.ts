import { describe, expect, it } from "vitest";
import { testRoom, Visitor } from "./helpers.ts";

// The visitor's language through the real worker in workerd: the holding page a
// browser gets, chosen by Accept-Language, by the menu's cookie, or by LANGUAGE.

/** A room with one visitor let in already, so the next ones wait and get the holding page. */
async function busyRoom(settings: Record<string, string> = {}) {
  const room = await testRoom({ ADMIT_PER_MINUTE: "60", ...settings });
  expect((await room.request(new Visitor(), "/")).status).toBe(200);
  return room;
}

/** The `<html>` tag and the heading of a page. */
function heading(html: string): { html: string; h1: string } {
  return { html: /<html[^>]*>/.exec(html)?.[0] ?? "", h1: /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? "" };
}

describe("the holding page in the visitor's language", () => {
  it("speaks the best Accept-Language match (quality values, likely scripts), else the room's LANGUAGE", async () => {
    const room = await busyRoom({ LANGUAGE: "de" });
    const cases: [string | null, string, string][] = [
      ["sv-SE,sv;q=0.9,en;q=0.8", '<html lang="sv" dir="ltr">', "Du står i kö"],
      ["fr;q=0.3, nn;q=0.9", '<html lang="nb" dir="ltr">', "Du står i kø"],
      ["zh-CN", '<html lang="zh-Hans" dir="ltr">', "您正在排队"],
      ["zh-TW, ar;q=0.5", '<html lang="ar" dir="rtl">', "أنت في قائمة الانتظار"],
      ["pt-BR", '<html lang="pt" dir="ltr">', "Está na fila"],
      ["tlh, x-klingon;q=0.9", '<html lang="de" dir="ltr">', "Sie sind in der Warteschlange"],
      [null, '<html lang="de" dir="ltr">', "Sie sind in der Warteschlange"],
    ];
    for (const [header, tag, title] of cases) {
      const headers: Record<string, string> = header === null ? {} : { "accept-language": header };
      const page = await room.request(new Visitor(), "/register", { headers });
      expect(page.status, String(header)).toBe(200);
      expect(heading(await page.text()), String(header)).toEqual({ html: tag, h1: title });
    }
  });

  it("keeps the visitor's own choice from the menu over Accept-Language, and ignores a bad cookie", async () => {
    const room = await busyRoom();
    const visitor = new Visitor();
    const swedish = { "accept-language": "sv" };
    const first = await room.request(visitor, "/register?from=tv", { headers: swedish });
    expect(heading(await first.text()).h1).toBe("Du står i kö");

    const body = new URLSearchParams({ lang: "he", return: "/register?from=tv" });
    const origin = { origin: "http://room.test" };
    const chosen = await room.request(visitor, "/__anteroom/language", { method: "POST", body, headers: origin });
    expect(chosen.status).toBe(303);
    expect(chosen.headers.get("location")).toBe("/register?from=tv");
    expect(visitor.cookies.get("anteroom_lang")).toBe("he");

    const again = await room.request(visitor, "/register?from=tv", { headers: swedish });
    const html = await again.text();
    expect(heading(html)).toEqual({ html: '<html lang="he" dir="rtl">', h1: "אתם בתור" });
    // Still the same place in line: choosing a language costs nothing.
    expect(/id="anteroom-position">([^<]*)</.exec(html)?.[1]).toBe("2");

    visitor.cookies.set("anteroom_lang", "klingon");
    expect(heading(await (await room.request(visitor, "/register", { headers: swedish })).text()).h1).toBe(
      "Du står i kö",
    );
  });

  it("refuses an unknown language with 400 JSON and leaves the visitor's cookie alone", async () => {
    const room = await busyRoom();
    const visitor = new Visitor();
    visitor.cookies.set("anteroom_lang", "fi");
    const body = new URLSearchParams({ lang: "xx", return: "/" });
    const headers = { origin: "http://room.test" };
    const res = await room.request(visitor, "/__anteroom/language", { method: "POST", body, headers });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unknown_language");
    expect(visitor.cookies.get("anteroom_lang")).toBe("fi");
  });

  it("formats waits and numbers with Intl in workerd as in the browser (DurationFormat, plural rules)", async () => {
    const room = await busyRoom();
    const page = await room.request(new Visitor(), "/register", { headers: { "accept-language": "pl" } });
    const html = await page.text();
    expect(/id="anteroom-eta">([^<]*)</.exec(html)?.[1]).toMatch(/^(mniej niż minuta|\d+ minut[ay]?)$/);
    expect(typeof (Intl as unknown as { DurationFormat?: unknown }).DurationFormat).toBe("function");
  });
});
