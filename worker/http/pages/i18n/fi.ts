import type { Text, TextKey } from "./en.ts";

/**
 * Finnish. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const fi: Text = {
  languageName: "Suomi",
  languageLabel: "Kieli",
  holdingTitle: "Olet jonossa",
  holdingLead:
    "Sivustolla on juuri nyt hyvin ruuhkaista. Pidä tämä sivu auki: pääset sisään automaattisesti, kun on vuorosi, ja paikkasi säilyy, vaikka lataisit sivun uudelleen.",
  yourNumber: "Numerosi",
  ahead: "Edelläsi",
  estimatedWait: "Arvioitu odotusaika",
  progressLabel: "Eteneminen jonossa",
  waitUnderMinute: "alle minuutti",
  waitPaused: "keskeytetty",
  waitUpdating: "päivitetään…",
  pausedNotice:
    "Jonotus on keskeytetty: ketään ei päästetä sisään juuri nyt. Paikkasi jonossa säilyy, ja sivu jatkaa itsestään, kun sisäänpääsy jatkuu.",
  delayedNotice: "Meillä on lyhyt viive. Paikkasi säilyy; sivu yrittää edelleen.",
  offerWindow: "Kun on vuorosi, sinulla on {time} aikaa tulla sisään.",
  notifyOptIn: "Kerro minulle, kun on vuoroni (ilmoitus ja äänimerkki)",
  turnNow: "Nyt on vuorosi. Pääset sisään…",
  turnTitle: "Nyt on vuorosi!",
  turnHidden: "Nyt on vuorosi! Tule sisään, aikaa on {time}.",
  turnNotification: "Palaa tälle välilehdelle päästäksesi sisään (aikaa on {time}).",
  turnLapsed: "Aika tulla sisään on kulunut umpeen. Avaa sivu uudelleen nähdäksesi tilanteesi.",
  comeIn: "Siirry sisään",
  countdownTitle: "Avautuu pian",
  countdownOpensAt: "Olet ennakkojonossa. Avautumisaika: {time}.",
  countdownExplain:
    "Avautuessa kaikki ennakkojonossa olevat saavat paikan jonosta satunnaisessa järjestyksessä, ennen kaikkia myöhemmin saapuvia. Aikaisemmin saapuminen ei anna parempaa paikkaa, joten sivua ei tarvitse ladata uudelleen: pidä sivu auki, niin se etenee itsestään (jäljellä noin {wait}).",
  countdownOpening: "Avautuu…",
  countdownDelayed: "Meillä on lyhyt viive. Ilmoittautumisesi säilyy; sivu yrittää edelleen.",
  challengeTitle: "Hetkinen",
  challengeLead:
    "Ennen kuin liityt jonoon, vahvista, että olet ihminen. Näin automaattinen liikenne ei vie paikkoja jonosta.",
  challengeContinue: "Jatka",
  challengeFailed: "Se ei onnistunut. Yritä uudelleen.",
  challengeUnavailable: "Emme voineet tarkistaa sitä juuri nyt. Yritä uudelleen.",
  retryTitle: "Odota hetki",
  unavailable: "Jonotus ei ole hetkeen käytettävissä. Yritä uudelleen muutaman sekunnin kuluttua.",
  limited: "Verkostasi on pyydetty liian monta uutta jonopaikkaa. Yritä uudelleen minuutin kuluttua.",
  retriesItself: "Sivu yrittää uudelleen itsestään.",
  closedTitle: "Suljettu",
  closed: "Tämä jonotus on suljettu: uusia paikkoja ei jaeta.",
  closedThanks: "Kiitos kiinnostuksestasi.",
  rejectedTitle: "Palaa myöhemmin",
  rejected:
    "Juuri nyt kävijöitä saapuu niin paljon, ettei sivusto voi päästää kaikkia sisään, eikä sillä ole jonoa. Palaa minuutin kuluttua.",
  rejectedRetry: "Yritä uudelleen",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
