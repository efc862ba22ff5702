import { describe, expect, it } from 'vitest';
import { INPUT_DELAY_MS, createDwell } from './inputGuard.ts';

describe('input protection: a decision takes effect only after 500 ms on screen', () => {
  const setup = () => {
    const clock = { t: 10_000 };
    return { clock, dwell: createDwell({ now: () => clock.t }) };
  };

  it('is not armed when the window opens, and is after 500 ms of being visible and focused', () => {
    const { clock, dwell } = setup();
    expect(INPUT_DELAY_MS).toBe(500);
    dwell.observe(true);
    expect(dwell.armed()).toBe(false);
    expect(dwell.remaining()).toBe(500);
    clock.t += 499;
    expect(dwell.armed()).toBe(false);
    clock.t += 1;
    expect(dwell.armed()).toBe(true);
    dwell.observe(true); // still holding: the count goes on
    expect(dwell.armed()).toBe(true);
  });

  it('starts over when the window is hidden or loses the focus, and never arms meanwhile', () => {
    const { clock, dwell } = setup();
    dwell.observe(false);
    clock.t += 5000;
    expect(dwell.armed()).toBe(false);
    expect(dwell.remaining()).toBe(Infinity);
    dwell.observe(true);
    clock.t += 400;
    dwell.observe(false); // a background tab raised the window, then the person switched away
    dwell.observe(true);
    clock.t += 400;
    expect(dwell.armed()).toBe(false);
    clock.t += 100;
    expect(dwell.armed()).toBe(true);
  });

  it('starts over when the content changes (a newer request replaced it)', () => {
    const { clock, dwell } = setup();
    dwell.observe(true);
    clock.t += 2000;
    expect(dwell.armed()).toBe(true);
    dwell.restart();
    expect(dwell.armed()).toBe(false);
    clock.t += 500;
    expect(dwell.armed()).toBe(true);
  });

  it('a change of content while hidden does not count as shown', () => {
    const { clock, dwell } = setup();
    dwell.restart();
    clock.t += 1000;
    expect(dwell.armed()).toBe(false);
  });
});
