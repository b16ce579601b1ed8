import type { Text, TextKey } from "./en.ts";

/**
 * German. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const de: Text = {
  languageName: "Deutsch",
  languageLabel: "Sprache",
  holdingTitle: "Sie sind in der Warteschlange",
  holdingLead:
    "Auf der Website ist gerade sehr viel los. Lassen Sie diese Seite geöffnet: Sie werden automatisch eingelassen, sobald Sie an der Reihe sind, und behalten Ihren Platz, wenn Sie die Seite neu laden.",
  yourNumber: "Ihre Nummer",
  ahead: "Vor Ihnen",
  estimatedWait: "Geschätzte Wartezeit",
  progressLabel: "Fortschritt in der Warteschlange",
  waitUnderMinute: "unter einer Minute",
  waitPaused: "pausiert",
  waitUpdating: "wird aktualisiert…",
  pausedNotice:
    "Der Warteraum ist pausiert: Zurzeit wird niemand eingelassen. Sie behalten Ihren Platz in der Warteschlange, und diese Seite macht von selbst weiter, sobald der Einlass weitergeht.",
  delayedNotice: "Es gibt eine kurze Verzögerung. Sie behalten Ihren Platz; diese Seite versucht es weiter.",
  offerWindow: "Wenn Sie an der Reihe sind, haben Sie {time}, um hereinzukommen.",
  notifyOptIn: "Benachrichtigen, wenn ich an der Reihe bin (Mitteilung und Ton)",
  turnNow: "Sie sind an der Reihe. Sie werden eingelassen…",
  turnTitle: "Sie sind dran!",
  turnHidden: "Sie sind an der Reihe! Kommen Sie innerhalb von {time} herein.",
  turnNotification: "Kehren Sie innerhalb von {time} zu diesem Tab zurück, um hereinzukommen.",
  turnLapsed: "Die Zeit zum Hereinkommen ist abgelaufen. Öffnen Sie die Seite erneut, um zu sehen, wo Sie stehen.",
  comeIn: "Jetzt hineingehen",
  countdownTitle: "Öffnet bald",
  countdownOpensAt: "Sie sind in der Vorwarteschlange. Öffnung: {time}.",
  countdownExplain:
    "Bei der Öffnung erhalten alle in der Vorwarteschlange einen Platz in der Warteschlange in zufälliger Reihenfolge, vor allen, die später kommen. Früher zu kommen bringt keinen besseren Platz, daher müssen Sie nicht neu laden: Lassen Sie diese Seite geöffnet, sie geht von selbst weiter (in etwa {wait}).",
  countdownOpening: "Öffnet…",
  countdownDelayed: "Es gibt eine kurze Verzögerung. Sie behalten Ihren Eintrag; diese Seite versucht es weiter.",
  challengeTitle: "Einen Moment",
  challengeLead:
    "Bevor Sie sich anstellen, bestätigen Sie bitte, dass Sie ein Mensch sind. So nimmt automatisierter Verkehr keine Plätze in der Warteschlange ein.",
  challengeContinue: "Weiter",
  challengeFailed: "Das hat nicht geklappt. Bitte versuchen Sie es erneut.",
  challengeUnavailable: "Das konnten wir gerade nicht prüfen. Bitte versuchen Sie es erneut.",
  retryTitle: "Bitte warten",
  unavailable: "Der Warteraum ist kurz nicht erreichbar. Bitte versuchen Sie es in ein paar Sekunden erneut.",
  limited: "Aus Ihrem Netzwerk wurden zu viele neue Plätze angefordert. Bitte versuchen Sie es in einer Minute erneut.",
  retriesItself: "Diese Seite versucht es von selbst erneut.",
  closedTitle: "Geschlossen",
  closed: "Dieser Warteraum ist geschlossen: Es werden keine neuen Plätze vergeben.",
  closedThanks: "Vielen Dank für Ihr Interesse.",
  rejectedTitle: "Bitte später wiederkommen",
  rejected:
    "Gerade kommen so viele Besucher, dass die Website nicht alle einlassen kann, und sie führt keine Warteschlange. Bitte kommen Sie in einer Minute wieder.",
  rejectedRetry: "Erneut versuchen",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
