/**
 * Waits and clocks in the visitor's language, with `Intl`. These functions
 * run in the worker and, as their own source text, in the holding page's
 * script (`template.ts` embeds `formatWait.toString()`), so the page and the
 * server word a wait the same way from one implementation. Keep each one
 * self-contained: no imports, no names from outside, no inner functions
 * (a bundler may wrap those in helpers the page does not have).
 */

/**
 * A wait in words, rounded the way people say it: "under a minute" (the
 * language's own words, passed in), whole minutes in the language's plural
 * ("5 minuter"), hours and minutes as a short duration ("1 h, 7 min").
 *
 * @example
 * ```ts
 * formatWait(300, "sv", "under en minut"); // "5 minuter"
 * formatWait(4020, "en", "under a minute"); // "1 hr, 7 min"
 * ```
 *
 * Hours and minutes go through Intl.DurationFormat where there is one
 * (workerd, Chromium 129+, Firefox 136+, Safari 16.4+), which joins units as
 * the language does; older browsers get the two units side by side.
 */
export function formatWait(seconds: number, lang: string, underMinute: string): string {
  if (!(seconds >= 60)) return underMinute;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return new Intl.NumberFormat(lang, { style: "unit", unit: "minute", unitDisplay: "long" }).format(minutes);
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const Duration = (Intl as unknown as { DurationFormat?: new (l: string, o: object) => { format(d: object): string } })
    .DurationFormat;
  if (Duration) return new Duration(lang, { style: "short" }).format({ hours, minutes: rest });
  const hourText = new Intl.NumberFormat(lang, { style: "unit", unit: "hour", unitDisplay: "short" }).format(hours);
  const minuteText = new Intl.NumberFormat(lang, { style: "unit", unit: "minute", unitDisplay: "short" }).format(rest);
  return `${hourText} ${minuteText}`;
}

/**
 * A countdown clock, "04:59" or "1:02:03", in the language's digits.
 *
 * @example
 * ```ts
 * formatClock(299, "en"); // "04:59"
 * ```
 */
export function formatClock(seconds: number, lang: string): string {
  const whole = Math.max(0, Math.floor(seconds));
  const parts = { hours: Math.floor(whole / 3600), minutes: Math.floor(whole / 60) % 60, seconds: whole % 60 };
  const Duration = (Intl as unknown as { DurationFormat?: new (l: string, o: object) => { format(d: object): string } })
    .DurationFormat;
  if (Duration) return new Duration(lang, { style: "digital", hoursDisplay: "auto" }).format(parts);
  const two = new Intl.NumberFormat(lang, { minimumIntegerDigits: 2 });
  const head = parts.hours > 0 ? `${new Intl.NumberFormat(lang).format(parts.hours)}:` : "";
  return `${head}${two.format(parts.minutes)}:${two.format(parts.seconds)}`;
}

/**
 * A translated string with its `{name}` placeholders filled; unknown names stay as they are.
 *
 * @example
 * ```ts
 * fill("Come in within {time}.", { time: "04:59" }); // "Come in within 04:59."
 * ```
 */
export function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{([A-Za-z]+)\}/g, (match, name: string) => values[name] ?? match);
}
