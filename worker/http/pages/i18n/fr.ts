import type { Text, TextKey } from "./en.ts";

/**
 * French. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const fr: Text = {
  languageName: "Français",
  languageLabel: "Langue",
  holdingTitle: "Vous êtes dans la file",
  holdingLead:
    "Le site est très sollicité en ce moment. Gardez cette page ouverte : vous entrerez automatiquement quand ce sera votre tour, et vous gardez votre place si vous rechargez la page.",
  yourNumber: "Votre numéro",
  ahead: "Devant vous",
  estimatedWait: "Attente estimée",
  progressLabel: "Progression dans la file",
  waitUnderMinute: "moins d’une minute",
  waitPaused: "en pause",
  waitUpdating: "mise à jour…",
  pausedNotice:
    "La salle d’attente est en pause : personne n’entre pour le moment. Vous gardez votre place dans la file, et cette page reprend d’elle-même quand les entrées reprennent.",
  delayedNotice: "Nous avons un court retard. Vous gardez votre place ; cette page continue d’essayer.",
  offerWindow: "Quand ce sera votre tour, vous aurez {time} pour entrer.",
  notifyOptIn: "Me prévenir quand c’est mon tour (une notification et un son)",
  turnNow: "C’est votre tour. Entrée en cours…",
  turnTitle: "C’est votre tour !",
  turnHidden: "C’est votre tour ! Il vous reste {time} pour entrer.",
  turnNotification: "Revenez sur cet onglet pour entrer (il vous reste {time}).",
  turnLapsed: "Le délai pour entrer est écoulé. Rouvrez la page pour voir où vous en êtes.",
  comeIn: "Entrer maintenant",
  countdownTitle: "Ouverture prochaine",
  countdownOpensAt: "Vous êtes dans la pré-file. Ouverture : {time}.",
  countdownExplain:
    "À l’ouverture, toutes les personnes de la pré-file reçoivent une place dans la file dans un ordre aléatoire, devant toutes celles qui arrivent plus tard. Arriver plus tôt ne donne pas une meilleure place, inutile donc de recharger : gardez cette page ouverte, elle avance d’elle-même (dans environ {wait}).",
  countdownOpening: "Ouverture…",
  countdownDelayed: "Nous avons un court retard. Vous gardez votre inscription ; cette page continue d’essayer.",
  challengeTitle: "Un instant",
  challengeLead:
    "Avant de rejoindre la file, veuillez confirmer que vous êtes une personne. Cela empêche le trafic automatisé de prendre des places dans la file.",
  challengeContinue: "Continuer",
  challengeFailed: "Cela n’a pas fonctionné. Veuillez réessayer.",
  challengeUnavailable: "Nous n’avons pas pu vérifier pour le moment. Veuillez réessayer.",
  retryTitle: "Veuillez patienter",
  unavailable: "La salle d’attente est brièvement indisponible. Veuillez réessayer dans quelques secondes.",
  limited: "Trop de nouvelles places ont été demandées depuis votre réseau. Veuillez réessayer dans une minute.",
  retriesItself: "Cette page réessaie d’elle-même.",
  closedTitle: "Fermé",
  closed: "Cette salle d’attente est fermée : aucune nouvelle place n’est attribuée.",
  closedThanks: "Merci de votre intérêt.",
  rejectedTitle: "Revenez plus tard",
  rejected:
    "Il y a en ce moment tant de visiteurs que le site ne peut pas accueillir tout le monde, et il n’a pas de file d’attente. Merci de revenir dans une minute.",
  rejectedRetry: "Réessayer",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
