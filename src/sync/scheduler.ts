// When to sync (issue 3): on a change (debounced, so a burst of sign-ins is one sync), on a timer, on
// unlock, and on demand; with exponential back-off and jitter while the server cannot be reached, and no
// automatic retries for what only the person can fix (sign in again, make room). Pure logic: the timer
// is injected, and the sync itself is a function (the engine's `sync`, which coalesces overlapping calls).
import { type SyncSummary, SyncTransportError } from './engine.ts';

export interface SchedulerTimer {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SchedulerOptions {
  sync: () => Promise<SyncSummary>;
  timer: SchedulerTimer;
  /** Between syncs when nothing happens. */
  intervalMs?: number;
  /** Quiet time after a change before syncing. */
  debounceMs?: number;
  /** A change waits at most this long, even while changes keep coming. */
  maxDebounceMs?: number;
  /** First retry after a failure; doubles each time up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** In [0, 1): jitter, so that a person's browsers do not retry in step. */
  random?: () => number;
  /** Each outcome, for the UI. */
  onState?: (state: SchedulerState) => void;
}

export type SchedulerStatus =
  | 'locked' // not running: the vault is locked
  | 'idle' // waiting for the timer or a change
  | 'syncing'
  | 'retrying' // a failure that may pass (offline, server trouble): backing off
  | 'blocked'; // a failure only the person can fix (unauthorized, gone, quota): no automatic retry

export interface SchedulerState {
  status: SchedulerStatus;
  /** The last failure, with its sentence for the person; cleared by a successful sync. */
  error?: Error;
  last?: SyncSummary;
  /** When the next automatic sync is due (timer clock), if one is. */
  nextAt?: number;
  /** Failures in a row. */
  failures: number;
}

export interface SyncScheduler {
  /** The vault was unlocked: sync now, then keep syncing. */
  unlocked(): void;
  /** The vault was locked: no more automatic syncs (one under way finishes). */
  locked(): void;
  /** A local change: sync after the debounce (or after the back-off, while failing). */
  changed(): void;
  /** The network is back: retry now if retrying. */
  online(): void;
  /** The person asked: sync now, whatever the back-off or block. */
  syncNow(): Promise<SyncSummary>;
  state(): SchedulerState;
}

/**
 * What a failure waits for: 'person' (signed out, vault gone: only the person can fix it), 'room' (sync
 * storage full: a change may make room), or undefined: it may pass (offline, server trouble, garbage, a
 * busy or full disk here), so retry with back-off.
 */
function blockedBy(e: unknown): 'person' | 'room' | undefined {
  if (!(e instanceof SyncTransportError)) return undefined;
  if (e.kind === 'unauthorized' || e.kind === 'gone') return 'person';
  if (e.kind === 'quota') return 'room';
  return undefined;
}

export function createSyncScheduler(opts: SchedulerOptions): SyncScheduler {
  const { timer } = opts;
  const intervalMs = opts.intervalMs ?? 5 * 60_000;
  const debounceMs = opts.debounceMs ?? 2_000;
  const maxDebounceMs = opts.maxDebounceMs ?? 30_000;
  const backoffMs = opts.backoffMs ?? 5_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 15 * 60_000;
  const random = opts.random ?? Math.random;

  let active = false;
  let inFlight = 0;
  let handle: unknown;
  let lastEnd = 0;
  let firstChange: number | undefined;
  let lastChange: number | undefined;
  let retryAt: number | undefined;
  let blocked: 'person' | 'room' | undefined;
  let st: SchedulerState = { status: 'locked', failures: 0 };

  function publish(patch: Partial<SchedulerState>): void {
    st = { ...st, ...patch };
    opts.onState?.(st);
  }

  function disarm(): void {
    if (handle !== undefined) timer.clearTimeout(handle);
    handle = undefined;
  }

  /** The next automatic sync, from the state: one timer at a time. */
  function arm(): void {
    disarm();
    if (!active || inFlight > 0) return;
    let due: number | undefined;
    const changeDue = lastChange === undefined ? undefined : Math.min(lastChange + debounceMs, firstChange! + maxDebounceMs);
    if (blocked === 'person') due = undefined;
    else if (blocked === 'room') due = changeDue; // a change may make room (a deleted passkey is a small marker)
    else if (retryAt !== undefined) due = changeDue === undefined ? retryAt : Math.max(retryAt, changeDue);
    else due = Math.min(lastEnd + intervalMs, changeDue ?? Infinity);
    const status: SchedulerStatus = blocked ? 'blocked' : retryAt !== undefined ? 'retrying' : 'idle';
    if (due === undefined) {
      publish({ status, nextAt: undefined });
      return;
    }
    handle = timer.setTimeout(() => {
      handle = undefined;
      void run().catch(() => undefined);
    }, Math.max(0, due - timer.now()));
    publish({ status, nextAt: due });
  }

  async function run(): Promise<SyncSummary> {
    disarm();
    inFlight++;
    firstChange = lastChange = undefined;
    publish({ status: 'syncing', nextAt: undefined });
    try {
      const last = await opts.sync();
      retryAt = undefined;
      blocked = undefined;
      publish({ last, error: undefined, failures: 0 });
      return last;
    } catch (e) {
      const failures = st.failures + 1;
      blocked = blockedBy(e);
      if (blocked) retryAt = undefined;
      else {
        const delay = Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(failures - 1, 30));
        retryAt = timer.now() + Math.round(delay * (0.5 + random() / 2));
      }
      publish({ error: e instanceof Error ? e : new Error(String(e)), failures });
      throw e;
    } finally {
      inFlight--;
      lastEnd = timer.now();
      arm();
    }
  }

  return {
    unlocked() {
      active = true;
      blocked = undefined;
      retryAt = undefined;
      void run().catch(() => undefined);
    },
    locked() {
      active = false;
      firstChange = lastChange = undefined;
      disarm();
      publish({ status: 'locked', nextAt: undefined });
    },
    changed() {
      if (!active) return;
      const now = timer.now();
      firstChange ??= now;
      lastChange = now;
      arm();
    },
    online() {
      if (!active || retryAt === undefined) return;
      retryAt = undefined;
      void run().catch(() => undefined);
    },
    syncNow() {
      blocked = undefined;
      retryAt = undefined;
      return run();
    },
    state: () => st,
  };
}
