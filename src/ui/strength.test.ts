import { describe, expect, it } from 'vitest';
import { MIN_SCORE, passwordStrength } from './strength.ts';

describe('passwordStrength', () => {
  it('refuses the passwords a guesser tries first, whatever their character classes', () => {
    for (const pw of ['password', 'P@ssw0rd1', 'qwertyuiop', '123456789', 'keyport2026', 'iloveyou']) {
      const s = passwordStrength(pw);
      expect(s.tooWeak, pw).toBe(true);
      expect(s.score).toBeLessThan(MIN_SCORE);
    }
  });
  it('accepts a long passphrase as very strong', () => {
    const s = passwordStrength('correct horse battery staple');
    expect(s.tooWeak).toBe(false);
    expect(s.score).toBeGreaterThanOrEqual(3);
  });
  it('says why a weak password is weak', () => {
    const s = passwordStrength('password1');
    expect(s.warning.length + s.suggestions.join('').length).toBeGreaterThan(0);
    expect(s.label).toMatch(/weak/i);
  });
  it('counts the context words as already known', () => {
    expect(passwordStrength('marjoram-quetzal', ['marjoram', 'quetzal']).score).toBeLessThan(passwordStrength('marjoram-quetzal').score);
  });
  it('rates an empty password as very weak without throwing', () => {
    expect(passwordStrength('')).toMatchObject({ score: 0, label: 'Very weak', tooWeak: true });
  });
});
