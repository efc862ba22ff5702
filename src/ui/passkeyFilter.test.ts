import { describe, expect, it } from 'vitest';
import { filterPasskeys, indexPasskeys, onSite, queryWords } from './passkeyFilter.ts';

const row = (rpId: string, userName: string, userDisplayName = '', createdAt = 0, lastUsedAt?: number) => ({
  rpId,
  userName,
  userDisplayName,
  createdAt,
  ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
});

const ROWS = [
  row('github.com', 'octo', 'The Octocat', 1),
  row('login.example.com', 'ann', 'Ann Smith', 10, 50),
  row('example.com', 'Bob', 'Robert Jones', 20, 30),
  row('example.com', 'ann', 'Ann at work', 40),
  row('evil-example.com', 'mallory', 'Mallory', 5, 99),
  row('site10.example.org', 'x'),
  row('site9.example.org', 'y'),
];
const names = (rs: readonly { rpId: string; userName: string }[]) => rs.map((r) => `${r.userName}@${r.rpId}`);

describe('indexPasskeys', () => {
  it('orders by rpId, then account name, ignoring case, numbers as numbers', () => {
    expect(names(indexPasskeys(ROWS).rows)).toEqual([
      'mallory@evil-example.com', 'ann@example.com', 'Bob@example.com', 'octo@github.com', 'ann@login.example.com', 'y@site9.example.org', 'x@site10.example.org',
    ]);
  });
  it('does not reorder its argument', () => {
    const copy = [...ROWS];
    indexPasskeys(ROWS);
    expect(ROWS).toEqual(copy);
  });
  it('refuses what is not an array', () => {
    expect(() => indexPasskeys(null as never)).toThrow(TypeError);
  });
});

describe('onSite', () => {
  it('matches the host and its parent domains, label by label', () => {
    expect(onSite('example.com', 'example.com')).toBe(true);
    expect(onSite('example.com', 'login.example.com')).toBe(true);
    expect(onSite('EXAMPLE.com', 'Login.Example.COM')).toBe(true);
    expect(onSite('example.com', 'evil-example.com')).toBe(false);
    expect(onSite('login.example.com', 'example.com')).toBe(false);
    expect(onSite('example.com', '')).toBe(false);
  });
});

describe('filterPasskeys', () => {
  const index = indexPasskeys(ROWS);
  it('puts this site first, most recently used first, then the others in the index order', () => {
    const { here, others } = filterPasskeys(index, '', 'login.example.com');
    expect(names(here)).toEqual(['ann@login.example.com', 'ann@example.com', 'Bob@example.com']);
    expect(names(others)).toEqual(['mallory@evil-example.com', 'octo@github.com', 'y@site9.example.org', 'x@site10.example.org']);
  });
  it('has no "here" without a host', () => {
    const { here, others } = filterPasskeys(index, '');
    expect(here).toEqual([]);
    expect(others).toHaveLength(ROWS.length);
  });
  it('finds a word in the site, the account name or the display name, ignoring case', () => {
    expect(names(filterPasskeys(index, 'OCTO').others)).toEqual(['octo@github.com']);
    expect(names(filterPasskeys(index, 'robert').others)).toEqual(['Bob@example.com']);
    expect(names(filterPasskeys(index, 'github').others)).toEqual(['octo@github.com']);
    expect(names(filterPasskeys(index, 'zzz').others)).toEqual([]);
  });
  it('keeps the rows holding every word, in any field', () => {
    expect(names(filterPasskeys(index, '  ann   work ').others)).toEqual(['ann@example.com']);
    expect(names(filterPasskeys(index, 'ann login').others)).toEqual(['ann@login.example.com']);
  });
  it('does not match across fields', () => {
    // "com\nann" would join rpId and account name; a query word never holds a newline.
    expect(filterPasskeys(index, 'comann').others).toEqual([]);
  });
  it('refuses a query that is not a string', () => {
    expect(() => filterPasskeys(index, undefined as never)).toThrow(TypeError);
  });
  it('splits a query into lower-cased words', () => {
    expect(queryWords('  Ann\tWORK ')).toEqual(['ann', 'work']);
    expect(queryWords('')).toEqual([]);
  });
});

describe('at 10,000 passkeys', () => {
  it('filters well within a keystroke', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => row(`site${i % 1000}.example.com`, `person${i}@mail.example.com`, `Person ${i}`, i));
    const big = indexPasskeys(many);
    expect(filterPasskeys(big, 'person1234@').others).toHaveLength(1);
    expect(filterPasskeys(big, 'site7.').others).toHaveLength(10);
    expect(filterPasskeys(big, '', 'a.site7.example.com').here).toHaveLength(10);
    const t0 = performance.now();
    for (const q of ['p', 'pe', 'per', 'pers', 'perso', 'person', 'person9', 'person99']) filterPasskeys(big, q);
    // A generous bound (a loaded CI machine), far above what it takes (bench.mjs measures it): 8 keystrokes.
    expect(performance.now() - t0).toBeLessThan(8 * 50);
  });
});
