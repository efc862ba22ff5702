// Rate limits as fixed windows counted in the store (store.ts counters/hit): failed authentications per
// address and per vault id, wrong pairing codes per address, creations per address, writes per vault and per
// address. A key that reached `max` in its window is refused until the window ends. The counters live in the
// store, so every server process on one database counts together, and a restart forgets nothing; the store's
// sweep drops ended windows.
import type { Store } from './store.ts';

export interface Budget {
  max: number;
  windowMs: number;
}

export interface Limiter {
  /** Milliseconds until every one of `keys` may try again, 0 when they may now. */
  retryAfter(keys: readonly string[], now: number): Promise<number>;
  /** Counts one attempt (a failure, or a use of a budget) against each of `keys`. */
  hit(keys: readonly string[], now: number): Promise<void>;
}

/** A budget named `name` (its keys are stored as "name|key", so budgets never share a counter). */
export function createLimiter(store: Pick<Store, 'counters' | 'hit'>, name: string, { max, windowMs }: Budget): Limiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`limiter: max must be a positive integer, got ${max}`);
  if (!(windowMs > 0)) throw new RangeError(`limiter: windowMs must be positive, got ${windowMs}`);
  const named = (keys: readonly string[]) => keys.map((key) => `${name}|${key}`);
  return {
    async retryAfter(keys, now) {
      const open = await store.counters(named(keys), now);
      return Math.max(0, ...open.filter((c) => c.count >= max).map((c) => c.endsAt - now));
    },
    hit(keys, now) {
      return store.hit(named(keys), windowMs, now);
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
