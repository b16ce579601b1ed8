import type { Text, TextKey } from "./en.ts";

/**
 * Swedish. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const sv: Text = {
  languageName: "Svenska",
  languageLabel: "Språk",
  holdingTitle: "Du står i kö",
  holdingLead:
    "Det är väldigt många besökare just nu. Låt sidan vara öppen: du släpps in automatiskt när det är din tur, och du behåller din plats om du laddar om sidan.",
  yourNumber: "Ditt nummer",
  ahead: "Före dig",
  estimatedWait: "Beräknad väntetid",
  progressLabel: "Hur långt du har kommit i kön",
  waitUnderMinute: "under en minut",
  waitPaused: "pausad",
  waitUpdating: "uppdateras…",
  pausedNotice:
    "Väntrummet är pausat: ingen släpps in just nu. Du behåller din plats i kön, och sidan fortsätter av sig själv när insläppet återupptas.",
  delayedNotice: "Vi har en kort fördröjning. Du behåller din plats; sidan fortsätter att försöka.",
  offerWindow: "När det är din tur har du {time} på dig att komma in.",
  notifyOptIn: "Säg till när det är min tur (en avisering och ett ljud)",
  turnNow: "Nu är det din tur. Du släpps in…",
  turnTitle: "Nu är det din tur!",
  turnHidden: "Nu är det din tur! Kom in inom {time}.",
  turnNotification: "Gå tillbaka till den här fliken inom {time} för att komma in.",
  turnLapsed: "Tiden att komma in har gått ut. Öppna sidan igen för att se var du står.",
  comeIn: "Gå in nu",
  countdownTitle: "Öppnar snart",
  countdownOpensAt: "Du är i förkön. Den öppnar {time}.",
  countdownExplain:
    "När kön öppnar får alla i förkön en plats i kön i slumpvis ordning, före alla som kommer senare. Det ger ingen bättre plats att komma tidigt, så du behöver inte ladda om: låt sidan vara öppen så går den vidare av sig själv (om ungefär {wait}).",
  countdownOpening: "Öppnar…",
  countdownDelayed: "Vi har en kort fördröjning. Du behåller din plats; sidan fortsätter att försöka.",
  challengeTitle: "Ett ögonblick",
  challengeLead:
    "Innan du ställer dig i kön, bekräfta att du är en människa. Det hindrar automatiserad trafik från att ta platser i kön.",
  challengeContinue: "Fortsätt",
  challengeFailed: "Det fungerade inte. Försök igen.",
  challengeUnavailable: "Vi kunde inte kontrollera det just nu. Försök igen.",
  retryTitle: "Vänta lite",
  unavailable: "Väntrummet är tillfälligt otillgängligt. Försök igen om några sekunder.",
  limited: "För många nya köplatser har begärts från ditt nätverk. Försök igen om en minut.",
  retriesItself: "Sidan försöker igen av sig själv.",
  closedTitle: "Stängt",
  closed: "Det här väntrummet är stängt: inga nya platser delas ut.",
  closedThanks: "Tack för ditt intresse.",
  rejectedTitle: "Kom tillbaka senare",
  rejected:
    "Just nu kommer så många besökare att webbplatsen inte kan släppa in alla, och den har ingen kö. Kom tillbaka om en minut.",
  rejectedRetry: "Försök igen",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
