// Dates and times written as the user's locale writes them. Each style has
// one formatter, built on first use: `toLocaleString` and
// `toLocaleDateString` build a new `Intl.DateTimeFormat` on every call, with
// or without options, and WebKit asks ICU for the locale's pattern each time
// (about 0.1 ms), which a dashboard, a task list or a client's timeline,
// formatting dozens of times in each of several renders, pays for on every
// screen drawn. Every date the window shows is written here.

function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

const dateTimeFormat = once(() => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }));
const dateFormat = once(() => new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }));
const monthFormat = once(() => new Intl.DateTimeFormat(undefined, { month: "short", year: "2-digit", timeZone: "UTC" }));
const dayFormat = once(() => new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }));

/** An instant, e.g. "5 Dec 2026, 14:30" (medium date, short time, the user's zone). */
export function dateTimeText(at: string | Date): string {
  return dateTimeFormat().format(typeof at === "string" ? new Date(at) : at);
}

/** The day of an instant, e.g. "5 Dec 2026" (medium date, the user's zone). */
export function dateText(at: string | Date): string {
  return dateFormat().format(typeof at === "string" ? new Date(at) : at);
}

/** A calendar month, "2026-12" → "Dec 26"; anything else is returned as it is. */
export function monthText(month: string): string {
  const [y, m] = month.split("-").map(Number);
  if (!y || !m) return month;
  return monthFormat().format(new Date(Date.UTC(y, m - 1, 15)));
}

/** A calendar day, "2026-12-04" → "4 Dec 2026" (in the locale's order); anything else is returned as it is. */
export function dayText(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  if (!y || !m || !d) return day;
  return dayFormat().format(new Date(Date.UTC(y, m - 1, d)));
}

/**
 * Builds every formatter at the window's first quiet moment (the lock
 * screen, while the passphrase is typed): the first `Intl.DateTimeFormat`
 * loads the locale's data, 7-9 ms that the first screen writing a date
 * (the dashboard's months) would otherwise spend before it is drawn.
 */
export function prepareDateFormats(): void {
  const build = () => {
    dateTimeFormat();
    dateFormat();
    monthFormat();
    dayFormat();
  };
  if (typeof requestIdleCallback === "function") requestIdleCallback(build, { timeout: 2000 });
  else setTimeout(build, 200);
}
