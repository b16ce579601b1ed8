import { formatClock, formatWait } from "./format.ts";
import { LANGUAGE_MENU_STYLE, languageMenu } from "./page.ts";

/**
 * The built-in holding page. Static HTML with {{placeholders}} (see
 * `page.ts` for the list); every value is HTML-escaped when rendered, and
 * every word comes from the visitor's language (`i18n/`).
 *
 * Without JavaScript the page refreshes itself (the <noscript> meta refresh)
 * and the worker admits the visitor on that request. With JavaScript it polls
 * the status endpoint at the interval the server suggests, with jitter so a
 * crowd does not poll in lockstep, updates an ARIA live region (numbers and
 * waits through `Intl` in the page's language, strings from the `data-text`
 * JSON the server wrote: no second copy of them), and reloads the page the
 * visitor asked for once admitted.
 *
 * The turn notice: when the turn comes while the tab is hidden (Page
 * Visibility), the page does not reload behind the visitor's back; it says
 * the turn came, counts down the time they have to come in, alternates the
 * tab's title, and goes in as soon as the tab is shown again. A visitor who
 * ticked "tell me" (never asked unprompted: permission is requested only by
 * that click) also gets a notification and a short beep (WebAudio).
 */
export const DEFAULT_TEMPLATE = `<!doctype html>
<html lang="{{lang}}" dir="{{dir}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{text.holdingTitle}}</title>
<noscript><meta http-equiv="refresh" content="{{refreshSeconds}}"></noscript>
<style nonce="{{nonce}}">
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fafafa;--muted:#4a4a4a;--bar:#0b5cad;--track:#e3e7eb;--edge:#6b7785;--card:#fff;--turn:#0a7a3a}
@media (prefers-color-scheme:dark){:root{--fg:#f2f2f2;--bg:#121416;--muted:#c4c7cb;--bar:#6cb2ff;--track:#2b3036;--edge:#8b949e;--card:#1d2024;--turn:#5fd38d}}
*{box-sizing:border-box}
body{margin:0;font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);display:flex;min-height:100vh;align-items:center;justify-content:center;padding:3rem 1rem 1rem}
main{background:var(--card);max-width:32rem;width:100%;padding:2rem 1.5rem;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin:0 0 .5rem}
p{margin:.5rem 0}
.muted{color:var(--muted);font-size:.95rem}
.figures{display:flex;gap:1rem;margin:1.25rem 0}
.figures div{flex:1}
.figures strong{display:block;font-size:1.6rem}
.bar{height:.75rem;background:var(--track);border:1px solid var(--edge);border-radius:6px;overflow:hidden;margin:1rem 0}
.bar span{display:block;height:100%;background:var(--bar);width:{{progressPercent}}%;transition:width .8s}
.notice{border-inline-start:4px solid #b35c00;padding:.25rem .75rem}
.notice:empty{display:none}
.turn{border-inline-start:4px solid var(--turn);padding:.25rem .75rem;font-weight:600}
.opt{display:flex;gap:.5rem;align-items:flex-start;font-size:.95rem}
[hidden]{display:none!important}
${LANGUAGE_MENU_STYLE}
@media (max-width:420px){.figures{flex-direction:column;gap:.25rem}.figures div{display:flex;justify-content:space-between;align-items:baseline}.figures strong{font-size:1.3rem}}
</style>
</head>
<body>
${languageMenu("{{text.languageLabel}}", "{{languageName}}")}
<main id="anteroom" data-status-url="{{statusUrl}}" data-refresh="{{refreshSeconds}}" data-offer="{{offerSeconds}}" data-text="{{scriptText}}">
<h1>{{text.holdingTitle}}</h1>
<p class="muted">{{text.holdingLead}}</p>
<div class="figures" aria-live="polite" aria-atomic="true" id="anteroom-live">
<div>{{text.yourNumber}}<strong id="anteroom-position">{{positionText}}</strong></div>
<div>{{text.ahead}}<strong id="anteroom-ahead">{{aheadText}}</strong></div>
<div>{{text.estimatedWait}}<strong id="anteroom-eta">{{eta}}</strong></div>
</div>
<div class="bar" role="progressbar" aria-label="{{text.progressLabel}}" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{{progressPercent}}" id="anteroom-bar"><span></span></div>
<p class="notice" role="status" id="anteroom-notice">{{notice}}</p>
<div id="anteroom-turn" hidden>
<p class="turn" role="timer" aria-live="off" id="anteroom-turn-clock"></p>
<p><button type="button" id="anteroom-go">{{text.comeIn}}</button></p>
</div>
<p class="muted" id="anteroom-offer">{{text.offerWindow}}</p>
<label class="opt" id="anteroom-opt" hidden><input type="checkbox" id="anteroom-notify"><span>{{text.notifyOptIn}}</span></label>
</main>
<script nonce="{{nonce}}">
(function () {
  var root = document.getElementById("anteroom");
  var statusUrl = root.getAttribute("data-status-url");
  var refresh = Number(root.getAttribute("data-refresh")) || 5;
  var offer = Number(root.getAttribute("data-offer")) || 300;
  var lang = document.documentElement.lang || "en";
  var T = JSON.parse(root.getAttribute("data-text") || "{}");
  var number = new Intl.NumberFormat(lang);
  var formatWait = ${formatWait.toString()};
  var formatClock = ${formatClock.toString()};
  var title = document.title;
  var optIn = document.getElementById("anteroom-notify");
  var audio = null;
  // The language menu brings the visitor back here (the page itself reflects nothing of the request).
  var back = document.querySelector(".anteroom-lang input[name=return]");
  if (back) back.value = location.pathname + location.search;
  function text(id, value) {
    // Only real changes reach the live region, so screen readers are not re-read the same figures.
    var el = document.getElementById(id);
    if (el.textContent !== String(value)) el.textContent = value;
  }
  function show(s) {
    text("anteroom-position", number.format(s.position));
    text("anteroom-ahead", number.format(s.ahead));
    text("anteroom-eta", s.paused ? T.waitPaused : s.delayed ? T.waitUpdating : formatWait(s.etaSeconds, lang, T.waitUnderMinute));
    var pct = Math.round((s.progress || 0) * 100);
    var bar = document.getElementById("anteroom-bar");
    bar.setAttribute("aria-valuenow", pct);
    bar.firstChild.style.width = pct + "%";
    text("anteroom-notice", s.paused ? T.pausedNotice : s.delayed ? T.delayedNotice : "");
  }
  function later(seconds) {
    setTimeout(poll, seconds * 1000 * (0.8 + Math.random() * 0.4));
  }
  // The opt-in: only this click asks for notification permission, and it unlocks audio (browsers allow sound after a gesture).
  document.getElementById("anteroom-opt").hidden = false;
  try { optIn.checked = sessionStorage.getItem("anteroom-notify") === "1"; } catch (e) {}
  optIn.addEventListener("change", function () {
    try { sessionStorage.setItem("anteroom-notify", optIn.checked ? "1" : "0"); } catch (e) {}
    if (!optIn.checked) return;
    if (window.Notification && Notification.permission === "default") Notification.requestPermission();
    var Sound = window.AudioContext || window.webkitAudioContext;
    if (Sound && !audio) audio = new Sound();
  });
  function beep() {
    var Sound = window.AudioContext || window.webkitAudioContext;
    if (!Sound) return;
    if (!audio) audio = new Sound();
    if (audio.state === "suspended") audio.resume();
    var at = audio.currentTime;
    for (var i = 0; i < 2; i++) {
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, at + i * 0.3);
      gain.gain.exponentialRampToValueAtTime(0.001, at + i * 0.3 + 0.2);
      tone.connect(gain).connect(audio.destination);
      tone.start(at + i * 0.3);
      tone.stop(at + i * 0.3 + 0.2);
    }
  }
  function notify() {
    if (!optIn.checked) return;
    try {
      if (window.Notification && Notification.permission === "granted") {
        var note = new Notification(T.turnTitle, { body: T.turnNotification.split("{time}").join(formatWait(offer, lang, T.waitUnderMinute)), tag: "anteroom-turn", lang: lang });
        note.onclick = function () { window.focus(); note.close(); };
      }
      beep();
    } catch (e) {}
  }
  function goIn() { location.reload(); }
  // The turn came while the tab was hidden: say so where the visitor will look, and go in once they are back.
  function turnWhileHidden() {
    var end = Date.now() + offer * 1000;
    var flip = false;
    document.getElementById("anteroom-turn").hidden = false;
    document.getElementById("anteroom-offer").hidden = true;
    document.getElementById("anteroom-go").addEventListener("click", goIn);
    text("anteroom-notice", T.turnTitle);
    notify();
    var timer = setInterval(function () {
      var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      if (left <= 0) {
        clearInterval(timer);
        document.title = title;
        text("anteroom-turn-clock", T.turnLapsed);
        return;
      }
      text("anteroom-turn-clock", T.turnHidden.split("{time}").join(formatClock(left, lang)));
      flip = !flip;
      document.title = flip ? T.turnTitle : title;
    }, 1000);
    text("anteroom-turn-clock", T.turnHidden.split("{time}").join(formatClock(offer, lang)));
    document.title = T.turnTitle;
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { clearInterval(timer); document.title = title; text("anteroom-notice", T.turnNow); goIn(); }
    });
  }
  function poll() {
    fetch(statusUrl, { headers: { accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json().then(function (s) { return { ok: r.ok, s: s }; }); })
      .then(function (reply) {
        var s = reply.s;
        if (s.state === "admitted") {
          if (document.visibilityState === "hidden") { turnWhileHidden(); return; }
          text("anteroom-notice", T.turnNow);
          location.reload();
          return;
        }
        if (!reply.ok || s.state !== "queued") {
          // The room is briefly unable to answer: keep the figures, try again later.
          text("anteroom-notice", T.delayedNotice);
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
