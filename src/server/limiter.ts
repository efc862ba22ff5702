// A fixed-window counter per key, in memory: failed authentications per address and per vault id, wrong
// pairing codes per address, creations per address. A key that reached `max` in its window is refused
// until the window ends. Memory is bounded: past `maxKeys` the ended windows are dropped, then the oldest.
// Each server process counts on its own (several processes behind one proxy each allow `max`).

export interface Budget {
  max: number;
  windowMs: number;
}

export interface Limiter {
  /** Milliseconds until `key` may try again, 0 when it may now. */
  retryAfter(key: string, now: number): number;
  /** Counts one attempt (a failure, or a use of a budget) against `key`. */
  hit(key: string, now: number): void;
  readonly size: number;
}

export function createLimiter({ max, windowMs }: Budget, maxKeys = 100_000): Limiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`limiter: max must be a positive integer, got ${max}`);
  if (!(windowMs > 0)) throw new RangeError(`limiter: windowMs must be positive, got ${windowMs}`);
  const windows = new Map<string, { count: number; endsAt: number }>();

  function prune(now: number) {
    for (const [key, w] of windows) if (w.endsAt <= now) windows.delete(key);
    // Map order is insertion order: the first keys are the oldest windows.
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(key);
    }
  }

  return {
    retryAfter(key, now) {
      const w = windows.get(key);
      return w && w.endsAt > now && w.count >= max ? w.endsAt - now : 0;
    },
    hit(key, now) {
      const w = windows.get(key);
      if (w && w.endsAt > now) {
        w.count += 1;
        return;
      }
      windows.delete(key);
      if (windows.size >= maxKeys) prune(now);
      windows.set(key, { count: 1, endsAt: now + windowMs });
    },
    get size() {
      return windows.size;
    },
  };
}

/**
 * The address a budget counts by: IPv4 as it is (also when IPv4-mapped), IPv6 by its /64 prefix, since one
 * host is usually given a whole /64 (RFC 4291 §2.5.1 interface identifiers) and could otherwise change
 * address at every try.
 */
export function addressKey(ip: string): string {
  const address = ip.split('%')[0]!.toLowerCase();
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return mapped[1]!;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
