// A growing delay after wrong master passwords (issue 4, "Bad input"; issue 13 item 7): the first three tries
// are free, then each further wrong one doubles the wait (2 s, 4 s, ... up to a minute). Argon2id already makes
// each guess cost about a second of this machine; the delay makes a run of guesses through the UI slower still
// and says so plainly.
//
// An attempt is counted as failed BEFORE its Argon2id runs (reserve), and the count is cleared only when the
// password proves right: attempts started in parallel each see the others' reservations, so a burst of them
// cannot slip past the delay while the first derivations are still running. The count is kept across a
// restarted service worker and a restarted browser (the caller's `save`: the extension's IndexedDB).

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

/** One reserved attempt: the state before it, so that an attempt that checked no password can be given back. */
export interface Reservation {
  readonly before: GuardState;
  readonly failures: number;
}

export const delayAfter = (failures: number): number => (failures < FREE_TRIES ? 0 : Math.min(MAX_DELAY_MS, 1000 * 2 ** (failures - FREE_TRIES + 1)));

const isState = (s: unknown): s is GuardState =>
  typeof s === 'object' && s !== null && Number.isSafeInteger((s as GuardState).failures) && (s as GuardState).failures >= 0 && Number.isFinite((s as GuardState).until);

export function createPasswordGuard(deps: { now: () => number; load: () => Promise<unknown>; save: (s: GuardState) => Promise<void> }) {
  let state: GuardState = { failures: 0, until: 0 };
  const ready = deps.load().then((s) => void (isState(s) && (state = { failures: s.failures, until: s.until })), () => {});
  const persist = () => deps.save(state).catch(() => {});
  return {
    /**
     * Before a password is checked: throws TooSoonError while a delay runs (no password is checked then), else
     * counts this attempt as a wrong one already, with the wait that would follow it, and saves that.
     */
    async reserve(): Promise<Reservation> {
      await ready;
      // From here to the state change, nothing awaits: two reservations never read the same count.
      const wait = state.until - deps.now();
      if (wait > 0) throw new TooSoonError(wait);
      const before = state;
      const failures = state.failures + 1;
      state = { failures, until: deps.now() + delayAfter(failures) };
      await persist();
      return { before, failures };
    },
    /** The password was wrong: the wait starts again from now; the sentence to show says how long it is. */
    async failed(_r: Reservation, message: string): Promise<string> {
      const delay = delayAfter(state.failures);
      state = { failures: state.failures, until: Math.max(state.until, deps.now() + delay) };
      await persist();
      return delay ? `${message} Wait ${seconds(delay)} before the next try.` : message;
    },
    /** The password was right: the count starts over. */
    async succeeded(_r: Reservation): Promise<void> {
      state = { failures: 0, until: 0 };
      await persist();
    },
    /** No password was judged (the vault was not set up, a storage error): the reservation is given back. */
    async released(r: Reservation): Promise<void> {
      state = state.failures === r.failures ? r.before : { failures: Math.max(0, state.failures - 1), until: state.until };
      await persist();
    },
  };
}

export type PasswordGuard = ReturnType<typeof createPasswordGuard>;
export type Guarded = { ok: true } | { ok: false; error: string };

/**
 * One password check through the guard: reserved before `check` (the Argon2id) runs, cleared when it resolves,
 * kept (with the sentence and its wait) when it throws a wrong password, given back when it throws anything else.
 */
export async function guardedCheck(guard: PasswordGuard, check: () => Promise<void>, isWrongPassword: (e: unknown) => boolean): Promise<Guarded> {
  let reservation: Reservation;
  try {
    reservation = await guard.reserve();
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  try {
    await check();
  } catch (e) {
    if (isWrongPassword(e)) return { ok: false, error: await guard.failed(reservation, (e as Error).message) };
    await guard.released(reservation);
    return { ok: false, error: (e as Error).message || String(e) };
  }
  await guard.succeeded(reservation);
  return { ok: true };
}


function seconds(ms: number): string {
  const n = Math.ceil(ms / 1000);
  return n === 1 ? '1 second' : `${n} seconds`;
}
