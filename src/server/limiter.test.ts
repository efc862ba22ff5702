// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { addressKey, createLimiter } from './limiter.ts';

describe('limiter', () => {
  it('refuses a key that reached max in its window, until the window ends', () => {
    const limiter = createLimiter({ max: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('a', 100)).toBe(0);
      limiter.hit('a', 100 + i);
    }
    expect(limiter.retryAfter('a', 200)).toBe(900);
    expect(limiter.retryAfter('b', 200)).toBe(0);
    expect(limiter.retryAfter('a', 1100)).toBe(0);
    limiter.hit('a', 1100);
    expect(limiter.retryAfter('a', 1100)).toBe(0);
  });

  it('holds at most maxKeys keys, dropping ended windows first, then the oldest', () => {
    const limiter = createLimiter({ max: 1, windowMs: 1000 }, 3);
    limiter.hit('old', 0);
    limiter.hit('b', 500);
    limiter.hit('c', 600);
    limiter.hit('d', 1200); // 'old' ended: dropped
    expect(limiter.size).toBe(3);
    expect(limiter.retryAfter('b', 1200)).toBe(300);
    limiter.hit('e', 1300); // nothing ended: the oldest, 'b', goes
    expect(limiter.size).toBe(3);
    expect(limiter.retryAfter('b', 1300)).toBe(0);
    expect(limiter.retryAfter('e', 1300)).toBe(1000);
  });

  it('checks its budget', () => {
    expect(() => createLimiter({ max: 0, windowMs: 1 })).toThrow(RangeError);
    expect(() => createLimiter({ max: 1, windowMs: 0 })).toThrow(RangeError);
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
