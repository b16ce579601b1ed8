import type { Text, TextKey } from "./en.ts";

/**
 * Polish. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const pl: Text = {
  languageName: "Polski",
  languageLabel: "Język",
  holdingTitle: "Jesteś w kolejce",
  holdingLead:
    "Na stronie jest teraz bardzo duży ruch. Nie zamykaj tej strony: wejdziesz automatycznie, gdy nadejdzie Twoja kolej, a po odświeżeniu zachowasz swoje miejsce.",
  yourNumber: "Twój numer",
  ahead: "Przed Tobą",
  estimatedWait: "Szacowany czas oczekiwania",
  progressLabel: "Postęp w kolejce",
  waitUnderMinute: "mniej niż minuta",
  waitPaused: "wstrzymane",
  waitUpdating: "aktualizowanie…",
  pausedNotice:
    "Poczekalnia jest wstrzymana: teraz nikt nie jest wpuszczany. Zachowujesz swoje miejsce w kolejce, a strona sama ruszy dalej, gdy wpuszczanie zostanie wznowione.",
  delayedNotice: "Mamy krótkie opóźnienie. Zachowujesz swoje miejsce; strona próbuje dalej.",
  offerWindow: "Gdy nadejdzie Twoja kolej, będziesz mieć {time} na wejście.",
  notifyOptIn: "Powiadom mnie, gdy nadejdzie moja kolej (powiadomienie i dźwięk)",
  turnNow: "Twoja kolej. Wpuszczamy Cię…",
  turnTitle: "Twoja kolej!",
  turnHidden: "Twoja kolej! Czas na wejście: {time}.",
  turnNotification: "Wróć do tej karty, aby wejść (pozostało: {time}).",
  turnLapsed: "Czas na wejście minął. Otwórz stronę ponownie, aby sprawdzić swoją sytuację.",
  comeIn: "Wejdź teraz",
  countdownTitle: "Wkrótce otwarcie",
  countdownOpensAt: "Jesteś w kolejce wstępnej. Otwarcie: {time}.",
  countdownExplain:
    "W chwili otwarcia wszyscy z kolejki wstępnej dostają miejsce w kolejce w losowej kolejności, przed wszystkimi, którzy przyjdą później. Wcześniejsze przybycie nie daje lepszego miejsca, więc nie trzeba odświeżać: nie zamykaj tej strony, a sama przejdzie dalej (za około {wait}).",
  countdownOpening: "Otwieranie…",
  countdownDelayed: "Mamy krótkie opóźnienie. Zachowujesz swój wpis; strona próbuje dalej.",
  challengeTitle: "Chwileczkę",
  challengeLead:
    "Zanim dołączysz do kolejki, potwierdź, że jesteś człowiekiem. Dzięki temu ruch automatyczny nie zajmuje miejsc w kolejce.",
  challengeContinue: "Dalej",
  challengeFailed: "Nie udało się. Spróbuj ponownie.",
  challengeUnavailable: "Nie mogliśmy tego teraz sprawdzić. Spróbuj ponownie.",
  retryTitle: "Proszę czekać",
  unavailable: "Poczekalnia jest chwilowo niedostępna. Spróbuj ponownie za kilka sekund.",
  limited: "Z Twojej sieci zażądano zbyt wielu nowych miejsc w kolejce. Spróbuj ponownie za minutę.",
  retriesItself: "Ta strona sama ponowi próbę.",
  closedTitle: "Zamknięte",
  closed: "Ta poczekalnia jest zamknięta: nowe miejsca nie są przydzielane.",
  closedThanks: "Dziękujemy za zainteresowanie.",
  rejectedTitle: "Wróć później",
  rejected:
    "W tej chwili przybywa tylu odwiedzających, że strona nie może wpuścić wszystkich, a nie prowadzi kolejki. Wróć za minutę.",
  rejectedRetry: "Spróbuj ponownie",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
