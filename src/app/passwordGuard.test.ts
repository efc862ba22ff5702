import { describe, expect, it } from 'vitest';
import { type GuardState, TooSoonError, createPasswordGuard, delayAfter, guardedCheck } from './passwordGuard.ts';

class Wrong extends Error {}
const isWrong = (e: unknown) => e instanceof Wrong;
const wrong = async () => {
  throw new Wrong('Wrong.');
};
const right = async () => {};

function setup(initial?: GuardState) {
  const clock = { now: 1_000_000 };
  const saved: GuardState[] = [];
  const guard = createPasswordGuard({ now: () => clock.now, load: async () => initial, save: async (s) => void saved.push(s) });
  return { clock, saved, guard, attempt: (check: () => Promise<void>) => guardedCheck(guard, check, isWrong) };
}

describe('password guard', () => {
  it('lets three wrong passwords through, then doubles the wait up to a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(delayAfter)).toEqual([0, 0, 2000, 4000, 8000, 16000, 60000]);
  });

  it('refuses to check a password while the wait runs, says how long, and a right password clears it', async () => {
    const { clock, saved, attempt } = setup();
    for (let i = 0; i < 2; i++) expect(await attempt(wrong)).toEqual({ ok: false, error: 'Wrong.' });
    expect(await attempt(wrong)).toEqual({ ok: false, error: 'Wrong. Wait 2 seconds before the next try.' });
    let ran = false;
    const watched = async () => void (ran = true);
    expect(await attempt(watched)).toEqual({ ok: false, error: 'Too many wrong passwords. Wait 2 seconds, then try again.' });
    clock.now += 1500;
    expect(await attempt(watched)).toEqual({ ok: false, error: 'Too many wrong passwords. Wait 1 second, then try again.' });
    expect(ran).toBe(false);
    clock.now += 500;
    expect(await attempt(right)).toEqual({ ok: true });
    expect(saved.at(-1)).toEqual({ failures: 0, until: 0 });
    expect(await attempt(wrong)).toEqual({ ok: false, error: 'Wrong.' });
  });

  it('counts an attempt before its check runs: parallel wrong attempts cannot pass the delay', async () => {
    const { saved, attempt } = setup({ failures: 2, until: 0 });
    // Ten attempts at once, each "deriving" until released: only the first may run its check.
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let started = 0;
    const check = async () => {
      started++;
      await slow;
      throw new Wrong('Wrong.');
    };
    const all = Promise.all(Array.from({ length: 10 }, () => attempt(check)));
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toBe(1);
    // Already saved as a failure, before the check ended (a browser closed now keeps the count).
    expect(saved[0]).toEqual({ failures: 3, until: 1_002_000 });
    release();
    const answers = await all;
    expect(answers.filter((a) => !a.ok && /Too many/.test(a.error))).toHaveLength(9);
  });

  it('gives the attempt back when no password was judged', async () => {
    const { saved, attempt } = setup({ failures: 3, until: 0 });
    const broken = async () => {
      throw new Error('Unlock Keyport first.');
    };
    expect(await attempt(broken)).toEqual({ ok: false, error: 'Unlock Keyport first.' });
    expect(saved.at(-1)).toEqual({ failures: 3, until: 0 });
    expect(await attempt(right)).toEqual({ ok: true });
  });

  it('keeps counting across a restarted background, and ignores a stored value of the wrong shape', async () => {
    const kept = createPasswordGuard({ now: () => 5000, load: async () => ({ failures: 4, until: 9000 }), save: async () => {} });
    await expect(kept.reserve()).rejects.toThrow(new TooSoonError(4000).message);
    const odd = createPasswordGuard({ now: () => 5000, load: async () => ({ failures: 'many', until: 9000 }), save: async () => {} });
    await expect(odd.reserve()).resolves.toMatchObject({ failures: 1 });
  });
});
