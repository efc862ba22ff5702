import { describe, expect, it } from 'vitest';
import { type Clock, createDeadlines } from './deadlines.ts';

/** A clock whose time moves only when told, counting the timers it was asked for. */
function fakeClock() {
  let now = 0;
  let next = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => (timers.set(++next, { at: now + ms, fn }), next),
    clearTimeout: (h) => void timers.delete(h as number),
  };
  return {
    clock,
    made: () => next,
    live: () => timers.size,
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
  };
}

describe('ceremony deadlines', () => {
  it('fires each deadline at its time, not before', () => {
    const c = fakeClock();
    const d = createDeadlines(c.clock);
    const fired: string[] = [];
    d.after(10_000, () => fired.push('a'));
    c.advance(4_000);
    d.after(10_000, () => fired.push('b')); // due at 14 s
    d.after(2_000, () => fired.push('c')); // due at 6 s: earlier than the armed timer
    c.advance(1_999);
    expect(fired).toEqual([]);
    c.advance(1);
    expect(fired).toEqual(['c']);
    c.advance(3_999);
    expect(fired).toEqual(['c']);
    c.advance(1);
    expect(fired).toEqual(['c', 'a']);
    c.advance(4_000);
    expect(fired).toEqual(['c', 'a', 'b']);
    expect(d.size()).toBe(0);
  });

  it('a canceled deadline never fires', () => {
    const c = fakeClock();
    const d = createDeadlines(c.clock);
    let fired = false;
    const cancel = d.after(1_000, () => (fired = true));
    cancel();
    c.advance(5_000);
    expect(fired).toBe(false);
  });

  it('back-to-back ceremonies with the same lifetime share one browser timer', () => {
    const c = fakeClock();
    const d = createDeadlines(c.clock);
    for (let i = 0; i < 100; i++) {
      const cancel = d.after(60_000, () => {
        throw new Error('ended in time');
      });
      c.advance(1);
      cancel();
    }
    expect(c.made()).toBe(1);
    c.advance(120_000); // the one timer fires with nothing left to end, and arms no other
    expect(c.live()).toBe(0);
    expect(c.made()).toBe(1);
  });
});
