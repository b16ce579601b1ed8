import { TURNSTILE_ORIGIN } from "../../tokens/turnstile.ts";
import { type Language, TEXTS, type TextKey } from "./i18n/catalog.ts";
import { escapeHtml, LANGUAGE_MENU_STYLE, languageMenu, pageStart } from "./page.ts";

/** Why the challenge is shown again, as the key of the sentence the page says. */
export type ChallengeNotice = Extract<TextKey, "challengeFailed" | "challengeUnavailable">;

/**
 * The Turnstile page: one widget and a button, shown to a newcomer before a
 * ticket is issued (only when TURNSTILE_SITE_KEY is set), in the visitor's
 * language. The form posts the widget's answer to
 * `/__anteroom/turnstile?room=ROOM`, which checks it with Cloudflare, sets
 * that room's proof and sends the visitor back to `returnPath` (a path on this
 * site only). The room is named in the address, as the waiting page's status
 * poll names it: a browser that sends no Referer would otherwise have its
 * answer taken for the first room, and meet this room's challenge again.
 *
 * @example
 * ```ts
 * c.html(renderChallenge({ siteKey, returnPath: "/shop", room: "shop", nonce: securePage(c, TURNSTILE_ORIGIN), notice: null, language: "de" }));
 * ```
 */
export function renderChallenge(values: {
  readonly siteKey: string;
  readonly returnPath: string;
  /** The room whose challenge this is (RoomConfig `room`); null leaves the endpoint to pick it (Referer, else the first). */
  readonly room: string | null;
  readonly nonce: string;
  readonly notice: ChallengeNotice | null;
  readonly language: Language;
}): string {
  const nonce = escapeHtml(values.nonce);
  const text = TEXTS[values.language];
  const returnPath = escapeHtml(values.returnPath);
  const query = values.room === null ? "" : `?room=${encodeURIComponent(values.room)}`;
  const action = escapeHtml(`/__anteroom/turnstile${query}`);
  return `${pageStart(text.challengeTitle, values.language)}
<script nonce="${nonce}" src="${TURNSTILE_ORIGIN}/turnstile/v0/api.js" async defer></script>
<style nonce="${nonce}">
body{margin:0;font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;display:flex;min-height:100vh;align-items:center;justify-content:center;padding:3rem 1rem 1rem}
main{max-width:32rem;width:100%}
.notice{border-inline-start:4px solid #b35c00;padding:.25rem .75rem}
.notice:empty{display:none}
${LANGUAGE_MENU_STYLE}
</style>
</head>
<body>
${languageMenu(escapeHtml(text.languageLabel), escapeHtml(text.languageName), returnPath)}
<main>
<h1>${escapeHtml(text.challengeTitle)}</h1>
<p>${escapeHtml(text.challengeLead)}</p>
<form method="post" action="${action}">
<input type="hidden" name="return" value="${returnPath}">
<div class="cf-turnstile" data-sitekey="${escapeHtml(values.siteKey)}"></div>
<p><button type="submit">${escapeHtml(text.challengeContinue)}</button></p>
</form>
<p class="notice" role="alert">${values.notice ? escapeHtml(text[values.notice]) : ""}</p>
</main>
</body>
</html>`;
}
