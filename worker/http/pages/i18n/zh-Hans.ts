import type { Text, TextKey } from "./en.ts";

/**
 * Chinese (Simplified). Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const zhHans: Text = {
  languageName: "简体中文",
  languageLabel: "语言",
  holdingTitle: "您正在排队",
  holdingLead: "网站当前访问量很大。请保持此页面打开：轮到您时会自动进入，刷新页面也不会失去您的位置。",
  yourNumber: "您的号码",
  ahead: "您前面",
  estimatedWait: "预计等待",
  progressLabel: "排队进度",
  waitUnderMinute: "不到一分钟",
  waitPaused: "已暂停",
  waitUpdating: "正在更新…",
  pausedNotice: "等候室已暂停：目前不放行任何人。您的排队位置保留不变，恢复放行后此页面会自动继续。",
  delayedNotice: "出现短暂延迟。您的位置保留不变；此页面会继续尝试。",
  offerWindow: "轮到您时，您有{time}的时间进入。",
  notifyOptIn: "轮到我时提醒我（通知和提示音）",
  turnNow: "轮到您了。正在带您进入…",
  turnTitle: "轮到您了！",
  turnHidden: "轮到您了！请在{time}内进入。",
  turnNotification: "请在{time}内回到此标签页进入。",
  turnLapsed: "进入时间已过。请重新打开页面查看您的状态。",
  comeIn: "立即进入",
  countdownTitle: "即将开放",
  countdownOpensAt: "您在预排队中。开放时间：{time}。",
  countdownExplain:
    "开放时，预排队中的每个人都会按随机顺序获得排队位置，排在之后到达的所有人前面。早到并不能得到更好的位置，所以无需刷新：保持此页面打开，它会自动继续（大约还有{wait}）。",
  countdownOpening: "正在开放…",
  countdownDelayed: "出现短暂延迟。您的登记保留不变；此页面会继续尝试。",
  challengeTitle: "请稍候",
  challengeLead: "加入队列前，请确认您是真人。这可以防止自动化流量占用队列中的位置。",
  challengeContinue: "继续",
  challengeFailed: "验证未成功。请重试。",
  challengeUnavailable: "暂时无法验证。请重试。",
  retryTitle: "请稍候",
  unavailable: "等候室暂时不可用。请几秒后重试。",
  limited: "您的网络请求了过多新的排队位置。请一分钟后重试。",
  retriesItself: "此页面会自动重试。",
  closedTitle: "已关闭",
  closed: "此等候室已关闭：不再发放新的位置。",
  closedThanks: "感谢您的关注。",
  rejectedTitle: "请稍后再来",
  rejected: "目前访问人数过多，网站无法让所有人进入，且不设排队。请一分钟后再来。",
  rejectedRetry: "重试",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
