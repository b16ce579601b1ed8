import type { CountdownView } from "../../gate/gate.ts";
import { escapeHtml, humanWait, pageStart } from "./page.ts";

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
 * meta refresh does the same.
 *
 * @example
 * ```ts
 * c.html(renderCountdown(verdict.view, "shop", securePage(c)));
 * ```
 */
export function renderCountdown(view: CountdownView, room: string, nonce: string): string {
  const startsAt = new Date(view.startsAt).toISOString();
  const notice = view.delayed ? "We are having a short delay. You keep your entry; this page keeps trying." : "";
  return `${pageStart("Opening soon")}
<noscript><meta http-equiv="refresh" content="${view.refreshSeconds}"></noscript>
<style nonce="${escapeHtml(nonce)}">
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fafafa;--muted:#4a4a4a;--card:#fff}
@media (prefers-color-scheme:dark){:root{--fg:#f2f2f2;--bg:#121416;--muted:#c4c7cb;--card:#1d2024}}
body{margin:0;font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);display:flex;min-height:100vh;align-items:center;justify-content:center;padding:1rem}
main{background:var(--card);max-width:32rem;width:100%;padding:2rem 1.5rem;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin:0 0 .5rem}
.clock{font-size:2.2rem;font-variant-numeric:tabular-nums;margin:1rem 0}
.muted{color:var(--muted);font-size:.95rem}
.notice{border-left:4px solid #b35c00;padding:.25rem .75rem}
.notice:empty{display:none}
</style>
</head>
<body>
<main id="anteroom-countdown" data-seconds="${view.secondsToStart}" data-room="${escapeHtml(room)}">
<h1>Opening soon</h1>
<p>You are in the pre-queue. It opens at <time datetime="${startsAt}">${startsAt.replace("T", " ").slice(0, 16)} UTC</time>.</p>
<p class="clock" role="timer" aria-live="off" id="anteroom-clock">${escapeHtml(clock(view.secondsToStart))}</p>
<p class="muted">At the opening, everyone in the pre-queue gets a place in line in a random order, ahead of everyone who arrives later. Arriving earlier does not give a better place, so there is no need to refresh: keep this page open and it moves on by itself (about ${escapeHtml(humanWait(view.secondsToStart))} from now).</p>
<p class="notice" role="status">${escapeHtml(notice)}</p>
</main>
<script nonce="${escapeHtml(nonce)}">
(function () {
  var main = document.getElementById("anteroom-countdown");
  var clock = document.getElementById("anteroom-clock");
  var end = Date.now() + Number(main.getAttribute("data-seconds")) * 1000;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function show(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    clock.textContent = (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(s);
  }
  function tick() {
    var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    show(left);
    if (left > 0) { setTimeout(tick, 250); return; }
    clock.textContent = "Opening…";
    setTimeout(function () { location.reload(); }, Math.random() * 5000);
  }
  tick();
})();
</script>
</body>
</html>`;
}

/** "m:ss" or "h:mm:ss", as the page's script shows it. */
export function clock(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds / 60) % 60;
  return `${h > 0 ? `${h}:${pad(m)}` : m}:${pad(seconds % 60)}`;
}
