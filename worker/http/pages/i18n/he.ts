import type { Text, TextKey } from "./en.ts";

/**
 * Hebrew (right to left; addresses the visitor in the plural, which reads as neither gender). Translated by the project from the English reference, carefully but
 * not by a native speaker: no string has been reviewed by a fluent speaker yet. A
 * reviewer lists the keys they checked (or corrected) in `reviewed` below.
 */
export const he: Text = {
  languageName: "עברית",
  languageLabel: "שפה",
  holdingTitle: "אתם בתור",
  holdingLead:
    "יש כרגע עומס רב באתר. השאירו את הדף הזה פתוח: תיכנסו אוטומטית כשיגיע תורכם, והמקום שלכם נשמר גם אם תטענו את הדף מחדש.",
  yourNumber: "המספר שלכם",
  ahead: "לפניכם",
  estimatedWait: "זמן המתנה משוער",
  progressLabel: "התקדמות בתור",
  waitUnderMinute: "פחות מדקה",
  waitPaused: "מושהה",
  waitUpdating: "מתעדכן…",
  pausedNotice: "חדר ההמתנה מושהה: כרגע אף אחד לא נכנס. המקום שלכם בתור נשמר, והדף ימשיך מעצמו כשהכניסה תתחדש.",
  delayedNotice: "יש עיכוב קצר. המקום שלכם נשמר; הדף ממשיך לנסות.",
  offerWindow: "כשיגיע תורכם, יהיו לכם {time} כדי להיכנס.",
  notifyOptIn: "הודיעו לי כשיגיע תורי (התראה וצליל)",
  turnNow: "הגיע תורכם. מכניסים אתכם…",
  turnTitle: "הגיע תורכם!",
  turnHidden: "הגיע תורכם! היכנסו בתוך {time}.",
  turnNotification: "חזרו ללשונית הזו בתוך {time} כדי להיכנס.",
  turnLapsed: "הזמן להיכנס עבר. פתחו את הדף מחדש כדי לראות היכן אתם עומדים.",
  comeIn: "כניסה עכשיו",
  countdownTitle: "נפתח בקרוב",
  countdownOpensAt: "אתם בתור המוקדם. מועד הפתיחה: {time}.",
  countdownExplain:
    "בפתיחה, כל מי שבתור המוקדם מקבל מקום בתור בסדר אקראי, לפני כל מי שמגיע אחר כך. הגעה מוקדמת לא נותנת מקום טוב יותר, ולכן אין צורך לרענן: השאירו את הדף פתוח והוא ימשיך מעצמו (בעוד כ-{wait}).",
  countdownOpening: "נפתח…",
  countdownDelayed: "יש עיכוב קצר. הרישום שלכם נשמר; הדף ממשיך לנסות.",
  challengeTitle: "רגע אחד",
  challengeLead: "לפני שתצטרפו לתור, אנא אשרו שאתם בני אדם. כך תעבורה אוטומטית לא תתפוס מקומות בתור.",
  challengeContinue: "המשך",
  challengeFailed: "זה לא הצליח. נסו שוב.",
  challengeUnavailable: "לא הצלחנו לבדוק זאת כרגע. נסו שוב.",
  retryTitle: "אנא המתינו",
  unavailable: "חדר ההמתנה אינו זמין לרגע. נסו שוב בעוד כמה שניות.",
  limited: "יותר מדי מקומות חדשים בתור התבקשו מהרשת שלכם. נסו שוב בעוד דקה.",
  retriesItself: "הדף ינסה שוב מעצמו.",
  closedTitle: "סגור",
  closed: "חדר ההמתנה הזה סגור: לא מחולקים מקומות חדשים.",
  closedThanks: "תודה על ההתעניינות.",
  rejectedTitle: "חזרו מאוחר יותר",
  rejected: "מגיעים עכשיו כל כך הרבה מבקרים שהאתר לא יכול להכניס את כולם, ואין בו תור המתנה. נסו שוב בעוד דקה.",
  rejectedRetry: "לנסות שוב",
};

/** Keys a fluent speaker has reviewed: none yet. */
export const reviewed: readonly TextKey[] = [];
