import type { QueuedView } from "../../gate/gate.ts";

/** Values a holding page template may use, each as {{name}}. */
export interface PageValues {
  readonly position: number;
  readonly ahead: number;
  /** Human wait, e.g. "4 minutes"; "paused" while the room is paused. */
  readonly eta: string;
  /** The estimated wait in seconds; empty while the room is paused (it promises none). */
  readonly etaSeconds: number | "";
  readonly progressPercent: number;
  readonly refreshSeconds: number;
  readonly statusUrl: string;
  /** A sentence about a delay, or empty. */
  readonly notice: string;
  readonly room: string;
  /**
   * This response's CSP nonce: inline `<script>` and `<style>` tags run only
   * with `nonce="{{nonce}}"` (see `headers.ts`).
   */
  readonly nonce: string;
}

/** The placeholders a template may contain; anything else in braces is left alone. */
export const PLACEHOLDERS: readonly (keyof PageValues)[] = [
  "position",
  "ahead",
  "eta",
  "etaSeconds",
  "progressPercent",
  "refreshSeconds",
  "statusUrl",
  "notice",
  "room",
  "nonce",
];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** HTML-escapes a value for text or a quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * Fills a template. Every value is HTML-escaped, whatever its source, so an
 * operator's template can put any placeholder in text or in a quoted attribute.
 *
 * @example
 * ```ts
 * renderTemplate("<p>{{position}}</p>", values); // "<p>42</p>"
 * ```
 */
export function renderTemplate(template: string, values: PageValues): string {
  return template.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (match, name: string) =>
    (PLACEHOLDERS as readonly string[]).includes(name) ? escapeHtml(String(values[name as keyof PageValues])) : match,
  );
}

/**
 * Page values for a waiting visitor.
 *
 * @param nonce the response's CSP nonce, from `securePage(c)`.
 * @example
 * ```ts
 * renderTemplate(template, pageValues(verdict.view, config.room, securePage(c)));
 * ```
 */
export function pageValues(view: QueuedView, room: string, nonce: string): PageValues {
  // A paused room promises no wait.
  const etaSeconds = view.paused ? null : view.etaSeconds;
  return {
    position: view.position,
    ahead: view.ahead,
    eta: etaSeconds === null ? "paused" : view.delayed ? "updating…" : humanWait(etaSeconds),
    etaSeconds: etaSeconds ?? "",
    progressPercent: Math.round(view.progress * 100),
    refreshSeconds: view.refreshSeconds,
    // The room's own status: with ROOMS, a visitor may wait in several (http/status.ts).
    statusUrl: `/__anteroom/status?room=${encodeURIComponent(room)}`,
    notice: noticeOf(view),
    room,
    nonce,
  };
}

/** What the page says while an operator has paused the room (the built-in template's script says it too). */
export const PAUSED_NOTICE =
  "The waiting room is paused: nobody is being let in right now. You keep your place in line, and this page carries on by itself when admission resumes.";
/** What the page says while the store is not answering. */
export const DELAYED_NOTICE = "We are having a short delay. You keep your place; this page keeps trying.";

/** A sentence about why the line is not moving, if it is not. */
export function noticeOf(view: Pick<QueuedView, "delayed" | "paused">): string {
  if (view.paused) return PAUSED_NOTICE;
  if (view.delayed) return DELAYED_NOTICE;
  return "";
}

/**
 * A wait in words, rounded the way people say it.
 *
 * @example
 * ```ts
 * humanWait(30);   // "under a minute"
 * humanWait(4000); // "1 h 07 min"
 * ```
 */
export function humanWait(seconds: number): string {
  if (seconds < 60) return "under a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h ${rest < 10 ? "0" : ""}${rest} min`;
}

/**
 * The start of every small page the worker writes itself, up to and including
 * its title: doctype, language, charset, phone viewport, and noindex (a
 * waiting room's pages have nothing for search engines).
 *
 * @example
 * ```ts
 * `${pageStart("Opening soon")}\n<style nonce="...">...</style>\n</head>...`;
 * ```
 */
export function pageStart(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>`;
}
