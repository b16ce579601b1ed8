import type { Text, TextKey } from "./en.ts";

/**
 * Japanese. Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const ja: Text = {
  languageName: "日本語",
  languageLabel: "言語",
  holdingTitle: "順番待ちをしています",
  holdingLead:
    "現在、サイトが大変混み合っています。このページを開いたままお待ちください。順番が来ると自動的に入場できます。ページを再読み込みしても順番は保たれます。",
  yourNumber: "あなたの番号",
  ahead: "前に並んでいる人数",
  estimatedWait: "推定待ち時間",
  progressLabel: "列の進み具合",
  waitUnderMinute: "1分未満",
  waitPaused: "一時停止中",
  waitUpdating: "更新中…",
  pausedNotice:
    "待合室は一時停止中です。現在どなたも入場できません。列の順番は保たれ、入場が再開されるとこのページは自動的に続行します。",
  delayedNotice: "一時的に遅延が発生しています。順番は保たれます。このページは再試行を続けます。",
  offerWindow: "順番が来たら、{time}以内に入場してください。",
  notifyOptIn: "順番が来たら知らせる（通知と音）",
  turnNow: "あなたの番です。入場しています…",
  turnTitle: "あなたの番です！",
  turnHidden: "あなたの番です！{time}以内に入場してください。",
  turnNotification: "{time}以内にこのタブに戻って入場してください。",
  turnLapsed: "入場できる時間が過ぎました。ページを開き直して状況を確認してください。",
  comeIn: "今すぐ入場",
  countdownTitle: "まもなく開始",
  countdownOpensAt: "事前待機列にいます。開始時刻：{time}",
  countdownExplain:
    "開始時に、事前待機列の全員がランダムな順番で列に並び、それ以降に来た人より前になります。早く来ても順番は良くならないため、再読み込みの必要はありません。このページを開いたままにしておけば自動的に進みます（あと約{wait}）。",
  countdownOpening: "開始しています…",
  countdownDelayed: "一時的に遅延が発生しています。登録は保たれます。このページは再試行を続けます。",
  challengeTitle: "少々お待ちください",
  challengeLead:
    "列に並ぶ前に、人間であることを確認してください。自動化されたアクセスが列の順番を占有するのを防ぎます。",
  challengeContinue: "続行",
  challengeFailed: "うまくいきませんでした。もう一度お試しください。",
  challengeUnavailable: "現在確認できませんでした。もう一度お試しください。",
  retryTitle: "お待ちください",
  unavailable: "待合室は一時的に利用できません。数秒後にもう一度お試しください。",
  limited: "お使いのネットワークから新しい順番のリクエストが多すぎます。1分後にもう一度お試しください。",
  retriesItself: "このページは自動的に再試行します。",
  closedTitle: "受付終了",
  closed: "この待合室は終了しました。新しい順番は発行されていません。",
  closedThanks: "ご関心をお寄せいただきありがとうございます。",
  rejectedTitle: "後ほどお越しください",
  rejected:
    "現在アクセスが集中しており、すべての方をご案内できません。このサイトでは順番待ちの列を設けていません。1分ほどしてから、もう一度お越しください。",
  rejectedRetry: "再試行",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
