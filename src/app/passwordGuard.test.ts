import { describe, expect, it } from 'vitest';
import { TooSoonError, createPasswordGuard, delayAfter } from './passwordGuard.ts';

describe('password guard', () => {
  it('lets three wrong passwords through, then doubles the wait up to a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(delayAfter)).toEqual([0, 0, 2000, 4000, 8000, 16000, 60000]);
  });

  it('refuses to check a password while the wait runs, says how long, and a right password clears it', async () => {
    let now = 1_000_000;
    let saved: unknown;
    const guard = createPasswordGuard({ now: () => now, load: async () => undefined, save: async (s) => void (saved = s) });
    for (let i = 0; i < 2; i++) expect(await guard.failed('Wrong.')).toBe('Wrong.');
    expect(await guard.failed('Wrong.')).toBe('Wrong. Wait 2 seconds before the next try.');
    await expect(guard.check()).rejects.toBeInstanceOf(TooSoonError);
    await expect(guard.check()).rejects.toThrow('Wait 2 seconds');
    now += 1500;
    await expect(guard.check()).rejects.toThrow('Wait 1 second, then');
    now += 500;
    await guard.check();
    expect(saved).toEqual({ failures: 3, until: 1_002_000 });
    await guard.succeeded();
    expect(saved).toEqual({ failures: 0, until: 0 });
    await guard.check();
  });

  it('keeps counting across a restarted background', async () => {
    const guard = createPasswordGuard({ now: () => 5000, load: async () => ({ failures: 4, until: 9000 }), save: async () => {} });
    await expect(guard.check()).rejects.toThrow('Wait 4 seconds');
  });
});
