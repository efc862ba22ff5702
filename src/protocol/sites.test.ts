// The bridges' reading of the per-site hint (protocol/sites.ts): whole labels, the pause's end, and a hint that
// a content script could have written with anything in it.
import { describe, expect, it } from 'vitest';
import { hostInSite, readHint, stepsAside } from './sites.ts';

describe('per-site hint', () => {
  it('covers the site and the hosts under it, by whole labels', () => {
    expect(hostInSite('example.com', 'example.com')).toBe(true);
    expect(hostInSite('Login.Example.com.', 'example.com')).toBe(true);
    expect(hostInSite('evilexample.com', 'example.com')).toBe(false);
    expect(hostInSite('example.com.evil.net', 'example.com')).toBe(false);
  });
  it('a pause holds until its time, or until turned off', () => {
    const hint = { excluded: [], paused: { until: 1000 } };
    expect(stepsAside(hint, ['a.example'], 999)).toBe(true);
    expect(stepsAside(hint, ['a.example'], 1000)).toBe(false);
    expect(stepsAside({ excluded: [], paused: { until: null } }, ['a.example'], Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(stepsAside(undefined, ['a.example'], 0)).toBe(false);
    expect(stepsAside({ excluded: ['a.example'] }, ['', 'x.a.example'], 0)).toBe(true);
  });
  it('keeps only the well-formed parts of what storage.local holds', () => {
    expect(readHint(null)).toBeUndefined();
    expect(readHint({ excluded: ['a.example', 5, '', 'x'.repeat(300)], paused: { until: '1' } })).toEqual({ excluded: ['a.example'] });
    expect(readHint({ excluded: 'a.example', paused: { until: null } })).toEqual({ excluded: [], paused: { until: null } });
  });
});
