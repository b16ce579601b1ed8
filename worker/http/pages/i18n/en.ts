/**
 * English: the reference. Every other language has exactly these keys, with
 * the same `{placeholders}` in each string (test/node/i18n.test.ts checks).
 * Keys used by the holding page's script are listed in `catalog.ts`
 * (SCRIPT_KEYS); only those, in the visitor's language, go to the browser.
 */
export const en = {
  /** The language's name in itself, for the language menu. */
  languageName: "English",
  languageLabel: "Language",
  holdingTitle: "You are in line",
  holdingLead:
    "The site is very busy right now. Keep this page open: you will be let in automatically when it is your turn, and you keep your place if you reload.",
  yourNumber: "Your number",
  ahead: "Ahead of you",
  estimatedWait: "Estimated wait",
  progressLabel: "Progress through the line",
  waitUnderMinute: "under a minute",
  waitPaused: "paused",
  waitUpdating: "updating…",
  pausedNotice:
    "The waiting room is paused: nobody is being let in right now. You keep your place in line, and this page carries on by itself when admission resumes.",
  delayedNotice: "We are having a short delay. You keep your place; this page keeps trying.",
  offerWindow: "When your turn comes, you have {time} to come in.",
  notifyOptIn: "Tell me when it is my turn (a notification and a sound)",
  turnNow: "It is your turn. Taking you in…",
  turnTitle: "It's your turn!",
  turnHidden: "It is your turn! Come in within {time}.",
  turnNotification: "Come back to this tab within {time} to go in.",
  turnLapsed: "The time to come in has run out. Open the page again to see where you stand.",
  comeIn: "Go in now",
  countdownTitle: "Opening soon",
  countdownOpensAt: "You are in the pre-queue. It opens at {time}.",
  countdownExplain:
    "At the opening, everyone in the pre-queue gets a place in line in a random order, ahead of everyone who arrives later. Arriving earlier does not give a better place, so there is no need to refresh: keep this page open and it moves on by itself (about {wait} from now).",
  countdownOpening: "Opening…",
  countdownDelayed: "We are having a short delay. You keep your entry; this page keeps trying.",
  challengeTitle: "One moment",
  challengeLead:
    "Before you join the line, please confirm you are a person. It keeps automated traffic from taking places in the queue.",
  challengeContinue: "Continue",
  challengeFailed: "That did not work. Please try again.",
  challengeUnavailable: "We could not check that just now. Please try again.",
  retryTitle: "Please wait",
  unavailable: "The waiting room is briefly unavailable. Please try again in a few seconds.",
  limited: "Too many new places in line were requested from your network. Please try again in a minute.",
  retriesItself: "This page retries by itself.",
  closedTitle: "Closed",
  closed: "This waiting room is closed: no new places are being given out.",
  closedThanks: "Thank you for your interest.",
  /** QUEUEING=reject: a newcomer over the rate gets no place (RETRY_WHEN_REJECTED_SECONDS: a minute). */
  rejectedTitle: "Come back later",
  rejected:
    "So many visitors are arriving right now that this site cannot let everyone in, and it keeps no waiting line. Please come back in a minute.",
  rejectedRetry: "Try again",
} as const;

/** The strings of one language: every key English has. */
export type Text = { readonly [K in keyof typeof en]: string };

/** A key of {@link Text}. */
export type TextKey = keyof Text;

/** English is the reference, written by the project; no fluent speaker has reviewed it as a translation would be. */
export const reviewed: readonly TextKey[] = [];
