import type { Text, TextKey } from "./en.ts";

/**
 * Italian. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const it: Text = {
  languageName: "Italiano",
  languageLabel: "Lingua",
  holdingTitle: "Sei in coda",
  holdingLead:
    "Il sito è molto affollato in questo momento. Tieni aperta questa pagina: entrerai automaticamente quando sarà il tuo turno, e mantieni il tuo posto se ricarichi.",
  yourNumber: "Il tuo numero",
  ahead: "Davanti a te",
  estimatedWait: "Attesa stimata",
  progressLabel: "Avanzamento nella coda",
  waitUnderMinute: "meno di un minuto",
  waitPaused: "in pausa",
  waitUpdating: "aggiornamento…",
  pausedNotice:
    "La sala d’attesa è in pausa: al momento non entra nessuno. Mantieni il tuo posto in coda, e questa pagina riprende da sola quando gli ingressi ripartono.",
  delayedNotice: "C’è un breve ritardo. Mantieni il tuo posto; questa pagina continua a riprovare.",
  offerWindow: "Quando sarà il tuo turno, avrai {time} per entrare.",
  notifyOptIn: "Avvisami quando è il mio turno (una notifica e un suono)",
  turnNow: "È il tuo turno. Ti stiamo facendo entrare…",
  turnTitle: "È il tuo turno!",
  turnHidden: "È il tuo turno! Hai ancora {time} per entrare.",
  turnNotification: "Torna a questa scheda per entrare (hai ancora {time}).",
  turnLapsed: "Il tempo per entrare è scaduto. Riapri la pagina per vedere a che punto sei.",
  comeIn: "Entra ora",
  countdownTitle: "Apertura a breve",
  countdownOpensAt: "Sei nella pre-coda. Apertura: {time}.",
  countdownExplain:
    "All’apertura, tutti quelli in pre-coda ricevono un posto in coda in ordine casuale, davanti a chi arriva dopo. Arrivare prima non dà un posto migliore, quindi non serve ricaricare: tieni aperta questa pagina e andrà avanti da sola (tra circa {wait}).",
  countdownOpening: "Apertura…",
  countdownDelayed: "C’è un breve ritardo. Mantieni la tua iscrizione; questa pagina continua a riprovare.",
  challengeTitle: "Un momento",
  challengeLead:
    "Prima di metterti in coda, conferma di essere una persona. Così il traffico automatico non occupa posti in coda.",
  challengeContinue: "Continua",
  challengeFailed: "Non ha funzionato. Riprova.",
  challengeUnavailable: "Non siamo riusciti a verificarlo in questo momento. Riprova.",
  retryTitle: "Attendi",
  unavailable: "La sala d’attesa è momentaneamente non disponibile. Riprova tra qualche secondo.",
  limited: "Dalla tua rete sono stati richiesti troppi nuovi posti in coda. Riprova tra un minuto.",
  retriesItself: "Questa pagina riprova da sola.",
  closedTitle: "Chiuso",
  closed: "Questa sala d’attesa è chiusa: non vengono assegnati nuovi posti.",
  closedThanks: "Grazie per l’interesse.",
  rejectedTitle: "Torna più tardi",
  rejected:
    "In questo momento arrivano così tanti visitatori che il sito non può far entrare tutti, e non ha una coda. Torna tra un minuto.",
  rejectedRetry: "Riprova",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
