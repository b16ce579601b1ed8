import type { CountdownView } from "../../gate/gate.ts";
import { fill, formatClock, formatWait } from "./format.ts";
import { type Language, TEXTS } from "./i18n/catalog.ts";
import { escapeHtml, LANGUAGE_MENU_STYLE, languageMenu, pageStart } from "./page.ts";

/** How the opening time is written: the server's in UTC, the page's script's in the visitor's own time zone. */
const OPENING_FORMAT = {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
} as const;

/**
 * The pre-queue page: a countdown to an event's start, with the promise that
 * matters to people who came early: arriving earlier gives no better place
 * (everyone here is placed in a random order at the start, ahead of anyone
 * arriving later), so there is nothing to gain by refreshing.
 *
 * The countdown runs on the page's own clock from the seconds the server
 * sent (not the visitor's wall clock, which may be wrong); at zero the page
 * reloads after a random 0-5 s, so a crowd does not arrive in one instant,
 * and the worker then gives the visitor their place. Without JavaScript a
 * meta refresh does the same. Words, the clock and the opening time are in
 * the visitor's language (the time in UTC from the server, re-written in the
 * visitor's own time zone by the script).
 *
 * @example
 * ```ts
 * c.html(renderCountdown(view, "shop", securePage(c), { language: "sv" }));
 * ```
 */
export function renderCountdown(
  view: CountdownView,
  room: string,
  nonce: string,
  page: { readonly language: Language },
): string {
  const { language } = page;
  const text = TEXTS[language];
  const startsAt = new Date(view.startsAt);
  const opensAt = new Intl.DateTimeFormat(language, { ...OPENING_FORMAT, timeZone: "UTC" }).format(startsAt);
  const notice = view.delayed ? text.countdownDelayed : "";
  const wait = formatWait(view.secondsToStart, language, text.waitUnderMinute);
  const time = `<time datetime="${startsAt.toISOString()}" id="anteroom-opens">${escapeHtml(opensAt)}</time>`;
  return `${pageStart(text.countdownTitle, language)}
<noscript><meta http-equiv="refresh" content="${view.refreshSeconds}"></noscript>
<style nonce="${escapeHtml(nonce)}">
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fafafa;--muted:#4a4a4a;--card:#fff}
@media (prefers-color-scheme:dark){:root{--fg:#f2f2f2;--bg:#121416;--muted:#c4c7cb;--card:#1d2024}}
body{margin:0;font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);display:flex;min-height:100vh;align-items:center;justify-content:center;padding:3rem 1rem 1rem}
main{background:var(--card);max-width:32rem;width:100%;padding:2rem 1.5rem;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin:0 0 .5rem}
.clock{font-size:2.2rem;font-variant-numeric:tabular-nums;margin:1rem 0}
.muted{color:var(--muted);font-size:.95rem}
.notice{border-inline-start:4px solid #b35c00;padding:.25rem .75rem}
.notice:empty{display:none}
${LANGUAGE_MENU_STYLE}
</style>
</head>
<body>
${languageMenu(escapeHtml(text.languageLabel), escapeHtml(text.languageName))}
<main id="anteroom-countdown" data-seconds="${view.secondsToStart}" data-room="${escapeHtml(room)}" data-opening="${escapeHtml(text.countdownOpening)}">
<h1>${escapeHtml(text.countdownTitle)}</h1>
<p>${fill(escapeHtml(text.countdownOpensAt), { time })}</p>
<p class="clock" role="timer" aria-live="off" id="anteroom-clock">${escapeHtml(formatClock(view.secondsToStart, language))}</p>
<p class="muted">${escapeHtml(fill(text.countdownExplain, { wait }))}</p>
<p class="notice" role="status">${escapeHtml(notice)}</p>
</main>
<script nonce="${escapeHtml(nonce)}">
(function () {
  var main = document.getElementById("anteroom-countdown");
  var clock = document.getElementById("anteroom-clock");
  var lang = document.documentElement.lang || "en";
  var formatClock = ${formatClock.toString()};
  var back = document.querySelector(".anteroom-lang input[name=return]");
  if (back) back.value = location.pathname + location.search;
  var end = Date.now() + Number(main.getAttribute("data-seconds")) * 1000;
  // The opening time in the visitor's own time zone (the server wrote it in UTC).
  var opens = document.getElementById("anteroom-opens");
  try { opens.textContent = new Intl.DateTimeFormat(lang, ${JSON.stringify(OPENING_FORMAT)}).format(new Date(opens.getAttribute("datetime"))); } catch (e) {}
  function tick() {
    var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    clock.textContent = formatClock(left, lang);
    if (left > 0) { setTimeout(tick, 250); return; }
    clock.textContent = main.getAttribute("data-opening");
    setTimeout(function () { location.reload(); }, Math.random() * 5000);
  }
  tick();
})();
</script>
</body>
</html>`;
}
