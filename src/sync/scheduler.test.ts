import { describe, expect, it } from 'vitest';
import { type SyncSummary, SyncTransportError } from './engine.ts';
import { type SchedulerState, createSyncScheduler } from './scheduler.ts';

const summary: SyncSummary = { pulled: 0, pushed: 0, conflicts: 0, tampered: [], unread: [], oversized: [], bytesUp: 0, bytesDown: 0, durationMs: 0 };
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A timer the test drives: `advance` runs what falls due, in order, letting each sync settle. */
function fakeTimer() {
  let now = 0;
  let next = 0;
  const tasks = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      tasks.set(++next, { at: now + ms, fn });
      return next;
    },
    clearTimeout(h: unknown) {
      tasks.delete(h as number);
    },
    pending: () => [...tasks.values()].map((t) => t.at).sort((a, b) => a - b),
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...tasks.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        tasks.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        await flush();
      }
      now = end;
      await flush();
    },
  };
}

/** A sync whose outcomes the test scripts: an error to throw, or nothing for success. */
function scripted() {
  const outcomes: (Error | undefined)[] = [];
  const calls: number[] = [];
  return {
    outcomes,
    calls,
    sync(timer: { now(): number }) {
      return async () => {
        calls.push(timer.now());
        const o = outcomes.shift();
        if (o) throw o;
        return summary;
      };
    },
  };
}

function setup(opts: { random?: () => number } = {}) {
  const timer = fakeTimer();
  const s = scripted();
  const states: SchedulerState[] = [];
  const scheduler = createSyncScheduler({
    sync: s.sync(timer),
    timer,
    intervalMs: 60_000,
    debounceMs: 2_000,
    maxDebounceMs: 10_000,
    backoffMs: 1_000,
    maxBackoffMs: 16_000,
    random: opts.random ?? (() => 1 - Number.EPSILON), // no jitter: the full delay
    onState: (st) => states.push(st),
  });
  return { timer, s, scheduler, states };
}

describe('sync scheduler', () => {
  it('syncs on unlock, then on the timer', async () => {
    const { timer, s, scheduler } = setup();
    scheduler.unlocked();
    await timer.advance(0);
    expect(s.calls).toEqual([0]);
    await timer.advance(59_999);
    expect(s.calls).toEqual([0]);
    await timer.advance(1);
    expect(s.calls).toEqual([0, 60_000]);
    expect(scheduler.state()).toMatchObject({ status: 'idle', nextAt: 120_000, failures: 0 });
  });

  it('debounces changes, but a steady stream of them still syncs within maxDebounce', async () => {
    const { timer, s, scheduler } = setup();
    scheduler.unlocked();
    await timer.advance(0);
    for (let i = 0; i < 3; i++) {
      scheduler.changed();
      await timer.advance(500);
    }
    expect(s.calls).toEqual([0]);
    await timer.advance(1_500); // 2 s after the last change
    expect(s.calls).toEqual([0, 3_000]);
    for (let i = 0; i < 20; i++) {
      scheduler.changed();
      await timer.advance(1_000);
    }
    expect(s.calls[2]).toBe(3_000 + 10_000); // at maxDebounce from the first change, not at the end of the stream
  });

  it('on demand: syncNow runs at once and resolves with the summary, or rejects with the error', async () => {
    const { timer, s, scheduler } = setup();
    scheduler.unlocked();
    await timer.advance(10);
    await expect(scheduler.syncNow()).resolves.toBe(summary);
    s.outcomes.push(new SyncTransportError('offline'));
    await expect(scheduler.syncNow()).rejects.toThrow(/cannot be reached/);
    expect(s.calls).toEqual([0, 10, 10]);
  });

  it('backs off exponentially while offline, up to the cap, and the network coming back retries at once', async () => {
    const { timer, s, scheduler } = setup();
    for (let i = 0; i < 8; i++) s.outcomes.push(new SyncTransportError('offline'));
    scheduler.unlocked();
    await timer.advance(0);
    await timer.advance(1_000 + 2_000 + 4_000 + 8_000 + 16_000 + 16_000);
    expect(s.calls).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 47_000]);
    expect(scheduler.state()).toMatchObject({ status: 'retrying', failures: 7 });
    expect(scheduler.state().error?.message).toMatch(/cannot be reached/);
    // A change while backing off does not hammer the server: it waits for the back-off.
    scheduler.changed();
    await timer.advance(2_000);
    expect(s.calls).toHaveLength(7);
    scheduler.online();
    await timer.advance(0);
    expect(s.calls).toHaveLength(8); // that one fails too (the 8th scripted failure) ...
    scheduler.online();
    await timer.advance(0);
    expect(scheduler.state()).toMatchObject({ status: 'idle', failures: 0, error: undefined }); // ... and this one succeeds
  });

  it('jitter spreads retries between half and all of the delay', async () => {
    const { timer, s, scheduler } = setup({ random: () => 0 });
    s.outcomes.push(new SyncTransportError('server'), new SyncTransportError('server'));
    scheduler.unlocked();
    await timer.advance(0);
    await timer.advance(500);
    await timer.advance(1_000);
    expect(s.calls).toEqual([0, 500, 1_500]);
  });

  it('a signed-out browser or a deleted vault: no automatic retries until the person acts', async () => {
    for (const kind of ['unauthorized', 'gone'] as const) {
      const { timer, s, scheduler } = setup();
      s.outcomes.push(new SyncTransportError(kind));
      scheduler.unlocked();
      await timer.advance(0);
      scheduler.changed();
      await timer.advance(10 * 60_000);
      expect(s.calls).toEqual([0]);
      expect(scheduler.state()).toMatchObject({ status: 'blocked', nextAt: undefined });
      await scheduler.syncNow();
      expect(scheduler.state().status).toBe('idle');
    }
  });

  it('sync storage full: waits for a change (which may make room), not for the timer', async () => {
    const { timer, s, scheduler } = setup();
    s.outcomes.push(new SyncTransportError('quota', 'The browser\'s sync storage is full: it has room for about 90 passkeys.'));
    scheduler.unlocked();
    await timer.advance(10 * 60_000);
    expect(s.calls).toEqual([0]);
    expect(scheduler.state().error?.message).toMatch(/room for about 90 passkeys/);
    scheduler.changed();
    await timer.advance(2_000);
    expect(s.calls).toEqual([0, 602_000]);
  });

  it('a failure here (a full disk) is retried with back-off like a network failure', async () => {
    const { timer, s, scheduler } = setup();
    s.outcomes.push(new Error('QuotaExceededError'));
    scheduler.unlocked();
    await timer.advance(0);
    await timer.advance(1_000);
    expect(s.calls).toEqual([0, 1_000]);
  });

  it('locked: no timers, changes ignored; a sync under way finishes', async () => {
    const { timer, s, scheduler, states } = setup();
    scheduler.unlocked();
    scheduler.locked();
    await timer.advance(0);
    expect(s.calls).toEqual([0]);
    scheduler.changed();
    await timer.advance(10 * 60_000);
    expect(s.calls).toEqual([0]);
    expect(timer.pending()).toEqual([]);
    expect(scheduler.state().status).toBe('locked');
    expect(states.map((x) => x.status)).toContain('syncing');
  });

  it('a change during a sync is synced after it (debounced), not lost', async () => {
    const timer = fakeTimer();
    let release: () => void = () => undefined;
    const calls: number[] = [];
    const scheduler = createSyncScheduler({
      sync: () => {
        calls.push(timer.now());
        return new Promise((resolve) => (release = () => resolve(summary)));
      },
      timer,
      debounceMs: 2_000,
    });
    scheduler.unlocked();
    await timer.advance(100);
    scheduler.changed();
    await timer.advance(5_000);
    expect(calls).toEqual([0]);
    release();
    await timer.advance(0);
    await timer.advance(2_000);
    expect(calls).toEqual([0, 5_100]); // debounce from the change, but not before the first sync ended
  });
});
