// @vitest-environment node
// Rate limits counted in the store, on both stores: a key that reached max is refused until its window ends,
// budgets never share a counter, and two limiters over one store (two server processes) count together.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, createLimiter } from './limiter.ts';
import { type TestStore, describeEachStore } from '../../tests/vectors/serverStores.ts';

describeEachStore('limiter', (kind) => {
  let db: TestStore;
  beforeAll(async () => {
    db = await kind.open();
  });
  afterAll(async () => {
    await db?.dispose();
  });
  const fresh = () => randomBytes(6).toString('hex');

  it('refuses a key that reached max in its window, until the window ends', async () => {
    const limiter = createLimiter(db.store, fresh(), { max: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i++) {
      expect(await limiter.retryAfter(['a'], 100)).toBe(0);
      await limiter.hit(['a'], 100 + i);
    }
    expect(await limiter.retryAfter(['a'], 200)).toBe(900);
    expect(await limiter.retryAfter(['b'], 200)).toBe(0);
    expect(await limiter.retryAfter(['b', 'a'], 200)).toBe(900);
    expect(await limiter.retryAfter(['a'], 1100)).toBe(0);
    await limiter.hit(['a'], 1100);
    expect(await limiter.retryAfter(['a'], 1100)).toBe(0);
  });

  it('keeps budgets apart, and counts together across limiters on one store', async () => {
    const name = fresh();
    const one = createLimiter(db.store, name, { max: 2, windowMs: 1000 });
    const two = createLimiter(db.store, name, { max: 2, windowMs: 1000 });
    const other = createLimiter(db.store, fresh(), { max: 2, windowMs: 1000 });
    await one.hit(['k'], 0);
    await two.hit(['k'], 1);
    expect(await one.retryAfter(['k'], 2)).toBe(998);
    expect(await other.retryAfter(['k'], 2)).toBe(0);
    // Concurrent hits each count.
    const many = createLimiter(db.store, fresh(), { max: 20, windowMs: 1000 });
    await Promise.all(Array.from({ length: 20 }, () => many.hit(['x', 'y'], 5)));
    expect(await many.retryAfter(['x'], 6)).toBe(999);
    expect(await many.retryAfter(['y'], 6)).toBe(999);
  });

  it('the sweep drops ended windows', async () => {
    const limiter = createLimiter(db.store, fresh(), { max: 1, windowMs: 1000 });
    await limiter.hit(['gone'], 10_000);
    expect(await limiter.retryAfter(['gone'], 10_500)).toBe(500);
    expect(await db.store.sweep(0, 11_000)).toBeGreaterThanOrEqual(1);
    expect(await db.store.counters(['gone'], 0)).toEqual([]);
  });

  it('checks its budget', () => {
    expect(() => createLimiter(db.store, 'x', { max: 0, windowMs: 1 })).toThrow(RangeError);
    expect(() => createLimiter(db.store, 'x', { max: 1, windowMs: 0 })).toThrow(RangeError);
  });
});

describe('addressKey', () => {
  it('IPv4 as it is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});
