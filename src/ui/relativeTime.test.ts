import { describe, expect, it } from 'vitest';
import { relativeTime } from './relativeTime.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const MIN = 60_000;
const DAY = 86_400_000;

describe('relativeTime', () => {
  it('says "just now" under a minute, either way', () => {
    expect(relativeTime(NOW, NOW)).toBe('just now');
    expect(relativeTime(NOW - 59_000, NOW)).toBe('just now');
    expect(relativeTime(NOW + 30_000, NOW)).toBe('just now');
  });
  it('uses the largest whole unit', () => {
    expect(relativeTime(NOW - 5 * MIN, NOW)).toBe('5 minutes ago');
    expect(relativeTime(NOW - 90 * MIN, NOW)).toBe('1 hour ago');
    expect(relativeTime(NOW - DAY, NOW)).toBe('yesterday');
    expect(relativeTime(NOW - 3 * DAY, NOW)).toBe('3 days ago');
    expect(relativeTime(NOW - 15 * DAY, NOW)).toBe('2 weeks ago');
    expect(relativeTime(NOW - 70 * DAY, NOW)).toBe('2 months ago');
    expect(relativeTime(NOW - 800 * DAY, NOW)).toBe('2 years ago');
  });
  it('says the future too (a clock that moved)', () => {
    expect(relativeTime(NOW + 2 * DAY, NOW)).toBe('in 2 days');
  });
  it('refuses what is not a time', () => {
    expect(() => relativeTime(Number.NaN, NOW)).toThrow(TypeError);
  });
});
