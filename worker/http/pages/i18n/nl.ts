import type { Text, TextKey } from "./en.ts";

/**
 * Dutch. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const nl: Text = {
  languageName: "Nederlands",
  languageLabel: "Taal",
  holdingTitle: "Je staat in de rij",
  holdingLead:
    "Het is op dit moment erg druk op de site. Houd deze pagina open: je wordt automatisch binnengelaten als het je beurt is, en je houdt je plek als je de pagina herlaadt.",
  yourNumber: "Je nummer",
  ahead: "Voor je",
  estimatedWait: "Geschatte wachttijd",
  progressLabel: "Voortgang in de rij",
  waitUnderMinute: "minder dan een minuut",
  waitPaused: "gepauzeerd",
  waitUpdating: "wordt bijgewerkt…",
  pausedNotice:
    "De wachtkamer is gepauzeerd: er wordt nu niemand binnengelaten. Je houdt je plek in de rij, en deze pagina gaat vanzelf verder zodra het binnenlaten wordt hervat.",
  delayedNotice: "We hebben een korte vertraging. Je houdt je plek; deze pagina blijft het proberen.",
  offerWindow: "Als het je beurt is, heb je {time} om binnen te komen.",
  notifyOptIn: "Laat me weten wanneer het mijn beurt is (een melding en een geluid)",
  turnNow: "Het is je beurt. Je wordt binnengelaten…",
  turnTitle: "Het is je beurt!",
  turnHidden: "Het is je beurt! Je hebt nog {time} om binnen te komen.",
  turnNotification: "Ga terug naar dit tabblad om binnen te komen (je hebt nog {time}).",
  turnLapsed: "De tijd om binnen te komen is verstreken. Open de pagina opnieuw om te zien waar je staat.",
  comeIn: "Nu naar binnen",
  countdownTitle: "Gaat binnenkort open",
  countdownOpensAt: "Je staat in de voorrij. Opening: {time}.",
  countdownExplain:
    "Bij de opening krijgt iedereen in de voorrij een plek in de rij in willekeurige volgorde, vóór iedereen die later komt. Eerder komen geeft geen betere plek, dus herladen is niet nodig: houd deze pagina open en ze gaat vanzelf verder (over ongeveer {wait}).",
  countdownOpening: "Gaat open…",
  countdownDelayed: "We hebben een korte vertraging. Je houdt je inschrijving; deze pagina blijft het proberen.",
  challengeTitle: "Een ogenblik",
  challengeLead:
    "Bevestig voordat je in de rij gaat staan dat je een mens bent. Zo neemt geautomatiseerd verkeer geen plekken in de rij in.",
  challengeContinue: "Doorgaan",
  challengeFailed: "Dat is niet gelukt. Probeer het opnieuw.",
  challengeUnavailable: "We konden dat nu niet controleren. Probeer het opnieuw.",
  retryTitle: "Even geduld",
  unavailable: "De wachtkamer is even niet beschikbaar. Probeer het over een paar seconden opnieuw.",
  limited:
    "Er zijn te veel nieuwe plekken in de rij aangevraagd vanaf je netwerk. Probeer het over een minuut opnieuw.",
  retriesItself: "Deze pagina probeert het vanzelf opnieuw.",
  closedTitle: "Gesloten",
  closed: "Deze wachtkamer is gesloten: er worden geen nieuwe plekken uitgedeeld.",
  closedThanks: "Bedankt voor je interesse.",
  rejectedTitle: "Kom later terug",
  rejected:
    "Er komen op dit moment zoveel bezoekers dat de site niet iedereen kan binnenlaten, en er is geen wachtrij. Kom over een minuut terug.",
  rejectedRetry: "Opnieuw proberen",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
