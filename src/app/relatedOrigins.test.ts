// The background's related origins check: one fetch per RP ID, kept briefly, failures kept for less, bounded.
import { describe, expect, it } from 'vitest';
import { DOCUMENT_TTL_MS, FAILURE_TTL_MS, MAX_CACHED, createRelatedOrigins } from './relatedOrigins.ts';
import type { FetchedDocument } from '../webauthn/client/relatedOrigins.ts';

const doc = (origins: unknown): FetchedDocument => ({
  status: 200,
  contentType: 'application/json',
  redirected: false,
  body: new TextEncoder().encode(JSON.stringify({ origins })),
  tooLarge: false,
});

function setup(answer: (rpId: string) => Promise<FetchedDocument>) {
  let now = 1_000_000;
  const fetched: string[] = [];
  const check = createRelatedOrigins({
    fetch: (rpId) => (fetched.push(rpId), answer(rpId)),
    now: () => now,
  });
  return { check, fetched, advance: (ms: number) => (now += ms) };
}

describe('createRelatedOrigins', () => {
  it('accepts a listed origin, refuses another, with one fetch for both', async () => {
    const { check, fetched } = setup(async () => doc(['https://shop.example']));
    expect(await check('https://shop.example', 'rp.example')).toBe(true);
    expect(await check('https://evil.example', 'rp.example')).toBe(false);
    expect(fetched).toEqual(['rp.example']);
  });

  it('requests arriving together share one fetch', async () => {
    let release!: (d: FetchedDocument) => void;
    const { check, fetched } = setup(() => new Promise((r) => (release = r)));
    const both = Promise.all([check('https://shop.example', 'rp.example'), check('https://shop.example', 'rp.example')]);
    release(doc(['https://shop.example']));
    expect(await both).toEqual([true, true]);
    expect(fetched).toHaveLength(1);
  });

  it('fetches again once the document is older than its time', async () => {
    const { check, fetched, advance } = setup(async () => doc(['https://shop.example']));
    await check('https://shop.example', 'rp.example');
    advance(DOCUMENT_TTL_MS - 1);
    await check('https://shop.example', 'rp.example');
    expect(fetched).toHaveLength(1);
    advance(1);
    await check('https://shop.example', 'rp.example');
    expect(fetched).toHaveLength(2);
  });

  it('a failed fetch or a bad document is a SecurityError, kept for FAILURE_TTL_MS', async () => {
    let fail = true;
    const { check, fetched, advance } = setup(async () => {
      if (fail) throw new TypeError('NetworkError when attempting to fetch resource.');
      return doc(['https://shop.example']);
    });
    await expect(check('https://shop.example', 'rp.example')).rejects.toMatchObject({ name: 'SecurityError' });
    fail = false;
    await expect(check('https://shop.example', 'rp.example')).rejects.toMatchObject({ name: 'SecurityError' });
    expect(fetched).toHaveLength(1);
    advance(FAILURE_TTL_MS);
    expect(await check('https://shop.example', 'rp.example')).toBe(true);
    expect(fetched).toHaveLength(2);

    const bad = setup(async () => ({ ...doc([]), contentType: 'text/html' }));
    await expect(bad.check('https://shop.example', 'rp.example')).rejects.toMatchObject({ name: 'SecurityError' });
  });

  it('never fetches for an RP ID that is no registrable host name', async () => {
    const { check, fetched } = setup(async () => doc(['https://shop.example']));
    for (const rpId of ['com', 'localhost', '127.0.0.1', 'Example.com', 'example.com:444']) expect(await check('https://shop.example', rpId)).toBe(false);
    expect(fetched).toEqual([]);
  });

  it(`holds at most ${MAX_CACHED} RP IDs, dropping the oldest`, async () => {
    const { check, fetched } = setup(async () => doc(['https://shop.example']));
    for (let i = 0; i <= MAX_CACHED; i++) await check('https://shop.example', `rp${i}.example`);
    expect(fetched).toHaveLength(MAX_CACHED + 1);
    await check('https://shop.example', `rp${MAX_CACHED}.example`); // still there
    expect(fetched).toHaveLength(MAX_CACHED + 1);
    await check('https://shop.example', 'rp0.example'); // dropped: fetched again
    expect(fetched).toHaveLength(MAX_CACHED + 2);
  });
});
