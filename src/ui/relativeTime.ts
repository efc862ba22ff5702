// "3 minutes ago", "yesterday", "2 weeks ago": when something happened, in words, for lists of accounts and passkeys.

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** `at` (ms since the epoch) said relative to `now`: "just now" under a minute, else the largest whole unit. */
export function relativeTime(at: number, now: number, locale = 'en'): string {
  if (!Number.isFinite(at) || !Number.isFinite(now)) throw new TypeError('at and now must be finite numbers');
  const diff = at - now;
  if (Math.abs(diff) < 60_000) return 'just now';
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return format.format(Math.trunc(diff / ms), unit);
  }
  return 'just now';
}
