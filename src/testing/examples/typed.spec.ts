// Types: the package's .d.ts give a TypeScript test completion and an error for a wrong option. `npx tsc` checks
// this file (tsconfig.json); Playwright runs it like the others.
import { test, expect } from '@keyport/testing/playwright';
import { makePasskey, type VirtualCredential } from '@keyport/testing';

test.use({ isUserVerified: false });
// @ts-expect-error: not an option of the fixture (isUserVerified is)
test.use({ isUserVerifed: false });

test('a typed passkey round trip', async ({ keyport }) => {
  const made = makePasskey({ rpId: 'example.com', alg: 'ES256' });
  // @ts-expect-error: 'P-256' is not an algorithm name ('ES256', 'EdDSA', 'RS256' or -7, -8, -257)
  expect(() => makePasskey({ rpId: 'example.com', alg: 'P-256' })).toThrow(/makePasskey: alg must be/);
  const created: VirtualCredential = await keyport.credentials.create('example.com', made);
  const [listed] = await keyport.credentials.get({ id: created.id });
  expect(listed).toEqual({ ...created, signCount: 0 });
  const uv: boolean = (await keyport.status()).unlocked;
  expect(uv).toBe(true);
});
