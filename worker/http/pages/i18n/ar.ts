import type { Text, TextKey } from "./en.ts";

/**
 * Arabic (right to left). Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const ar: Text = {
  languageName: "العربية",
  languageLabel: "اللغة",
  holdingTitle: "أنت في قائمة الانتظار",
  holdingLead:
    "الموقع مزدحم جدًا الآن. أبقِ هذه الصفحة مفتوحة: ستدخل تلقائيًا عندما يحين دورك، وستحتفظ بمكانك إذا أعدت تحميل الصفحة.",
  yourNumber: "رقمك",
  ahead: "أمامك",
  estimatedWait: "مدة الانتظار المتوقعة",
  progressLabel: "التقدم في قائمة الانتظار",
  waitUnderMinute: "أقل من دقيقة",
  waitPaused: "متوقف مؤقتًا",
  waitUpdating: "جارٍ التحديث…",
  pausedNotice:
    "غرفة الانتظار متوقفة مؤقتًا: لا يُسمح لأحد بالدخول الآن. ستحتفظ بمكانك في قائمة الانتظار، وستتابع هذه الصفحة تلقائيًا عند استئناف الدخول.",
  delayedNotice: "هناك تأخير قصير. ستحتفظ بمكانك، وتواصل هذه الصفحة المحاولة.",
  offerWindow: "عندما يحين دورك، سيكون لديك {time} للدخول.",
  notifyOptIn: "أعلمني عندما يحين دوري (إشعار وصوت)",
  turnNow: "حان دورك. جارٍ إدخالك…",
  turnTitle: "حان دورك!",
  turnHidden: "حان دورك! ادخل خلال {time}.",
  turnNotification: "عُد إلى علامة التبويب هذه خلال {time} للدخول.",
  turnLapsed: "انتهى الوقت المتاح للدخول. افتح الصفحة مرة أخرى لمعرفة وضعك.",
  comeIn: "ادخل الآن",
  countdownTitle: "يفتح قريبًا",
  countdownOpensAt: "أنت في قائمة الانتظار المسبقة. موعد الفتح: {time}.",
  countdownExplain:
    "عند الفتح، يحصل كل من في قائمة الانتظار المسبقة على مكان في قائمة الانتظار بترتيب عشوائي، قبل كل من يصل لاحقًا. الوصول المبكر لا يمنح مكانًا أفضل، لذا لا داعي لإعادة التحميل: أبقِ هذه الصفحة مفتوحة وستتابع تلقائيًا (بعد {wait} تقريبًا).",
  countdownOpening: "جارٍ الفتح…",
  countdownDelayed: "هناك تأخير قصير. ستحتفظ بتسجيلك، وتواصل هذه الصفحة المحاولة.",
  challengeTitle: "لحظة من فضلك",
  challengeLead:
    "قبل الانضمام إلى قائمة الانتظار، يُرجى تأكيد أنك إنسان. هذا يمنع الزيارات الآلية من أخذ أماكن في قائمة الانتظار.",
  challengeContinue: "متابعة",
  challengeFailed: "لم ينجح ذلك. يُرجى المحاولة مرة أخرى.",
  challengeUnavailable: "تعذّر علينا التحقق الآن. يُرجى المحاولة مرة أخرى.",
  retryTitle: "يُرجى الانتظار",
  unavailable: "غرفة الانتظار غير متاحة لفترة وجيزة. يُرجى المحاولة مرة أخرى بعد بضع ثوانٍ.",
  limited: "طُلب عدد كبير جدًا من الأماكن الجديدة في قائمة الانتظار من شبكتك. يُرجى المحاولة مرة أخرى بعد دقيقة.",
  retriesItself: "تعيد هذه الصفحة المحاولة تلقائيًا.",
  closedTitle: "مغلق",
  closed: "غرفة الانتظار هذه مغلقة: لا تُمنح أماكن جديدة.",
  closedThanks: "شكرًا لاهتمامك.",
  rejectedTitle: "عُد لاحقًا",
  rejected:
    "يصل الآن عدد كبير جدًا من الزوار ولا يمكن للموقع إدخال الجميع، وهو لا يعتمد قائمة انتظار. يُرجى العودة بعد دقيقة.",
  rejectedRetry: "أعد المحاولة",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
