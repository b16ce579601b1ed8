import { MODES, type Mode } from "../model/admission.ts";
import type { DashboardAssets } from "./assets.ts";

/** What each mode does, for the mode picker (README "Modes" has the full table). */
const MODE_HINTS: Readonly<Record<Mode, string>> = {
  auto: "auto: in at the rate",
  "queue-all": "queue-all: everyone waits first",
  paused: "paused: nobody let in",
  closed: "closed: no new places",
  passthrough: "passthrough: no line",
};

/**
 * The dashboard's HTML: a sign-in form and the live view, both filled in by
 * the page's script. No inline script or style: the CSP forbids them, so a
 * script injected into the page could not run either.
 *
 * @example
 * ```ts
 * dashboardPage({ base: "/__anteroom/dashboard", api: "/__anteroom/admin", assets: dashboardAssets() });
 * ```
 */
export function dashboardPage(input: {
  /** Where the page is served; its assets are under `<base>/assets/`. */
  readonly base: string;
  /** Where the admin API is. */
  readonly api: string;
  readonly assets: DashboardAssets;
}): string {
  const { base, api, assets } = input;
  const href = (name: string) => escapeHtml(`${base}/assets/${name}`);
  const files = assets.files
    .map((a) =>
      a.load === "style"
        ? `<link rel="stylesheet" href="${href(a.name)}">`
        : `<script src="${href(a.name)}"${a.load === "module" ? ' type="module"' : " defer"}></script>`,
    )
    .join("\n");
  const modes = MODES.map((m) => `<option value="${m}">${escapeHtml(MODE_HINTS[m])}</option>`).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Anteroom dashboard</title>
<link rel="icon" href="data:,">
${files}
</head>
<body data-api="${escapeHtml(api)}">
<header class="top">
<h1>Anteroom <span class="muted">dashboard</span></h1>
<p class="muted" id="room-name"></p>
<button type="button" id="sign-out" class="secondary" hidden>Sign out</button>
</header>
<main>
<noscript><p class="problem">The dashboard needs JavaScript.</p></noscript>

<section id="sign-in" class="card" aria-labelledby="sign-in-title">
<h2 id="sign-in-title">Sign in</h2>
<form id="sign-in-form" method="post" novalidate>
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autocapitalize="off" spellcheck="false" required aria-describedby="token-hint sign-in-error">
<p class="muted" id="token-hint">The room's ADMIN_TOKEN. It is kept in this tab only, until you sign out or close it.</p>
<button type="submit">Sign in</button>
<p id="sign-in-error" class="problem" role="alert"></p>
</form>
</section>

<div id="live" hidden>
<nav id="rooms" class="card" aria-labelledby="rooms-title">
<h2 id="rooms-title">Rooms</h2>
<ul id="room-list" class="room-list"></ul>
</nav>
<section id="now" class="card" aria-labelledby="now-title">
<h2 id="now-title" tabindex="-1">Now</h2>
<dl class="figures">
<div><dt>Mode</dt><dd id="fig-mode">-</dd></div>
<div><dt>Rate</dt><dd><span id="fig-rate">-</span> <span class="unit">per min</span></dd></div>
<div><dt>In line</dt><dd id="fig-queue">-</dd></div>
<div><dt>Active visitors</dt><dd><span id="fig-active">-</span> <span class="unit" id="fig-cap"></span></dd></div>
<div><dt>Admitted, last minute</dt><dd><span id="fig-admitted">-</span> <span class="unit">of <span id="fig-target">-</span> target</span></dd></div>
<div><dt>Wait for a newcomer</dt><dd id="fig-eta">-</dd></div>
<div><dt>Worker instances, last minute</dt><dd id="fig-instances">-</dd></div>
</dl>
<p id="restored" class="problem" role="status" hidden></p>
<p class="muted" id="updated"></p>
<p id="connection" class="problem" role="status"></p>
</section>

<section id="autopilot" class="card" aria-labelledby="autopilot-title">
<h2 id="autopilot-title">Autopilot</h2>
<p class="muted">When on, the origin's own health sets the rate: down fast when its p95 or errors go over target, up slowly while it is healthy and people wait.</p>
<form id="autopilot-toggle-form" method="post" novalidate>
<div class="row toggle">
<p class="switch">Autopilot is <strong id="ap-on">-</strong></p>
<button type="submit" id="autopilot-toggle" aria-pressed="false" aria-describedby="ap-on">Turn autopilot on</button>
</div>
</form>
<dl class="figures">
<div><dt>Origin p95, last minute</dt><dd><span id="ap-p95">-</span> <span class="unit">target <span id="ap-target">-</span></span></dd></div>
<div><dt>Origin errors, last minute</dt><dd><span id="ap-errors">-</span> <span class="unit">at most <span id="ap-max-errors">-</span></span></dd></div>
<div><dt>Rate bounds</dt><dd><span id="ap-bounds">-</span> <span class="unit">per min</span></dd></div>
<div><dt>Learned capacity</dt><dd><span id="ap-learned">-</span> <span class="unit" id="ap-learned-unit"></span></dd></div>
</dl>
<p><span class="muted">Last change:</span> <span id="ap-last-change">-</span></p>
<p><span class="muted">Now:</span> <span id="ap-status">-</span></p>
<details id="ap-limits">
<summary>Bounds and targets</summary>
<form id="autopilot-form" method="post" novalidate>
<div class="controls">
<div><label for="ap-min-input">Lowest rate (per minute)</label><input id="ap-min-input" name="autopilotMinRate" type="number" inputmode="decimal" step="any" min="0" required></div>
<div><label for="ap-max-input">Highest rate (per minute)</label><input id="ap-max-input" name="autopilotMaxRate" type="number" inputmode="decimal" step="any" min="0" required></div>
<div><label for="ap-target-input">Target origin p95 (ms)</label><input id="ap-target-input" name="originTargetP95Ms" type="number" inputmode="numeric" step="1" min="1" required></div>
<div><label for="ap-errors-input">Most origin errors (%)</label><input id="ap-errors-input" name="originMaxErrorRate" type="number" inputmode="decimal" step="any" min="0" max="100" required></div>
</div>
<p><button type="submit">Set bounds and targets</button></p>
</form>
</details>
<p id="autopilot-status" class="done" role="status"></p>
<p id="autopilot-error" class="problem" role="alert"></p>
</section>

<section id="trend" class="card" aria-labelledby="chart-title">
<h2 id="chart-title">Last 30 minutes</h2>
<div id="chart" class="chart" role="img" aria-label="Line chart of arrivals, admissions and people in line per minute over the last 30 minutes. The same figures are in the table below."></div>
<h3 id="rate-chart-title">The rate and the origin</h3>
<div id="rate-chart" class="chart" role="img" aria-label="Line chart of the admission rate in force, the origin's p95 latency and its error share per minute over the last 30 minutes. The same figures are in the table below."></div>
<details>
<summary>The figures as a table</summary>
<div class="scroll">
<table id="history">
<caption>Per minute, newest first</caption>
<thead><tr><th scope="col">Minute</th><th scope="col">Arrivals</th><th scope="col">Admissions</th><th scope="col">In line</th><th scope="col">Rate</th><th scope="col">Origin p95</th><th scope="col">Origin errors</th></tr></thead>
<tbody></tbody>
</table>
</div>
</details>
</section>

<section id="controls" class="card" aria-labelledby="controls-title">
<h2 id="controls-title">Controls</h2>
<div class="controls">
<form id="rate-form" method="post" novalidate>
<label for="rate-input">Admission rate (visitors per minute)</label>
<p class="muted hint" id="rate-hint" hidden>The autopilot is on: a rate set here is its new starting point.</p>
<div class="row">
<input id="rate-input" name="ratePerMinute" type="number" inputmode="decimal" step="any" min="0" required>
<button type="submit">Set rate</button>
</div>
</form>
<form id="cap-form" method="post" novalidate>
<label for="cap-input">Active-users cap (visitors at once; 0 = no cap)</label>
<div class="row">
<input id="cap-input" name="maxActive" type="number" inputmode="numeric" step="1" min="0" required>
<button type="submit">Set cap</button>
</div>
</form>
<form id="mode-form" method="post" novalidate>
<label for="mode-select">Mode</label>
<div class="row">
<select id="mode-select" name="mode">${modes}</select>
<button type="submit">Set mode</button>
</div>
</form>
</div>
<p id="control-status" class="done" role="status"></p>
<p id="control-error" class="problem" role="alert"></p>
</section>

<section id="events" class="card" aria-labelledby="events-title" hidden>
<h2 id="events-title">Scheduled events</h2>
<p id="events-none" class="muted">None scheduled.</p>
<div class="scroll">
<table id="events-table" hidden>
<thead><tr><th scope="col">Status</th><th scope="col">Starts</th><th scope="col">Ends</th><th scope="col">Pre-queue from</th><th scope="col">Rate</th><th scope="col">Mode</th><th scope="col">Autopilot</th></tr></thead>
<tbody></tbody>
</table>
</div>
</section>
</div>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );
}
