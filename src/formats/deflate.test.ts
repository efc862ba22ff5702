import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateStored, inflateRaw } from './deflate.ts';

describe('RFC 1951 DEFLATE for CXF large blobs', () => {
  it.each([0, 1, 2048, 70_000])('stored blocks of %i bytes inflate (zlib) to the input', (n) => {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256);
    expect(new Uint8Array(inflateRawSync(deflateStored(data)))).toEqual(data);
  });

  it('inflates what zlib compressed, and its own stored blocks', async () => {
    const data = new TextEncoder().encode('a large blob, '.repeat(100));
    expect(await inflateRaw(new Uint8Array(deflateRawSync(data)), 2048)).toEqual(data);
    expect(await inflateRaw(deflateStored(data), 2048)).toEqual(data);
  });

  it('stops past the limit (a small file that expands), and refuses what is not DEFLATE', async () => {
    const bomb = new Uint8Array(deflateRawSync(new Uint8Array(10_000_000)));
    expect(bomb.length).toBeLessThan(20_000);
    await expect(inflateRaw(bomb, 2048)).rejects.toThrow(RangeError);
    await expect(inflateRaw(Uint8Array.of(0xff, 0xff, 0xff), 2048)).rejects.toThrow(TypeError);
  });
});
