import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from './hlc.ts';
import type { SyncItem, SyncKind } from './item.ts';
import { DEFAULT_POLICIES, type MergePolicies, mergeItems, sameItem, tombstoneFor } from './merge.ts';
import { testId } from '../../tests/vectors/syncFakes.ts';

const ID = testId(7);
// Few distinct clocks, names and numbers, so that ties (equal hlc, equal monotone values) are common.
const hlc = fc
  .record({ wall: fc.integer({ min: 0, max: 3 }), counter: fc.integer({ min: 0, max: 2 }), node: fc.constantFrom('000000000000000a', '000000000000000b') })
  .map(encode);
const monotone = fc.option(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom('x', null, -0.5) }), {
  nil: undefined,
});
const payload = fc.record(
  { name: fc.constantFrom('a', 'b', 'c'), lastUsedAt: monotone, signCount: monotone, other: fc.constantFrom(1, 2) },
  { requiredKeys: ['name'] },
);
const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;

const itemOf = (kind: SyncKind) =>
  fc.oneof(
    fc.record({ hlc, data: payload }).map(({ hlc, data }): SyncItem => ({ id: ID, kind, hlc, deleted: false, data: clean(data) })),
    fc.record({ hlc, lastUsedAt: monotone, signCount: monotone }).map(({ hlc, lastUsedAt, signCount }): SyncItem => {
      const data = clean({ lastUsedAt, signCount });
      return Object.keys(data).length ? { id: ID, kind, hlc, deleted: true, data } : { id: ID, kind, hlc, deleted: true };
    }),
  );
const passkey = itemOf('passkey');
/** Two or three versions of one record, of either kind. */
const versions = (n: number) => fc.constantFrom<SyncKind>('passkey', 'settings').chain((k) => fc.array(itemOf(k), { minLength: n, maxLength: n }));
const m = (a: SyncItem, b: SyncItem) => mergeItems(a, b);

describe('merge: a join (last writer wins by HLC × max per monotone field)', () => {
  it('is commutative', () => {
    fc.assert(fc.property(versions(2), ([a, b]) => {
          expect(m(a!, b!)).toEqual(m(b!, a!));
        }), { numRuns: 3000 });
  });

  it('is associative', () => {
    fc.assert(fc.property(versions(3), ([a, b, c]) => {
          expect(m(m(a!, b!), c!)).toEqual(m(a!, m(b!, c!)));
        }), { numRuns: 3000 });
  });

  it('is idempotent, and merging in a version already merged changes nothing', () => {
    fc.assert(
      fc.property(versions(2), ([a, b]) => {
        if (!a || !b) return;
        expect(m(a, a)).toEqual(a);
        const ab = m(a, b);
        expect(m(ab, a)).toEqual(ab);
        expect(m(ab, b)).toEqual(ab);
      }),
      { numRuns: 2000 },
    );
  });

  it('any order and grouping of many versions gives one result', () => {
    fc.assert(
      fc.property(fc.array(passkey, { minLength: 1, maxLength: 8 }), fc.func(fc.integer()), (versions, f) => {
        const folded = versions.reduce(m);
        const shuffled = [...versions].sort((x, y) => f(x) - f(y)).reduceRight(m);
        expect(sameItem(folded, shuffled)).toBe(true);
      }),
    );
  });

  it('the larger HLC wins the payload; a tombstone wins or loses by the same rule', () => {
    const older: SyncItem = { id: ID, kind: 'passkey', hlc: encode({ wall: 1, counter: 0, node: '000000000000000a' }), deleted: false, data: { name: 'old' } };
    const newer: SyncItem = { ...older, hlc: encode({ wall: 2, counter: 0, node: '000000000000000a' }), data: { name: 'new' } };
    expect(m(older, newer)).toEqual(newer);
    const deleteAfter = tombstoneFor(older, newer.hlc);
    expect(m(older, deleteAfter).deleted).toBe(true);
    const deleteBefore = tombstoneFor(newer, encode({ wall: 1, counter: 5, node: '000000000000000b' }));
    expect(m(deleteBefore, newer)).toEqual(newer); // an edit after the delete brings the passkey back
  });

  it('Spec: a sign-in (lastUsedAt, signCount) on one browser survives a later rename on another', () => {
    const base: SyncItem = { id: ID, kind: 'passkey', hlc: encode({ wall: 1, counter: 0, node: '000000000000000a' }), deleted: false, data: { name: 'a', lastUsedAt: 10, signCount: 1 } };
    const used: SyncItem = { ...base, data: { ...base.data, lastUsedAt: 99, signCount: 4 } }; // same hlc: a use is not an edit
    const renamed: SyncItem = { ...base, hlc: encode({ wall: 2, counter: 0, node: '000000000000000b' }), data: { ...base.data, name: 'b' } };
    expect(m(used, renamed).data).toEqual({ name: 'b', lastUsedAt: 99, signCount: 4 });
    expect(m(renamed, used).data).toEqual({ name: 'b', lastUsedAt: 99, signCount: 4 });
  });

  it('a tombstone keeps only the monotone fields, never the key', () => {
    const live: SyncItem = { id: ID, kind: 'passkey', hlc: encode({ wall: 1, counter: 0, node: '000000000000000a' }), deleted: false, data: { pkcs8: 'secret', lastUsedAt: 3 } };
    const t = tombstoneFor(live, encode({ wall: 2, counter: 0, node: '000000000000000a' }));
    expect(t).toEqual({ id: ID, kind: 'passkey', hlc: t.hlc, deleted: true, data: { lastUsedAt: 3 } });
    expect(tombstoneFor({ ...live, data: { pkcs8: 'secret' } }, t.hlc)).toEqual({ id: ID, kind: 'passkey', hlc: t.hlc, deleted: true });
  });

  it('kinds without monotone fields merge as plain last-writer-wins; a policy can add fields', () => {
    const a: SyncItem = { id: ID, kind: 'settings', hlc: encode({ wall: 1, counter: 0, node: '000000000000000a' }), deleted: false, data: { theme: 'dark', lastUsedAt: 50 } };
    const b: SyncItem = { ...a, hlc: encode({ wall: 2, counter: 0, node: '000000000000000a' }), data: { theme: 'light' } };
    expect(m(a, b)).toEqual(b);
    const policies: MergePolicies = { ...DEFAULT_POLICIES, settings: { monotone: ['lastUsedAt'] } };
    expect(mergeItems(a, b, policies).data).toEqual({ theme: 'light', lastUsedAt: 50 });
  });

  it('refuses versions of two records or two kinds', () => {
    const a: SyncItem = { id: ID, kind: 'passkey', hlc: encode({ wall: 1, counter: 0, node: '000000000000000a' }), deleted: true };
    expect(() => m(a, { ...a, id: testId(8) })).toThrow(RangeError);
    expect(() => m(a, { ...a, kind: 'settings' })).toThrow(RangeError);
  });
});
