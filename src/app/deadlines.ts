// Ceremony lifetime timers (WebAuthn L3 §5.1.3 step 6, §5.1.4.1 step 5) without a browser timer per sign-in: one
// timer, armed for the earliest deadline, serves every ceremony in flight. A timer made and cleared for each of a
// page's back-to-back sign-ins was a fifth of Keyport's own work on one (measured in Chromium's service worker).
// Chromium's proxy does not end a proxied request at its timeout (measured: still pending after 86 s), so
// Keyport must keep these itself on both doors.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export function createDeadlines(clock: Clock = { now: Date.now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) }) {
  const pending = new Map<symbol, { at: number; fire: () => void }>();
  let armed: { at: number; handle: unknown } | undefined;

  function arm(): void {
    let earliest = Infinity;
    for (const d of pending.values()) earliest = Math.min(earliest, d.at);
    if (earliest === Infinity || (armed && armed.at <= earliest)) return;
    if (armed) clock.clearTimeout(armed.handle);
    armed = { at: earliest, handle: clock.setTimeout(expire, Math.max(0, earliest - clock.now())) };
  }

  function expire(): void {
    armed = undefined;
    const now = clock.now();
    for (const [key, d] of pending) {
      if (d.at > now) continue;
      pending.delete(key);
      d.fire();
    }
    arm();
  }

  return {
    /**
     * Calls `fire` once `ms` have passed, unless the returned function is called first. A timer already armed for
     * an earlier or equal deadline is kept (it re-arms for what is left when it fires).
     */
    after(ms: number, fire: () => void): () => void {
      const key = Symbol('deadline');
      pending.set(key, { at: clock.now() + ms, fire });
      arm();
      return () => void pending.delete(key);
    },
    /** Deadlines waiting (for tests). */
    size: () => pending.size,
  };
}
