// @ts-check
// The operator dashboard's script, for the page in worker/dashboard/page.ts.
// It runs in the operator's browser, not in the worker: plain JavaScript that
// talks to the admin API with the token the operator signed in with. The
// token lives in sessionStorage (this tab only, gone when it closes) and is
// sent as a bearer header, never in a URL or a cookie. Text from the API is
// put in the page with textContent only.
//
// A module script: strict, scoped, and run after the page is parsed and after
// uPlot's classic deferred script, which defines the global `uPlot` it uses.
//
// Type-checked by worker/dashboard/tsconfig.json (JSDoc types, DOM lib, and
// uPlot's own types for its global); the JSON shapes come from the admin API.

/** @typedef {import("../model/admission.ts").Mode} Mode */
/** @typedef {import("../admin/stats.ts").MinuteStats} MinuteStats */
/** @typedef {import("../admin/stats.ts").AutopilotStats} AutopilotStats */
/** @typedef {import("../admin/events.ts").EventPhase} EventPhase */
/**
 * An event as `GET /stats` lists it (eventJson in worker/admin/events.ts).
 * @typedef {ReturnType<typeof import("../admin/events.ts").eventJson>} EventJson
 */
/**
 * What `GET /stats` answers (worker/admin/api.ts): the room's figures, and the events not over yet.
 * A worker without scheduled events may send no list.
 * @typedef {import("../admin/stats.ts").RoomStats & { readonly events?: readonly EventJson[] }} StatsJson
 */
/**
 * What `PATCH /settings` answers (settingsJson in worker/admin/api.ts, which is not exported: keep the two alike).
 * @typedef {object} SettingsJson
 * @property {number} ratePerMinute
 * @property {Mode} mode
 * @property {number} sessionMinutes
 * @property {number} maxActive 0: no cap.
 * @property {"on" | "off"} autopilot
 * @property {number | null} autopilotMinRate
 * @property {number | null} autopilotMaxRate
 * @property {number | null} originTargetP95Ms
 * @property {number | null} originMaxErrorRate A share: 0.01 is 1%.
 * @property {number | null} originTimeoutMs
 * @property {number} version
 */
/**
 * A settings change as the operator typed it: a number field that is not a number goes as the text,
 * so the API's answer names the field.
 * @typedef {object} SettingsChange
 * @property {number | string} [ratePerMinute]
 * @property {number | string} [maxActive]
 * @property {string} [mode]
 * @property {"on" | "off"} [autopilot]
 * @property {number | string} [autopilotMinRate]
 * @property {number | string} [autopilotMaxRate]
 * @property {number | string} [originTargetP95Ms]
 * @property {number | string} [originMaxErrorRate]
 */
/**
 * The API's answer: its status, and its JSON body (null if it had none). A refusal's body is
 * `{ error: { code, message } }`.
 * @typedef {{ readonly status: number, readonly body: unknown }} Answer
 */
/** @typedef {"arrivals" | "admissions" | "queueLength"} SeriesKey */

const TOKEN_KEY = "anteroom.adminToken";
const POLL_MS = 2000;
const CHART_HEIGHT = 280;
/** @type {readonly { key: SeriesKey, label: string, color: string }[]} */
const SERIES = [
  { key: "arrivals", label: "Arrivals", color: "#2f6fdb" },
  { key: "admissions", label: "Admissions", color: "#1f9d55" },
  { key: "queueLength", label: "In line", color: "#d9730d" },
];
/**
 * The rate chart's lines: the rate in force over the origin's p95 and error share, per minute.
 * `RATE_COLOR` is also what a test looks for on the canvas.
 */
const RATE_COLOR = "#7b3fb8";
/** @type {readonly { label: string, color: string, scale: string, value: (row: MinuteStats) => number | null }[]} */
const RATE_SERIES = [
  { label: "Rate", color: RATE_COLOR, scale: "rate", value: (row) => row.ratePerMinute ?? null },
  { label: "Origin p95 (ms)", color: "#c0392b", scale: "ms", value: (row) => row.origin?.p95Ms ?? null },
  {
    label: "Origin errors (%)",
    color: "#6b7280",
    scale: "percent",
    value: (row) => (row.origin ? Math.round(row.origin.errorRate * 1000) / 10 : null),
  },
];

const api = document.body.dataset.api || "/__anteroom/admin";
/** The room this page shows (`?room=NAME`, from the room list); none: the first room, at the single-room addresses. */
const selectedRoom = new URLSearchParams(location.search).get("room");
const roomPrefix = selectedRoom ? `/rooms/${encodeURIComponent(selectedRoom)}` : "";

/**
 * The page's element with this id, checked to be of the kind the script uses: a page
 * (worker/dashboard/page.ts) that lacks it stops the script here, saying which one.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T, readonly name: string }} kind
 * @returns {T}
 */
function byId(id, kind) {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`The dashboard page has no ${kind.name} with id "${id}".`);
  return node;
}

/**
 * The first body of the page's table with this id, which the script fills in.
 * @param {string} id
 * @returns {HTMLTableSectionElement}
 */
function tableBody(id) {
  const body = byId(id, HTMLTableElement).tBodies[0];
  if (body === undefined) throw new Error(`The dashboard page's table "${id}" has no body.`);
  return body;
}

const el = {
  signIn: byId("sign-in", HTMLElement),
  signInForm: byId("sign-in-form", HTMLFormElement),
  token: byId("token", HTMLInputElement),
  signInError: byId("sign-in-error", HTMLElement),
  signOut: byId("sign-out", HTMLButtonElement),
  live: byId("live", HTMLElement),
  room: byId("room-name", HTMLElement),
  roomList: byId("room-list", HTMLUListElement),
  nowTitle: byId("now-title", HTMLElement),
  mode: byId("fig-mode", HTMLElement),
  rate: byId("fig-rate", HTMLElement),
  queue: byId("fig-queue", HTMLElement),
  active: byId("fig-active", HTMLElement),
  cap: byId("fig-cap", HTMLElement),
  admitted: byId("fig-admitted", HTMLElement),
  target: byId("fig-target", HTMLElement),
  eta: byId("fig-eta", HTMLElement),
  instances: byId("fig-instances", HTMLElement),
  restored: byId("restored", HTMLElement),
  updated: byId("updated", HTMLElement),
  connection: byId("connection", HTMLElement),
  chart: byId("chart", HTMLElement),
  rateChart: byId("rate-chart", HTMLElement),
  history: tableBody("history"),
  apOn: byId("ap-on", HTMLElement),
  apToggleForm: byId("autopilot-toggle-form", HTMLFormElement),
  apToggle: byId("autopilot-toggle", HTMLButtonElement),
  apP95: byId("ap-p95", HTMLElement),
  apTarget: byId("ap-target", HTMLElement),
  apErrors: byId("ap-errors", HTMLElement),
  apMaxErrors: byId("ap-max-errors", HTMLElement),
  apBounds: byId("ap-bounds", HTMLElement),
  apLearned: byId("ap-learned", HTMLElement),
  apLearnedUnit: byId("ap-learned-unit", HTMLElement),
  apLastChange: byId("ap-last-change", HTMLElement),
  apStatus: byId("ap-status", HTMLElement),
  apForm: byId("autopilot-form", HTMLFormElement),
  apMinInput: byId("ap-min-input", HTMLInputElement),
  apMaxInput: byId("ap-max-input", HTMLInputElement),
  apTargetInput: byId("ap-target-input", HTMLInputElement),
  apErrorsInput: byId("ap-errors-input", HTMLInputElement),
  apMessage: byId("autopilot-status", HTMLElement),
  apError: byId("autopilot-error", HTMLElement),
  rateHint: byId("rate-hint", HTMLElement),
  rateForm: byId("rate-form", HTMLFormElement),
  rateInput: byId("rate-input", HTMLInputElement),
  capForm: byId("cap-form", HTMLFormElement),
  capInput: byId("cap-input", HTMLInputElement),
  modeForm: byId("mode-form", HTMLFormElement),
  modeSelect: byId("mode-select", HTMLSelectElement),
  controlStatus: byId("control-status", HTMLElement),
  controlError: byId("control-error", HTMLElement),
  events: byId("events", HTMLElement),
  eventsNone: byId("events-none", HTMLElement),
  eventsTable: byId("events-table", HTMLTableElement),
  eventsBody: tableBody("events-table"),
};

const numbers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const fmt = (/** @type {number} */ n) => numbers.format(n);

// Signing out or in again bumps the session, so answers to an older session's requests are dropped.
let session = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
/** @type {uPlot | undefined} */
let chart;
/** @type {uPlot | undefined} */
let rateChart;
// Whether the autopilot is on, as last read: what the toggle turns it to.
let autopilotOn = false;
// What the operator typed but did not submit yet is not overwritten by the next poll.
let rateDirty = false;
let capDirty = false;
let modeDirty = false;
let limitsDirty = false;
// A poll sent before a change was confirmed may carry the old settings: its answer is dropped.
let requests = 0;
let confirmedAt = 0;

// sessionStorage can be unavailable (privacy settings); the tab then keeps the token in memory.
/** @type {string | null} */
let memoryToken = null;
const storage = {
  /** @returns {string | null} */
  get() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch {
      return memoryToken;
    }
  },
  /** @param {string | null} value */
  set(value) {
    memoryToken = value;
    try {
      if (value === null) sessionStorage.removeItem(TOKEN_KEY);
      else sessionStorage.setItem(TOKEN_KEY, value);
    } catch {}
  },
};

/**
 * Calls the admin API; resolves to {status, body}, rejects only when the room cannot be reached.
 * @param {"GET" | "PATCH"} method
 * @param {string} path
 * @param {string} token
 * @param {SettingsChange} [payload]
 * @returns {Promise<Answer>}
 */
async function call(method, path, token, payload) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json", authorization: `Bearer ${token}` };
  /** @type {RequestInit} */
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (payload !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(payload);
  }
  // A room's endpoints under its name (ROOMS); the list of rooms is the deployment's.
  const response = await fetch(api + (path === "/rooms" ? "" : roomPrefix) + path, init);
  /** @type {unknown} */
  let body = null;
  try {
    body = await response.json();
  } catch {}
  return { status: response.status, body };
}

/**
 * What the API said went wrong, else its status.
 * @param {Answer} answer
 * @returns {string}
 */
function problemOf(answer) {
  // The body may be any JSON or none: a field it lacks reads as undefined, so it is read as the API's refusal.
  const refusal = /** @type {{ error?: { message?: string } } | null} */ (answer.body);
  const message = refusal?.error?.message;
  return message ? message : `The room answered with status ${answer.status}.`;
}

/**
 * @param {HTMLElement} node
 * @param {string} text
 */
function setText(node, text) {
  // Unchanged text is left alone, so live regions announce only real changes.
  if (node.textContent !== text) node.textContent = text;
}

// Sign in and out

/**
 * Checks the token with a first stats request; on success shows the live view and starts polling.
 * @param {string} token
 * @param {boolean} quiet A saved token from a reload: no message if it was refused, and the focus stays.
 */
async function signIn(token, quiet) {
  const mine = ++session;
  /** @type {Answer} */
  let answer;
  try {
    answer = await call("GET", "/stats", token);
  } catch {
    if (mine === session) showSignIn("Could not reach the room. Check the connection and try again.");
    return;
  }
  if (mine !== session) return;
  if (answer.status === 401) {
    storage.set(null);
    showSignIn(quiet ? "" : "That token was refused. Check it and try again.");
    return;
  }
  if (answer.status !== 200) {
    showSignIn(`Could not sign in: ${problemOf(answer)}`);
    return;
  }
  storage.set(token);
  el.token.value = "";
  setText(el.signInError, "");
  el.signIn.hidden = true;
  el.live.hidden = false;
  el.signOut.hidden = false;
  rateDirty = false;
  capDirty = false;
  modeDirty = false;
  limitsDirty = false;
  render(/** @type {StatsJson} */ (answer.body));
  if (!quiet) el.nowTitle.focus();
  refreshRooms(mine, token);
  schedule(mine);
}

/**
 * A room as `GET /rooms` lists it (worker/admin/api.ts).
 * @typedef {{ room: string, hosts: string[], paths: string[], mode?: string, ratePerMinute?: number, queueLength?: number, error?: { code: string } }} RoomLine
 */

/**
 * Fills the list of rooms: each a link that opens it (`?room=NAME`), the one shown marked current,
 * with its mode, rate and line. Built from text nodes only: nothing the API says becomes markup.
 * @param {number} mine The session the request belongs to.
 * @param {string} token
 */
async function refreshRooms(mine, token) {
  /** @type {Answer} */
  let answer;
  try {
    answer = await call("GET", "/rooms", token);
  } catch {
    return;
  }
  if (mine !== session || answer.status !== 200) return;
  const rooms = /** @type {{ rooms: RoomLine[] }} */ (answer.body).rooms;
  const items = rooms.map((line, index) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `?room=${encodeURIComponent(line.room)}`;
    link.textContent = line.room;
    if (selectedRoom === line.room || (selectedRoom === null && index === 0)) link.setAttribute("aria-current", "page");
    const where = `${line.hosts.length > 0 ? line.hosts.join(", ") : "any host"} ${line.paths.join(", ")}`;
    const figures = line.error
      ? "store not answering"
      : `${line.mode}, ${fmt(line.ratePerMinute ?? 0)} per min, ${fmt(line.queueLength ?? 0)} in line`;
    const detail = document.createElement("span");
    detail.className = "muted";
    detail.textContent = ` ${where}: ${figures}`;
    item.append(link, detail);
    return item;
  });
  el.roomList.replaceChildren(...items);
}

/** @param {string} message Why, for the sign-in form ("" when the operator chose to). */
function signOut(message) {
  session++;
  clearTimeout(timer);
  storage.set(null);
  for (const plot of [chart, rateChart]) plot?.destroy();
  chart = undefined;
  rateChart = undefined;
  el.history.replaceChildren();
  el.eventsBody.replaceChildren();
  setText(el.room, "");
  setText(el.controlStatus, "");
  setText(el.controlError, "");
  setText(el.apMessage, "");
  setText(el.apError, "");
  setText(el.connection, "");
  showSignIn(message);
}

/** @param {string} message */
function showSignIn(message) {
  el.live.hidden = true;
  el.signOut.hidden = true;
  el.signIn.hidden = false;
  setText(el.signInError, message);
  el.token.focus();
}

// Polling

/** @param {number} mine The session the poll belongs to. */
function schedule(mine) {
  clearTimeout(timer);
  if (mine !== session || document.hidden) return;
  timer = setTimeout(() => poll(mine), POLL_MS);
}

/** @param {number} mine The session the poll belongs to. */
async function poll(mine) {
  const token = storage.get();
  if (mine !== session || token === null) return;
  const sent = ++requests;
  try {
    const answer = await call("GET", "/stats", token);
    if (mine !== session) return;
    if (answer.status === 401) {
      signOut("The token is no longer accepted (it may have been changed). Sign in again.");
      return;
    }
    if (answer.status === 200) {
      setText(el.connection, "");
      if (sent > confirmedAt) render(/** @type {StatsJson} */ (answer.body));
      refreshRooms(mine, token);
    } else {
      setText(el.connection, `No fresh figures: ${problemOf(answer)} Retrying.`);
    }
  } catch {
    if (mine === session) setText(el.connection, "Cannot reach the room. Retrying.");
  }
  schedule(mine);
}

// A hidden tab does not poll; it catches up at once when shown again.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !el.live.hidden) poll(session);
});

// The live view

/** @param {StatsJson} stats */
function render(stats) {
  setText(el.room, `Room ${stats.room}`);
  setText(el.mode, stats.mode);
  setText(el.rate, fmt(stats.ratePerMinute));
  setText(el.queue, fmt(stats.queueLength));
  setText(el.active, fmt(stats.activeVisitors));
  setText(el.cap, stats.maxActive === null ? "no cap" : `of ${fmt(stats.maxActive)} cap`);
  setText(el.admitted, fmt(Math.round(stats.admittedLastMinute)));
  setText(el.target, fmt(stats.ratePerMinute));
  setText(el.eta, waitText(stats.etaSecondsForNewcomer, stats.mode));
  setText(el.instances, stats.fleet ? fmt(stats.fleet.instances) : "-");
  renderRestore(stats.state);
  setText(el.updated, `Updated ${new Date(stats.at).toLocaleTimeString()}`);
  syncControls(stats);
  renderAutopilot(stats.autopilot);
  renderHistory(stats.history);
  renderEvents(stats.events);
}

/**
 * Says when the store lost the room's state and it was restored (README, "When Redis loses its data").
 * @param {import("../admin/stats.ts").RoomStats["state"] | undefined} state
 */
function renderRestore(state) {
  const restoredAt = state?.restoredAt ?? null;
  el.restored.hidden = restoredAt === null;
  if (state && restoredAt !== null) {
    setText(
      el.restored,
      `The store lost the room's state; it was restored at ${new Date(restoredAt).toLocaleString()} from place ${fmt(state.restoredFromTicket)}. Check the settings and events.`,
    );
  }
}

/**
 * The autopilot's card: the switch, the origin against its targets, the bounds, what it learned,
 * its last change and what it does now, in the words the API gives.
 * @param {AutopilotStats | undefined} autopilot
 */
function renderAutopilot(autopilot) {
  if (!autopilot) return;
  showAutopilotSwitch(autopilot.on);
  const origin = autopilot.origin;
  setText(el.apP95, origin.p95Ms === null ? "-" : `${fmt(origin.p95Ms)} ms`);
  setText(el.apTarget, autopilot.targetP95Ms === null ? "-" : `${fmt(autopilot.targetP95Ms)} ms`);
  setText(el.apErrors, origin.errorRate === null || !origin.requests ? "-" : percent(origin.errorRate));
  setText(el.apMaxErrors, autopilot.maxErrorRate === null ? "-" : percent(autopilot.maxErrorRate));
  setText(
    el.apBounds,
    autopilot.minRate === null || autopilot.maxRate === null
      ? "-"
      : `${fmt(autopilot.minRate)} to ${fmt(autopilot.maxRate)}`,
  );
  setText(el.apLearned, autopilot.learnedCapacity === null ? "not yet" : fmt(autopilot.learnedCapacity));
  setText(el.apLearnedUnit, autopilot.learnedCapacity === null ? "" : "per min");
  const last = autopilot.lastChange;
  setText(
    el.apLastChange,
    last ? `${new Date(last.at).toLocaleTimeString()}: ${last.reason}` : "none in the last 30 minutes",
  );
  setText(
    el.apStatus,
    autopilot.on
      ? (autopilot.status ?? "steering the rate")
      : "off: the rate is the operator's (origin figures are still measured)",
  );
  if (!limitsDirty && !el.apForm.contains(document.activeElement)) {
    el.apMinInput.value = autopilot.minRate === null ? "" : String(autopilot.minRate);
    el.apMaxInput.value = autopilot.maxRate === null ? "" : String(autopilot.maxRate);
    el.apTargetInput.value = autopilot.targetP95Ms === null ? "" : String(autopilot.targetP95Ms);
    el.apErrorsInput.value =
      autopilot.maxErrorRate === null ? "" : String(Math.round(autopilot.maxErrorRate * 100_000) / 1000);
  }
}

/** @param {boolean} on */
function showAutopilotSwitch(on) {
  autopilotOn = on;
  setText(el.apOn, on ? "on" : "off");
  setText(el.apToggle, on ? "Turn autopilot off" : "Turn autopilot on");
  el.apToggle.setAttribute("aria-pressed", String(on));
  el.rateHint.hidden = !on;
}

/**
 * @param {number} share
 * @returns {string}
 */
function percent(share) {
  return `${fmt(Math.round(share * 1000) / 10)}%`;
}

/**
 * @param {number | null} seconds
 * @param {Mode} mode
 * @returns {string}
 */
function waitText(seconds, mode) {
  if (seconds === null) return mode === "closed" ? "closed to newcomers" : "on hold (paused)";
  if (seconds <= 0) return "none";
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** @param {Pick<StatsJson, "ratePerMinute" | "maxActive" | "mode">} settings */
function syncControls(settings) {
  if (!rateDirty && document.activeElement !== el.rateInput) el.rateInput.value = String(settings.ratePerMinute);
  if (!capDirty && document.activeElement !== el.capInput) el.capInput.value = String(settings.maxActive ?? 0);
  if (!modeDirty && document.activeElement !== el.modeSelect) el.modeSelect.value = settings.mode;
}

/** @param {readonly MinuteStats[]} history */
function renderHistory(history) {
  const rows = isList(history) ? history : [];
  const times = rows.map((row) => Date.parse(row.minute) / 1000);
  /** @type {uPlot.AlignedData} */
  const data = [times, ...SERIES.map((s) => rows.map((row) => row[s.key]))];
  drawChart(data);
  /** @type {uPlot.AlignedData} */
  const rates = [times, ...RATE_SERIES.map((s) => rows.map((row) => s.value(row)))];
  drawRateChart(rates);
  /** @type {Intl.DateTimeFormatOptions} */
  const minute = { hour: "2-digit", minute: "2-digit" };
  el.history.replaceChildren(
    ...rows
      .slice()
      .reverse()
      .map((row) =>
        tableRow([
          new Date(row.minute).toLocaleTimeString([], minute),
          ...SERIES.map((s) => fmt(row[s.key])),
          row.ratePerMinute == null ? "-" : fmt(row.ratePerMinute),
          row.origin?.p95Ms == null ? "-" : `${fmt(row.origin.p95Ms)} ms`,
          row.origin ? percent(row.origin.errorRate) : "-",
        ]),
      ),
  );
}

/** @param {StatsJson["events"]} events */
function renderEvents(events) {
  // A worker without scheduled events sends no list: the section stays hidden.
  if (!isList(events)) {
    el.events.hidden = true;
    return;
  }
  el.events.hidden = false;
  el.eventsNone.hidden = events.length > 0;
  el.eventsTable.hidden = events.length === 0;
  el.eventsBody.replaceChildren(
    ...events.map((event) =>
      tableRow([
        phaseText(event),
        when(event.startsAt),
        when(event.endsAt),
        when(event.prequeueFrom),
        event.ratePerMinute == null ? "-" : `${fmt(event.ratePerMinute)} / min`,
        event.mode ?? "-",
        event.autopilot == null ? "-" : event.autopilot ? "on" : "off",
      ]),
    ),
  );
}

/**
 * Array.isArray, keeping the element type (its own guard makes any[] of it). The JSON is the
 * room's own, but a list it lacks must not stop the page.
 * @template T
 * @param {readonly T[] | null | undefined} value
 * @returns {value is readonly T[]}
 */
function isList(value) {
  return Array.isArray(value);
}

/** @type {Readonly<Partial<Record<EventPhase, string>>>} */
const PHASES = { scheduled: "scheduled", prequeue: "pre-queue open", active: "running" };

/**
 * @param {EventJson} event
 * @returns {string}
 */
function phaseText(event) {
  const phase = PHASES[event.phase] ?? event.phase;
  return event.phase === "prequeue" && event.prequeued ? `${phase} (${fmt(event.prequeued)} waiting)` : phase;
}

/**
 * @param {string | null | undefined} iso
 * @returns {string}
 */
function when(iso) {
  if (!iso) return "-";
  return new Date(iso).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/**
 * @param {readonly (string | null | undefined)[]} cells
 * @returns {HTMLTableRowElement}
 */
function tableRow(cells) {
  const tr = document.createElement("tr");
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = String(text ?? "-");
    tr.append(td);
  }
  return tr;
}

// The chart (uPlot, served by the worker next to this file)

/** @param {uPlot.AlignedData} data */
function drawChart(data) {
  if (typeof uPlot !== "function") {
    setText(el.connection, "The chart library did not load; the figures are in the table.");
    return;
  }
  if (chart) {
    chart.setData(data);
    return;
  }
  const style = getComputedStyle(document.body);
  const ink = style.color;
  const grid = style.getPropertyValue("--edge").trim() || "#b9c0c8";
  /**
   * @param {uPlot.Axis} extra
   * @returns {uPlot.Axis}
   */
  const axis = (extra) => ({
    stroke: ink,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    ...extra,
  });
  /** @type {uPlot.Range.Function} */
  const fromZero = (_u, _min, max) => uPlot.rangeNum(0, Math.max(4, max), 0.1, true);
  chart = new uPlot(
    {
      width: chartWidth(),
      height: CHART_HEIGHT,
      scales: { x: { time: true }, y: { range: fromZero }, line: { range: fromZero } },
      series: [
        { label: "Minute" },
        ...SERIES.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          points: { show: false },
          ...(s.key === "queueLength" ? { scale: "line", dash: [8, 4] } : {}),
        })),
      ],
      axes: [
        // Room for a label like "11:20am" between ticks, so they never run together on a phone.
        axis({ space: 70 }),
        axis({ label: "per minute", size: 56 }),
        axis({ label: "in line", scale: "line", side: 1, size: 56, grid: { show: false } }),
      ],
      legend: { live: true },
    },
    data,
    el.chart,
  );
}

/**
 * The rate in force over the origin's p95 and error share, per minute, on three scales. A minute
 * without figures is a gap; with the autopilot off the rate line still shows the operator's rate.
 * @param {uPlot.AlignedData} data
 */
function drawRateChart(data) {
  if (typeof uPlot !== "function") return;
  if (rateChart) {
    rateChart.setData(data);
    return;
  }
  const style = getComputedStyle(document.body);
  const ink = style.color;
  const grid = style.getPropertyValue("--edge").trim() || "#b9c0c8";
  /** @type {uPlot.Range.Function} */
  const fromZero = (_u, _min, max) => uPlot.rangeNum(0, Math.max(4, max ?? 0), 0.1, true);
  /** @type {uPlot.Range.Function} */
  const percentRange = (_u, _min, max) => [0, Math.min(100, Math.max(5, Math.ceil((max ?? 0) * 1.2)))];
  rateChart = new uPlot(
    {
      width: chartWidth(el.rateChart),
      height: CHART_HEIGHT,
      scales: {
        x: { time: true },
        rate: { range: fromZero },
        ms: { range: fromZero },
        percent: { range: percentRange },
      },
      series: [
        { label: "Minute" },
        ...RATE_SERIES.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          width: i === 0 ? 3 : 2,
          scale: s.scale,
          // The rate: points where minutes are few (a new room), so one known minute still shows.
          ...(i === 0 ? {} : { points: { show: false } }),
          ...(s.scale === "percent" ? { dash: [4, 4] } : {}),
        })),
      ],
      axes: [
        { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, space: 70 },
        {
          stroke: ink,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          scale: "rate",
          label: "per minute",
          size: 56,
        },
        {
          stroke: ink,
          grid: { show: false },
          ticks: { stroke: grid, width: 1 },
          scale: "ms",
          side: 1,
          label: "p95 ms",
          size: 56,
        },
        {
          stroke: ink,
          grid: { show: false },
          ticks: { stroke: grid, width: 1 },
          scale: "percent",
          side: 1,
          label: "errors %",
          size: 48,
        },
      ],
      legend: { live: true },
    },
    data,
    el.rateChart,
  );
}

/**
 * @param {HTMLElement} [box]
 * @returns {number}
 */
function chartWidth(box = el.chart) {
  return Math.max(200, Math.floor(box.clientWidth));
}

if ("ResizeObserver" in window) {
  new ResizeObserver(() => {
    if (chart && chart.width !== chartWidth()) chart.setSize({ width: chartWidth(), height: CHART_HEIGHT });
  }).observe(el.chart);
  new ResizeObserver(() => {
    const width = chartWidth(el.rateChart);
    if (rateChart && rateChart.width !== width) rateChart.setSize({ width, height: CHART_HEIGHT });
  }).observe(el.rateChart);
}

// Controls

el.rateInput.addEventListener("input", () => {
  rateDirty = true;
});
el.capInput.addEventListener("input", () => {
  capDirty = true;
});
el.modeSelect.addEventListener("change", () => {
  modeDirty = true;
});
el.apForm.addEventListener("input", () => {
  limitsDirty = true;
});

/**
 * A number field's value for the API. An empty or unreadable entry goes as typed, so the API's
 * answer names the field: NaN would turn into null in JSON, which means "back to the default".
 * @param {HTMLInputElement} input
 * @returns {number | string}
 */
function numberOrTyped(input) {
  const raw = input.value.trim();
  const value = Number(raw);
  return raw !== "" && Number.isFinite(value) ? value : raw;
}

el.rateForm.addEventListener("submit", (event) => {
  event.preventDefault();
  change({ ratePerMinute: numberOrTyped(el.rateInput) }, el.rateForm, (s) => {
    rateDirty = false;
    el.rateInput.value = String(s.ratePerMinute);
    return `Rate set to ${fmt(s.ratePerMinute)} per minute.`;
  });
});

el.capForm.addEventListener("submit", (event) => {
  event.preventDefault();
  change({ maxActive: numberOrTyped(el.capInput) }, el.capForm, (s) => {
    capDirty = false;
    el.capInput.value = String(s.maxActive);
    setText(el.cap, s.maxActive > 0 ? `of ${fmt(s.maxActive)} cap` : "no cap");
    return s.maxActive > 0 ? `At most ${fmt(s.maxActive)} visitors active at once.` : "Active-users cap off.";
  });
});

el.modeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  change({ mode: el.modeSelect.value }, el.modeForm, (s) => {
    modeDirty = false;
    el.modeSelect.value = s.mode;
    return `Mode set to ${s.mode}.`;
  });
});

el.apToggleForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const turnOn = !autopilotOn;
  change(
    { autopilot: turnOn ? "on" : "off" },
    el.apToggleForm,
    (s) => {
      showAutopilotSwitch(s.autopilot === "on");
      return s.autopilot === "on"
        ? `Autopilot on: it steers the rate from ${fmt(s.ratePerMinute)} per minute.`
        : `Autopilot off: the rate stays at ${fmt(s.ratePerMinute)} per minute until you change it.`;
    },
    AUTOPILOT_MESSAGES,
  );
});

el.apForm.addEventListener("submit", (event) => {
  event.preventDefault();
  // The error share is typed in percent; the API takes a share (1% = 0.01).
  const errors = numberOrTyped(el.apErrorsInput);
  change(
    {
      autopilotMinRate: numberOrTyped(el.apMinInput),
      autopilotMaxRate: numberOrTyped(el.apMaxInput),
      originTargetP95Ms: numberOrTyped(el.apTargetInput),
      originMaxErrorRate: typeof errors === "number" ? errors / 100 : errors,
    },
    el.apForm,
    (s) => {
      limitsDirty = false;
      const bounds = `${fmt(s.autopilotMinRate ?? 0)} to ${fmt(s.autopilotMaxRate ?? 0)} per minute`;
      const target = s.originTargetP95Ms === null ? "" : `, p95 at most ${fmt(s.originTargetP95Ms)} ms`;
      const errorsAtMost = s.originMaxErrorRate === null ? "" : `, errors at most ${percent(s.originMaxErrorRate)}`;
      return `Autopilot within ${bounds}${target}${errorsAtMost}.`;
    },
    AUTOPILOT_MESSAGES,
  );
});

/**
 * Where a change's outcome is said: next to the controls it came from.
 * @typedef {{ readonly status: HTMLElement, readonly error: HTMLElement }} Messages
 */
/** @type {Messages} */
const CONTROL_MESSAGES = { status: el.controlStatus, error: el.controlError };
/** @type {Messages} */
const AUTOPILOT_MESSAGES = { status: el.apMessage, error: el.apError };

/**
 * Sends a settings change; on success `done(settings)` updates its own field and returns the message.
 * @param {SettingsChange} patch
 * @param {HTMLFormElement} form
 * @param {(settings: SettingsJson) => string} done
 * @param {Messages} [messages]
 */
async function change(patch, form, done, messages = CONTROL_MESSAGES) {
  const mine = session;
  const token = storage.get();
  if (token === null) return;
  const button = form.querySelector("button");
  if (button === null) throw new Error(`The dashboard page's form "${form.id}" has no button.`);
  for (const where of [CONTROL_MESSAGES, AUTOPILOT_MESSAGES]) {
    setText(where.status, "");
    setText(where.error, "");
  }
  button.disabled = true;
  try {
    const answer = await call("PATCH", "/settings", token, patch);
    if (mine !== session) return;
    if (answer.status === 401) {
      signOut("The token is no longer accepted (it may have been changed). Sign in again.");
    } else if (answer.status === 200) {
      const settings = /** @type {SettingsJson} */ (answer.body);
      confirmedAt = ++requests;
      setText(messages.status, done(settings));
      setText(el.mode, settings.mode);
      setText(el.rate, fmt(settings.ratePerMinute));
      setText(el.target, fmt(settings.ratePerMinute));
      poll(mine);
    } else {
      setText(messages.error, `Not changed: ${problemOf(answer)}`);
    }
  } catch {
    if (mine === session) setText(messages.error, "Not changed: could not reach the room.");
  } finally {
    button.disabled = false;
  }
}

el.signInForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = el.token.value.trim();
  if (token === "") {
    showSignIn("Enter the admin token.");
    return;
  }
  // A header can carry only visible ASCII: anything else could not be the token, and fetch would throw.
  if (/[^\x21-\x7e]/.test(token)) {
    showSignIn("That is not a valid token: it can hold only letters, digits and punctuation, no spaces.");
    return;
  }
  setText(el.signInError, "");
  signIn(token, false);
});

el.signOut.addEventListener("click", () => signOut(""));

// A reload in the same tab stays signed in.
const saved = storage.get();
if (saved) signIn(saved, true);
else el.token.focus();
