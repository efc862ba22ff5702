// A growing delay after wrong master passwords (issue 4, "Bad input"): the first three tries are free, then each
// further wrong one doubles the wait (2 s, 4 s, ... up to a minute). Argon2id already makes each guess cost about
// a second of this machine; the delay makes a run of guesses through the UI slower still and says so plainly.
// The count survives a restarted service worker (storage.session) and is cleared by a right password.

export const FREE_TRIES = 3;
export const MAX_DELAY_MS = 60_000;

export class TooSoonError extends Error {
  override name = 'TooSoonError';
  constructor(readonly waitMs: number) {
    super(`Too many wrong passwords. Wait ${seconds(waitMs)}, then try again.`);
  }
}

export interface GuardState {
  failures: number;
  until: number;
}

export const delayAfter = (failures: number): number => (failures < FREE_TRIES ? 0 : Math.min(MAX_DELAY_MS, 1000 * 2 ** (failures - FREE_TRIES + 1)));

export function createPasswordGuard(deps: { now: () => number; load: () => Promise<GuardState | undefined>; save: (s: GuardState) => Promise<void> }) {
  let state: GuardState = { failures: 0, until: 0 };
  const ready = deps.load().then((s) => void (s && (state = s)), () => {});
  return {
    /** Throws TooSoonError while a delay runs; no password is checked then. */
    async check(): Promise<void> {
      await ready;
      const wait = state.until - deps.now();
      if (wait > 0) throw new TooSoonError(wait);
    },
    /** A wrong password: the sentence to show, with the wait that now applies, if any. */
    async failed(message: string): Promise<string> {
      await ready;
      const failures = state.failures + 1;
      const delay = delayAfter(failures);
      state = { failures, until: deps.now() + delay };
      await deps.save(state).catch(() => {});
      return delay ? `${message} Wait ${seconds(delay)} before the next try.` : message;
    },
    async succeeded(): Promise<void> {
      await ready;
      if (state.failures === 0) return;
      state = { failures: 0, until: 0 };
      await deps.save(state).catch(() => {});
    },
  };
}

function seconds(ms: number): string {
  const n = Math.ceil(ms / 1000);
  return n === 1 ? '1 second' : `${n} seconds`;
}
