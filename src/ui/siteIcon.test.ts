import { describe, expect, it } from 'vitest';
import { contrastWithWhite, monogram, siteColor } from './siteIcon.ts';

describe('monogram', () => {
  it('is the first letter of the registrable domain, upper-cased', () => {
    expect(monogram('example.com')).toBe('E');
    expect(monogram('github.io')).toBe('G');
    expect(monogram('localhost')).toBe('L');
  });
  it('skips what is not a letter or digit, and a punycode prefix', () => {
    expect(monogram('-_x.example')).toBe('X');
    expect(monogram('127.0.0.1')).toBe('1');
    expect(monogram('xn--bcher-kva.example')).toBe('B');
    expect(monogram('ïle.fr')).toBe('Ï');
  });
  it('answers ? for a domain without letters', () => {
    expect(monogram('')).toBe('?');
    expect(monogram('..')).toBe('?');
  });
  it('refuses what is not a string', () => {
    expect(() => monogram(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('siteColor', () => {
  it('depends on the domain only (case aside)', () => {
    expect(siteColor('example.com')).toEqual(siteColor('example.com'));
    expect(siteColor('Example.com').css).toBe(siteColor('example.com').css);
  });
  it('spreads different domains over different hues', () => {
    const hues = new Set(['example.com', 'github.com', 'google.com', 'localhost', 'bank.example', 'shop.example', 'mail.example', 'a.b'].map((s) => siteColor(s).hue));
    expect(hues.size).toBeGreaterThanOrEqual(7);
  });
  it('keeps a white letter readable (WCAG contrast >= 4.5) on every hue it can give', () => {
    for (let i = 0; i < 2000; i++) {
      const c = siteColor(`site-${i}.example`);
      expect(contrastWithWhite(c.rgb)).toBeGreaterThanOrEqual(4.5);
      expect(c.hue).toBeGreaterThanOrEqual(0);
      expect(c.hue).toBeLessThan(360);
    }
  });
  it('writes a CSS colour', () => {
    expect(siteColor('example.com').css).toMatch(/^hsl\(\d+ 55% \d+%\)$/);
  });
});
