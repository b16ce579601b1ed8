import { DELAYED_NOTICE, PAUSED_NOTICE } from "./page.ts";

/**
 * The built-in holding page. Static HTML with {{placeholders}} (see
 * `page.ts` for the list); every value is HTML-escaped when rendered.
 *
 * Without JavaScript the page refreshes itself (the <noscript> meta refresh)
 * and the worker admits the visitor on that request. With JavaScript it polls
 * the status endpoint at the interval the server suggests, with jitter so a
 * crowd does not poll in lockstep, updates an ARIA live region, and reloads
 * the page the visitor asked for once admitted.
 */
export const DEFAULT_TEMPLATE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>You are in line</title>
<noscript><meta http-equiv="refresh" content="{{refreshSeconds}}"></noscript>
<style nonce="{{nonce}}">
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fafafa;--muted:#4a4a4a;--bar:#0b5cad;--track:#e3e7eb;--edge:#6b7785;--card:#fff}
@media (prefers-color-scheme:dark){:root{--fg:#f2f2f2;--bg:#121416;--muted:#c4c7cb;--bar:#6cb2ff;--track:#2b3036;--edge:#8b949e;--card:#1d2024}}
*{box-sizing:border-box}
body{margin:0;font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);display:flex;min-height:100vh;align-items:center;justify-content:center;padding:1rem}
main{background:var(--card);max-width:32rem;width:100%;padding:2rem 1.5rem;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin:0 0 .5rem}
p{margin:.5rem 0}
.muted{color:var(--muted);font-size:.95rem}
.figures{display:flex;gap:1rem;margin:1.25rem 0}
.figures div{flex:1}
.figures strong{display:block;font-size:1.6rem}
.bar{height:.75rem;background:var(--track);border:1px solid var(--edge);border-radius:6px;overflow:hidden;margin:1rem 0}
.bar span{display:block;height:100%;background:var(--bar);width:{{progressPercent}}%;transition:width .8s}
.notice{border-left:4px solid #b35c00;padding:.25rem .75rem}
.notice:empty{display:none}
@media (max-width:420px){.figures{flex-direction:column;gap:.25rem}.figures div{display:flex;justify-content:space-between;align-items:baseline}.figures strong{font-size:1.3rem}}
</style>
</head>
<body>
<main id="anteroom" data-status-url="{{statusUrl}}" data-refresh="{{refreshSeconds}}">
<h1>You are in line</h1>
<p class="muted">The site is very busy right now. Keep this page open: you will be let in automatically when it is your turn, and you keep your place if you reload.</p>
<div class="figures" aria-live="polite" aria-atomic="true" id="anteroom-live">
<div>Your number<strong id="anteroom-position">{{position}}</strong></div>
<div>Ahead of you<strong id="anteroom-ahead">{{ahead}}</strong></div>
<div>Estimated wait<strong id="anteroom-eta">{{eta}}</strong></div>
</div>
<div class="bar" role="progressbar" aria-label="Progress through the line" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{{progressPercent}}" id="anteroom-bar"><span></span></div>
<p class="notice" role="status" id="anteroom-notice">{{notice}}</p>
</main>
<script nonce="{{nonce}}">
(function () {
  var root = document.getElementById("anteroom");
  var statusUrl = root.getAttribute("data-status-url");
  var refresh = Number(root.getAttribute("data-refresh")) || 5;
  var PAUSED = ${JSON.stringify(PAUSED_NOTICE)};
  var DELAYED = ${JSON.stringify(DELAYED_NOTICE)};
  function text(id, value) {
    // Only real changes reach the live region, so screen readers are not re-read the same figures.
    var el = document.getElementById(id);
    if (el.textContent !== String(value)) el.textContent = value;
  }
  function eta(seconds) {
    if (seconds < 60) return "under a minute";
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + (minutes === 1 ? " minute" : " minutes");
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    return hours + " h " + (rest < 10 ? "0" : "") + rest + " min";
  }
  function show(s) {
    text("anteroom-position", s.position);
    text("anteroom-ahead", s.ahead);
    text("anteroom-eta", s.paused ? "paused" : s.delayed ? "updating…" : eta(s.etaSeconds));
    var pct = Math.round((s.progress || 0) * 100);
    var bar = document.getElementById("anteroom-bar");
    bar.setAttribute("aria-valuenow", pct);
    bar.firstChild.style.width = pct + "%";
    text("anteroom-notice", s.paused ? PAUSED : s.delayed ? DELAYED : "");
  }
  function later(seconds) {
    setTimeout(poll, seconds * 1000 * (0.8 + Math.random() * 0.4));
  }
  function poll() {
    fetch(statusUrl, { headers: { accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json().then(function (s) { return { ok: r.ok, s: s }; }); })
      .then(function (reply) {
        var s = reply.s;
        if (s.state === "admitted") { text("anteroom-notice", "It is your turn. Taking you in…"); location.reload(); return; }
        if (!reply.ok || s.state !== "queued") {
          // The room is briefly unable to answer: keep the figures, try again later.
          text("anteroom-notice", DELAYED);
          later(Number(s.retryAfter) || Math.min(refresh * 2, 30));
          return;
        }
        show(s);
        refresh = s.refreshSeconds || refresh;
        later(refresh);
      })
      .catch(function () { later(Math.min(refresh * 2, 30)); });
  }
  later(refresh);
})();
</script>
</body>
</html>
`;
