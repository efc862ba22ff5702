import { describe, expect, it } from 'vitest';
import { alteredNote, unreadNote, unreadWhy } from './syncNotes.ts';

describe('sync notes', () => {
  it('says "1 passkey", "2 passkeys": plural-correct', () => {
    expect(unreadNote(1)).toBe('1 passkey could not be read from sync; retrying.');
    expect(unreadNote(2)).toBe('2 passkeys could not be read from sync; retrying.');
    expect(unreadWhy(1)).toMatch(/damaged it on the way.*asks for it again/);
    expect(unreadWhy(3)).toMatch(/damaged them on the way.*asks for them again/);
    expect(alteredNote(1)).toBe('1 record from sync arrived altered or damaged; this browser already had that version and ignored the altered copy.');
    expect(alteredNote(2)).toMatch(/^2 records .*those versions .*altered copies\.$/);
  });
  it('refuses what is not a count', () => {
    expect(() => unreadNote(-1)).toThrow(RangeError);
    expect(() => alteredNote(1.5)).toThrow(RangeError);
  });
});
