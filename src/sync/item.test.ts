import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importAeadKey, seal } from '../crypto/aead.ts';
import { encode as b64u, decode as fromB64u } from '../webauthn/base64url.ts';
import { type SyncItem, TamperedRecordError, canonicalJson, itemAad, itemFingerprint, openItem, sealItem } from './item.ts';
import { testId } from '../../tests/vectors/syncFakes.ts';
import { LIMITS } from './protocol.ts';

const rawKey = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const ID = testId(1);
const OTHER = testId(2);
const item: SyncItem = {
  id: ID,
  kind: 'passkey',
  hlc: '018bcfe56800-000000-0123456789abcdef',
  deleted: false,
  data: { rpId: 'example.com', userName: 'ada', lastUsedAt: 5 },
};

async function rejects(p: Promise<unknown>, reason: TamperedRecordError['reason'], id = ID): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TamperedRecordError);
  expect((e as TamperedRecordError).recordId).toBe(id);
  expect((e as TamperedRecordError).reason).toBe(reason);
  expect((e as Error).message).toContain(id);
}

/** Seals arbitrary bytes the way sealItem does, to reach the checks behind authentication. */
async function sealRaw(key: CryptoKey, id: string, text: string): Promise<string> {
  const { iv, ct } = await seal(key, new TextEncoder().encode(text), itemAad(id));
  return b64u(new Uint8Array([...iv, ...ct]));
}

describe('sealed sync records (AES-256-GCM, AAD "keyport/sync/v1|<id>")', () => {
  it('round-trips; the blob is base64url of iv || ciphertext || tag', async () => {
    const key = await importAeadKey(rawKey);
    const blob = await sealItem(key, item);
    expect(blob).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await openItem(key, ID, blob)).toEqual(item);
    // Standard AES-256-GCM: node:crypto opens it with the documented AAD.
    const bytes = fromB64u(blob);
    const d = createDecipheriv('aes-256-gcm', rawKey, bytes.subarray(0, 12));
    d.setAAD(Buffer.from(`keyport/sync/v1|${ID}`));
    d.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([d.update(bytes.subarray(12, bytes.length - 16)), d.final()]).toString('utf8');
    expect(JSON.parse(plain)).toEqual(item);
  });

  it('round-trips a tombstone with and without monotone fields', async () => {
    const key = await importAeadKey(rawKey);
    for (const t of [
      { id: ID, kind: 'passkey', hlc: item.hlc, deleted: true },
      { id: ID, kind: 'passkey', hlc: item.hlc, deleted: true, data: { lastUsedAt: 9 } },
    ] as SyncItem[]) {
      expect(await openItem(key, ID, await sealItem(key, t))).toEqual(t);
    }
  });

  it('Spec: a blob moved to another record id fails authentication (the AAD binds the id)', async () => {
    const key = await importAeadKey(rawKey);
    await rejects(openItem(key, OTHER, await sealItem(key, item)), 'authentication', OTHER);
  });

  it('Spec: a flipped byte anywhere is tampering, reported with the record id', async () => {
    const key = await importAeadKey(rawKey);
    const bytes = fromB64u(await sealItem(key, item));
    for (const i of [0, 11, 12, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const b = bytes.slice();
      b[i]! ^= 0x01;
      await rejects(openItem(key, ID, b64u(b)), 'authentication');
    }
  });

  it('the wrong key, a truncated blob, a blob that is not base64url', async () => {
    const key = await importAeadKey(rawKey);
    const blob = await sealItem(key, item);
    await rejects(openItem(await importAeadKey(new Uint8Array(32)), ID, blob), 'authentication');
    await rejects(openItem(key, ID, blob.slice(0, 20)), 'authentication');
    await rejects(openItem(key, ID, blob.slice(0, -4)), 'authentication');
    await rejects(openItem(key, ID, `${blob.slice(0, -1)}=`), 'authentication');
  });

  it('authentic content of the wrong shape, or naming another id, is refused too', async () => {
    const key = await importAeadKey(rawKey);
    await rejects(openItem(key, ID, await sealRaw(key, ID, 'not json')), 'shape');
    await rejects(openItem(key, ID, await sealRaw(key, ID, JSON.stringify({ ...item, kind: 'password' }))), 'shape');
    await rejects(openItem(key, ID, await sealRaw(key, ID, JSON.stringify({ ...item, hlc: 'yesterday' }))), 'shape');
    await rejects(openItem(key, ID, await sealRaw(key, ID, JSON.stringify({ ...item, data: undefined }))), 'shape');
    await rejects(openItem(key, ID, await sealRaw(key, ID, JSON.stringify({ ...item, data: [1, 2] }))), 'shape');
    await rejects(openItem(key, ID, await sealRaw(key, ID, JSON.stringify({ ...item, extra: 1 }))), 'shape');
    await rejects(openItem(key, ID, await sealRaw(key, ID, JSON.stringify({ ...item, id: OTHER }))), 'id');
  });

  it('sealItem checks its input and the size limit', async () => {
    const key = await importAeadKey(rawKey);
    await expect(sealItem(key, { ...item, id: 'short' })).rejects.toThrow(TypeError);
    await expect(sealItem(key, { ...item, data: undefined })).rejects.toThrow(/live record must have data/);
    const big = { ...item, data: { blob: 'x'.repeat(LIMITS.blobChars) } };
    await expect(sealItem(key, big)).rejects.toThrow(RangeError);
  });

  it('canonical JSON and fingerprints ignore key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }, null] })).toBe('{"a":[{"d":2},null],"b":1}');
    const reordered = { data: { lastUsedAt: 5, userName: 'ada', rpId: 'example.com' }, deleted: false, hlc: item.hlc, kind: 'passkey', id: ID } as SyncItem;
    expect(itemFingerprint(reordered)).toBe(itemFingerprint(item));
    expect(itemFingerprint({ ...item, data: { ...item.data, lastUsedAt: 6 } })).not.toBe(itemFingerprint(item));
  });
});
