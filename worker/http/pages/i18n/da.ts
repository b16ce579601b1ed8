import type { Text, TextKey } from "./en.ts";

/**
 * Danish. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const da: Text = {
  languageName: "Dansk",
  languageLabel: "Sprog",
  holdingTitle: "Du står i kø",
  holdingLead:
    "Der er meget travlt på siden lige nu. Lad siden være åben: du bliver lukket ind automatisk, når det er din tur, og du beholder din plads, hvis du genindlæser.",
  yourNumber: "Dit nummer",
  ahead: "Foran dig",
  estimatedWait: "Forventet ventetid",
  progressLabel: "Hvor langt du er kommet i køen",
  waitUnderMinute: "under et minut",
  waitPaused: "sat på pause",
  waitUpdating: "opdaterer…",
  pausedNotice:
    "Venterummet er sat på pause: ingen bliver lukket ind lige nu. Du beholder din plads i køen, og siden fortsætter af sig selv, når der lukkes ind igen.",
  delayedNotice: "Vi har en kort forsinkelse. Du beholder din plads; siden bliver ved med at prøve.",
  offerWindow: "Når det bliver din tur, har du {time} til at komme ind.",
  notifyOptIn: "Giv mig besked, når det er min tur (en notifikation og en lyd)",
  turnNow: "Nu er det din tur. Du bliver lukket ind…",
  turnTitle: "Nu er det din tur!",
  turnHidden: "Nu er det din tur! Kom ind inden for {time}.",
  turnNotification: "Gå tilbage til denne fane inden for {time} for at komme ind.",
  turnLapsed: "Tiden til at komme ind er udløbet. Åbn siden igen for at se, hvor du står.",
  comeIn: "Gå ind nu",
  countdownTitle: "Åbner snart",
  countdownOpensAt: "Du er i forkøen. Den åbner {time}.",
  countdownExplain:
    "Ved åbningen får alle i forkøen en plads i køen i tilfældig rækkefølge, foran alle, der kommer senere. Det giver ikke en bedre plads at komme tidligt, så du behøver ikke at genindlæse: lad siden være åben, så går den videre af sig selv (om cirka {wait}).",
  countdownOpening: "Åbner…",
  countdownDelayed: "Vi har en kort forsinkelse. Du beholder din plads; siden bliver ved med at prøve.",
  challengeTitle: "Et øjeblik",
  challengeLead:
    "Før du stiller dig i køen, skal du bekræfte, at du er et menneske. Det forhindrer automatiseret trafik i at tage pladser i køen.",
  challengeContinue: "Fortsæt",
  challengeFailed: "Det lykkedes ikke. Prøv igen.",
  challengeUnavailable: "Vi kunne ikke tjekke det lige nu. Prøv igen.",
  retryTitle: "Vent venligst",
  unavailable: "Venterummet er kortvarigt utilgængeligt. Prøv igen om et par sekunder.",
  limited: "Der er bedt om for mange nye pladser i køen fra dit netværk. Prøv igen om et minut.",
  retriesItself: "Siden prøver igen af sig selv.",
  closedTitle: "Lukket",
  closed: "Dette venterum er lukket: der uddeles ikke flere pladser.",
  closedThanks: "Tak for din interesse.",
  rejectedTitle: "Kom tilbage senere",
  rejected:
    "Lige nu kommer der så mange besøgende, at webstedet ikke kan lukke alle ind, og det har ingen kø. Kom tilbage om et minut.",
  rejectedRetry: "Prøv igen",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
