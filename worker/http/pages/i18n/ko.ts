import type { Text, TextKey } from "./en.ts";

/**
 * Korean. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const ko: Text = {
  languageName: "한국어",
  languageLabel: "언어",
  holdingTitle: "대기열에 있습니다",
  holdingLead:
    "지금 사이트 접속자가 매우 많습니다. 이 페이지를 열어 두세요. 차례가 되면 자동으로 입장하며, 새로고침해도 순서가 유지됩니다.",
  yourNumber: "내 번호",
  ahead: "내 앞의 인원",
  estimatedWait: "예상 대기 시간",
  progressLabel: "대기열 진행 상황",
  waitUnderMinute: "1분 미만",
  waitPaused: "일시 중지됨",
  waitUpdating: "업데이트 중…",
  pausedNotice:
    "대기실이 일시 중지되었습니다. 지금은 아무도 입장할 수 없습니다. 대기열의 순서는 유지되며, 입장이 재개되면 이 페이지가 자동으로 계속됩니다.",
  delayedNotice: "잠시 지연되고 있습니다. 순서는 유지되며, 이 페이지가 계속 시도합니다.",
  offerWindow: "차례가 되면 {time} 안에 입장해야 합니다.",
  notifyOptIn: "내 차례가 되면 알려 주기(알림과 소리)",
  turnNow: "내 차례입니다. 입장하는 중…",
  turnTitle: "내 차례입니다!",
  turnHidden: "내 차례입니다! {time} 안에 입장하세요.",
  turnNotification: "{time} 안에 이 탭으로 돌아와 입장하세요.",
  turnLapsed: "입장 가능 시간이 지났습니다. 페이지를 다시 열어 현재 상태를 확인하세요.",
  comeIn: "지금 입장",
  countdownTitle: "곧 시작합니다",
  countdownOpensAt: "사전 대기열에 있습니다. 시작 시각: {time}.",
  countdownExplain:
    "시작 시 사전 대기열의 모든 사람은 무작위 순서로 대기열 자리를 받으며, 이후에 도착하는 모든 사람보다 앞에 섭니다. 일찍 와도 더 좋은 자리를 받지 않으므로 새로고침할 필요가 없습니다. 이 페이지를 열어 두면 자동으로 진행됩니다(약 {wait} 후).",
  countdownOpening: "시작하는 중…",
  countdownDelayed: "잠시 지연되고 있습니다. 등록은 유지되며, 이 페이지가 계속 시도합니다.",
  challengeTitle: "잠시만요",
  challengeLead:
    "대기열에 들어가기 전에 사람인지 확인해 주세요. 자동화된 트래픽이 대기열 자리를 차지하지 못하게 합니다.",
  challengeContinue: "계속",
  challengeFailed: "확인하지 못했습니다. 다시 시도하세요.",
  challengeUnavailable: "지금은 확인할 수 없습니다. 다시 시도하세요.",
  retryTitle: "잠시 기다려 주세요",
  unavailable: "대기실을 잠시 사용할 수 없습니다. 몇 초 후에 다시 시도하세요.",
  limited: "사용 중인 네트워크에서 새 대기열 자리를 너무 많이 요청했습니다. 1분 후에 다시 시도하세요.",
  retriesItself: "이 페이지는 자동으로 다시 시도합니다.",
  closedTitle: "마감",
  closed: "이 대기실은 마감되었습니다. 새 자리를 배정하지 않습니다.",
  closedThanks: "관심을 가져 주셔서 감사합니다.",
  rejectedTitle: "나중에 다시 방문해 주세요",
  rejected:
    "지금 방문자가 너무 많아 모든 분을 입장시킬 수 없으며, 이 사이트는 대기열을 운영하지 않습니다. 1분 후에 다시 방문해 주세요.",
  rejectedRetry: "다시 시도",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
