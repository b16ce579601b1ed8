import type { Text, TextKey } from "./en.ts";

/**
 * Spanish. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const es: Text = {
  languageName: "Español",
  languageLabel: "Idioma",
  holdingTitle: "Estás en la fila",
  holdingLead:
    "El sitio tiene muchísimo tráfico ahora mismo. Mantén esta página abierta: entrarás automáticamente cuando sea tu turno, y conservas tu lugar si recargas.",
  yourNumber: "Tu número",
  ahead: "Delante de ti",
  estimatedWait: "Espera estimada",
  progressLabel: "Avance en la fila",
  waitUnderMinute: "menos de un minuto",
  waitPaused: "en pausa",
  waitUpdating: "actualizando…",
  pausedNotice:
    "La sala de espera está en pausa: ahora mismo no entra nadie. Conservas tu lugar en la fila, y esta página continúa sola cuando se reanude el acceso.",
  delayedNotice: "Hay un breve retraso. Conservas tu lugar; esta página sigue intentándolo.",
  offerWindow: "Cuando llegue tu turno, tendrás {time} para entrar.",
  notifyOptIn: "Avísame cuando sea mi turno (una notificación y un sonido)",
  turnNow: "Es tu turno. Entrando…",
  turnTitle: "¡Es tu turno!",
  turnHidden: "¡Es tu turno! Te quedan {time} para entrar.",
  turnNotification: "Vuelve a esta pestaña para entrar (te quedan {time}).",
  turnLapsed: "Se acabó el tiempo para entrar. Abre la página de nuevo para ver tu situación.",
  comeIn: "Entrar ahora",
  countdownTitle: "Abre pronto",
  countdownOpensAt: "Estás en la fila previa. Apertura: {time}.",
  countdownExplain:
    "En la apertura, todas las personas de la fila previa reciben un lugar en la fila en orden aleatorio, por delante de quienes lleguen después. Llegar antes no da un lugar mejor, así que no hace falta recargar: mantén esta página abierta y avanzará sola (en aproximadamente {wait}).",
  countdownOpening: "Abriendo…",
  countdownDelayed: "Hay un breve retraso. Conservas tu inscripción; esta página sigue intentándolo.",
  challengeTitle: "Un momento",
  challengeLead:
    "Antes de unirte a la fila, confirma que eres una persona. Así el tráfico automatizado no ocupa lugares en la fila.",
  challengeContinue: "Continuar",
  challengeFailed: "No ha funcionado. Inténtalo de nuevo.",
  challengeUnavailable: "No hemos podido comprobarlo ahora mismo. Inténtalo de nuevo.",
  retryTitle: "Espera, por favor",
  unavailable: "La sala de espera no está disponible por un momento. Inténtalo de nuevo en unos segundos.",
  limited: "Se han pedido demasiados lugares nuevos en la fila desde tu red. Inténtalo de nuevo en un minuto.",
  retriesItself: "Esta página lo vuelve a intentar sola.",
  closedTitle: "Cerrado",
  closed: "Esta sala de espera está cerrada: no se reparten lugares nuevos.",
  closedThanks: "Gracias por tu interés.",
  rejectedTitle: "Vuelve más tarde",
  rejected:
    "Ahora mismo llegan tantos visitantes que el sitio no puede dejar entrar a todos, y no tiene fila de espera. Vuelve dentro de un minuto.",
  rejectedRetry: "Volver a intentarlo",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
