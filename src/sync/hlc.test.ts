import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Hlc, MAX_COUNTER, compare, createClock, decode, encode, newNodeId, receive, tick, zero } from './hlc.ts';

const node = fc.stringMatching(/^[0-9a-f]{16}$/);
const wall = fc.integer({ min: 0, max: 2 ** 45 });
const hlc: fc.Arbitrary<Hlc> = fc.record({ wall, counter: fc.integer({ min: 0, max: MAX_COUNTER }), node });
const sign = (n: number) => Math.sign(n);

describe('hybrid logical clock (Kulkarni et al. 2014, Figure 5)', () => {
  it('tick: strictly after the clock, wall = max(l, pt), counter resets when physical time moves on', () => {
    fc.assert(
      fc.property(hlc, wall, (h, now) => {
        const t = tick(h, now);
        expect(compare(t, h)).toBeGreaterThan(0);
        expect(t.node).toBe(h.node);
        if (now > h.wall) expect(t).toEqual({ wall: now, counter: 0, node: h.node });
        else if (h.counter < MAX_COUNTER) expect(t).toEqual({ wall: h.wall, counter: h.counter + 1, node: h.node });
      }),
    );
  });

  it('receive: strictly after both the clock and the message, and never behind physical time', () => {
    fc.assert(
      fc.property(hlc, hlc, wall, (h, m, now) => {
        const r = receive(h, m, now);
        expect(compare(r, h)).toBeGreaterThan(0);
        expect(r.wall > m.wall || (r.wall === m.wall && r.counter > m.counter)).toBe(true);
        expect(r.wall).toBeGreaterThanOrEqual(now);
        const l = Math.max(h.wall, m.wall, now);
        expect(r.wall === l || (r.wall === l + 1 && r.counter === 0)).toBe(true); // +1 only when the counter carried
      }),
    );
  });

  it('the paper\'s bound: a clock fed only by ticks and receives stays within its inputs (l = max of physical times seen)', () => {
    const small = fc.record({ wall, counter: fc.integer({ min: 0, max: 1000 }), node });
    fc.assert(
      fc.property(fc.array(fc.oneof(wall.map((w) => ({ w })), small.map((m) => ({ m }))), { maxLength: 40 }), (events) => {
        let h = zero('0123456789abcdef');
        let maxPt = 0;
        for (const e of events) {
          if ('w' in e) {
            h = tick(h, e.w);
            maxPt = Math.max(maxPt, e.w);
          } else {
            h = receive(h, e.m, 0);
            maxPt = Math.max(maxPt, e.m.wall);
          }
          expect(h.wall).toBe(maxPt); // no counter overflow at these sizes, so l is exactly the largest time seen
        }
      }),
    );
  });

  it('compare is a total order: antisymmetric, transitive, zero only for equal timestamps', () => {
    fc.assert(
      fc.property(hlc, hlc, hlc, (a, b, c) => {
        expect(sign(compare(a, b))).toBe(-sign(compare(b, a)));
        if (compare(a, b) <= 0 && compare(b, c) <= 0) expect(compare(a, c)).toBeLessThanOrEqual(0);
        expect(compare(a, b) === 0).toBe(a.wall === b.wall && a.counter === b.counter && a.node === b.node);
      }),
    );
  });

  it('encode sorts like compare and round-trips', () => {
    fc.assert(
      fc.property(hlc, hlc, (a, b) => {
        const ea = encode(a);
        const eb = encode(b);
        expect(sign(ea < eb ? -1 : ea > eb ? 1 : 0)).toBe(sign(compare(a, b)));
        expect(decode(ea)).toEqual(a);
      }),
    );
    expect(encode({ wall: 1_700_000_000_000, counter: 3, node: '00112233aabbccdd' })).toBe('018bcfe56800-000003-00112233aabbccdd');
  });

  it('a counter overflow carries into the next millisecond, still increasing', () => {
    const h = { wall: 1000, counter: MAX_COUNTER, node: '0123456789abcdef' };
    expect(tick(h, 1000)).toEqual({ wall: 1001, counter: 0, node: h.node });
    expect(receive(h, h, 0)).toEqual({ wall: 1001, counter: 0, node: h.node });
  });

  it('rejects malformed timestamps, clocks and times, naming the argument', () => {
    expect(() => decode('018bcfe56800-000003-00112233AABBCCDD')).toThrow(RangeError);
    expect(() => decode('18bcfe56800-000003-00112233aabbccdd')).toThrow(RangeError);
    expect(() => decode(42 as unknown as string)).toThrow(TypeError);
    expect(() => tick({ wall: -1, counter: 0, node: '0123456789abcdef' }, 0)).toThrow(/clock\.wall/);
    expect(() => tick({ wall: 0, counter: 0, node: 'xyz' }, 0)).toThrow(/clock\.node/);
    expect(() => tick(zero('0123456789abcdef'), Number.NaN)).toThrow(/now/);
    expect(() => receive(zero('0123456789abcdef'), { wall: 0, counter: 1.5, node: '0123456789abcdef' }, 0)).toThrow(/remote\.counter/);
  });

  it('node ids are random, 16 hex digits', () => {
    const a = newNodeId();
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(newNodeId()).not.toBe(a);
  });

  it('createClock keeps the state between calls', () => {
    const c = createClock('0123456789abcdef');
    const t1 = c.tick(5);
    const t2 = c.tick(5);
    const t3 = c.receive({ wall: 9, counter: 4, node: 'ffffffffffffffff' }, 6);
    expect([t1, t2, t3]).toEqual([
      { wall: 5, counter: 0, node: c.node },
      { wall: 5, counter: 1, node: c.node },
      { wall: 9, counter: 5, node: c.node },
    ]);
    expect(c.current()).toEqual(t3);
  });
});
