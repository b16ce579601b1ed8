import type { Text, TextKey } from "./en.ts";

/**
 * Portuguese (written to read in both Portugal and Brazil). Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const pt: Text = {
  languageName: "Português",
  languageLabel: "Idioma",
  holdingTitle: "Está na fila",
  holdingLead:
    "O site está muito movimentado neste momento. Mantenha esta página aberta: vai entrar automaticamente quando for a sua vez, e mantém o seu lugar se recarregar a página.",
  yourNumber: "O seu número",
  ahead: "À sua frente",
  estimatedWait: "Espera estimada",
  progressLabel: "Progresso na fila",
  waitUnderMinute: "menos de um minuto",
  waitPaused: "em pausa",
  waitUpdating: "em atualização…",
  pausedNotice:
    "A sala de espera está em pausa: neste momento, ninguém entra. Mantém o seu lugar na fila, e esta página continua sozinha quando as entradas forem retomadas.",
  delayedNotice: "Há um breve atraso. Mantém o seu lugar; esta página tenta novamente sozinha.",
  offerWindow: "Quando chegar a sua vez, terá {time} para entrar.",
  notifyOptIn: "Avisar-me quando for a minha vez (uma notificação e um som)",
  turnNow: "É a sua vez. Entrada em curso…",
  turnTitle: "É a sua vez!",
  turnHidden: "É a sua vez! Tem {time} para entrar.",
  turnNotification: "Volte a esta página para entrar (tem {time}).",
  turnLapsed: "O tempo para entrar terminou. Abra a página de novo para ver a sua situação.",
  comeIn: "Entrar agora",
  countdownTitle: "Abre em breve",
  countdownOpensAt: "Está na pré-fila. Abertura: {time}.",
  countdownExplain:
    "Na abertura, todas as pessoas na pré-fila recebem um lugar na fila por ordem aleatória, à frente de quem chegar depois. Chegar mais cedo não dá um lugar melhor, por isso não é preciso recarregar: mantenha esta página aberta e ela avança sozinha (dentro de cerca de {wait}).",
  countdownOpening: "Abertura…",
  countdownDelayed: "Há um breve atraso. Mantém a sua inscrição; esta página tenta novamente sozinha.",
  challengeTitle: "Um momento",
  challengeLead:
    "Antes de entrar na fila, confirme que é uma pessoa. Isso impede que tráfego automatizado ocupe lugares na fila.",
  challengeContinue: "Continuar",
  challengeFailed: "Não funcionou. Tente novamente.",
  challengeUnavailable: "Não foi possível verificar agora. Tente novamente.",
  retryTitle: "Aguarde",
  unavailable: "A sala de espera está brevemente indisponível. Tente novamente dentro de alguns segundos.",
  limited: "Foram pedidos muitos lugares novos na fila a partir da sua rede. Tente novamente dentro de um minuto.",
  retriesItself: "Esta página tenta novamente sozinha.",
  closedTitle: "Fechado",
  closed: "Esta sala de espera está fechada: não são dados novos lugares.",
  closedThanks: "Obrigado pelo seu interesse.",
  rejectedTitle: "Volte mais tarde",
  rejected:
    "Neste momento chegam tantos visitantes que o site não consegue deixar entrar todos, e não tem fila de espera. Volte daqui a um minuto.",
  rejectedRetry: "Tentar novamente",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
