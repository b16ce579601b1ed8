import type { Text, TextKey } from "./en.ts";

/**
 * Norwegian Bokmål (also served for `no` and `nn`). Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const nb: Text = {
  languageName: "Norsk bokmål",
  languageLabel: "Språk",
  holdingTitle: "Du står i kø",
  holdingLead:
    "Det er svært mange besøkende akkurat nå. La siden være åpen: du slippes inn automatisk når det er din tur, og du beholder plassen din om du laster inn siden på nytt.",
  yourNumber: "Ditt nummer",
  ahead: "Foran deg",
  estimatedWait: "Beregnet ventetid",
  progressLabel: "Hvor langt du har kommet i køen",
  waitUnderMinute: "under ett minutt",
  waitPaused: "satt på pause",
  waitUpdating: "oppdateres…",
  pausedNotice:
    "Venterommet er satt på pause: ingen slippes inn akkurat nå. Du beholder plassen din i køen, og siden fortsetter av seg selv når innslippet gjenopptas.",
  delayedNotice: "Vi har en kort forsinkelse. Du beholder plassen din; siden fortsetter å prøve.",
  offerWindow: "Når det blir din tur, har du {time} på deg til å komme inn.",
  notifyOptIn: "Si fra når det er min tur (et varsel og en lyd)",
  turnNow: "Nå er det din tur. Du slippes inn…",
  turnTitle: "Nå er det din tur!",
  turnHidden: "Nå er det din tur! Kom inn innen {time}.",
  turnNotification: "Gå tilbake til denne fanen innen {time} for å komme inn.",
  turnLapsed: "Tiden for å komme inn har gått ut. Åpne siden på nytt for å se hvor du står.",
  comeIn: "Gå inn nå",
  countdownTitle: "Åpner snart",
  countdownOpensAt: "Du er i forhåndskøen. Den åpner {time}.",
  countdownExplain:
    "Ved åpningen får alle i forhåndskøen en plass i køen i tilfeldig rekkefølge, foran alle som kommer senere. Å komme tidlig gir ikke en bedre plass, så du trenger ikke å laste inn på nytt: la siden være åpen, så går den videre av seg selv (om omtrent {wait}).",
  countdownOpening: "Åpner…",
  countdownDelayed: "Vi har en kort forsinkelse. Du beholder plassen din; siden fortsetter å prøve.",
  challengeTitle: "Et øyeblikk",
  challengeLead:
    "Før du stiller deg i køen, må du bekrefte at du er et menneske. Det hindrer automatisert trafikk i å ta plasser i køen.",
  challengeContinue: "Fortsett",
  challengeFailed: "Det fungerte ikke. Prøv igjen.",
  challengeUnavailable: "Vi kunne ikke sjekke det akkurat nå. Prøv igjen.",
  retryTitle: "Vent litt",
  unavailable: "Venterommet er midlertidig utilgjengelig. Prøv igjen om noen sekunder.",
  limited: "For mange nye køplasser er bedt om fra nettverket ditt. Prøv igjen om ett minutt.",
  retriesItself: "Siden prøver igjen av seg selv.",
  closedTitle: "Stengt",
  closed: "Dette venterommet er stengt: ingen nye plasser deles ut.",
  closedThanks: "Takk for interessen.",
  rejectedTitle: "Kom tilbake senere",
  rejected:
    "Akkurat nå kommer det så mange besøkende at nettstedet ikke kan slippe inn alle, og det har ingen kø. Kom tilbake om et minutt.",
  rejectedRetry: "Prøv igjen",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
