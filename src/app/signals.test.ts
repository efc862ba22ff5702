// The signals service: the page's answer comes from validation alone (rule 7), the edit after; a locked vault keeps nothing.
import { describe, expect, it } from 'vitest';
import { createSignals } from './signals.ts';
import type { Caller } from '../webauthn/types.ts';

const caller: Caller = { origin: 'https://shop.example', sameOriginWithAncestors: true, door: 'shim' };

function fakeVault(unlocked: boolean) {
  const calls: string[] = [];
  const edit = (what: string) => async (s: { rpId: string }) => (calls.push(`${what} ${s.rpId}`), 1);
  return {
    calls,
    vault: { isUnlocked: () => unlocked, signalUnknown: edit('unknown'), signalAllAccepted: edit('all'), signalUserDetails: edit('user'), purgeHidden: async () => (calls.push('purge'), 0) },
  };
}

describe('signals service', () => {
  it('answers done for a valid signal, then applies it as a vault edit', async () => {
    const { vault, calls } = fakeVault(true);
    const signals = createSignals({ vault });
    const r = await signals.receive('unknownCredential', { rpId: 'shop.example', credentialId: 'AAAA' }, caller);
    expect(r.answer).toEqual({ type: 'done' });
    expect(await r.applied).toBe(1);
    await (await signals.receive('allAcceptedCredentials', { rpId: 'shop.example', userId: 'AAAA', allAcceptedCredentialIds: [] }, caller)).applied;
    await (await signals.receive('currentUserDetails', { rpId: 'shop.example', userId: 'AAAA', name: 'n', displayName: 'd' }, caller)).applied;
    expect(calls).toEqual(['unknown shop.example', 'all shop.example', 'user shop.example']);
  });

  it('a locked vault: the same answer, nothing applied and nothing kept for later', async () => {
    const { vault, calls } = fakeVault(false);
    const signals = createSignals({ vault });
    const r = await signals.receive('unknownCredential', { rpId: 'shop.example', credentialId: 'AAAA' }, caller);
    expect(r.answer).toEqual({ type: 'done' });
    expect(await r.applied).toBe(0);
    expect(await signals.purge()).toBe(0);
    expect(calls).toEqual([]);
  });

  it("another site's RP ID → SecurityError, a malformed signal → TypeError, and the vault is never asked", async () => {
    const { vault, calls } = fakeVault(true);
    const signals = createSignals({ vault });
    expect((await signals.receive('unknownCredential', { rpId: 'bank.example', credentialId: 'AAAA' }, caller)).answer).toMatchObject({ type: 'error', error: { name: 'SecurityError' } });
    expect((await signals.receive('unknownCredential', { rpId: 'shop.example', credentialId: 'AA==' }, caller)).answer).toMatchObject({ type: 'error', error: { name: 'TypeError' } });
    expect((await signals.receive('currentUserDetails', { rpId: 'shop.example', userId: 'AAAA' }, caller)).answer).toMatchObject({ type: 'error', error: { name: 'TypeError' } });
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([]);
  });

  it('the answer does not wait for the vault edit', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { vault } = fakeVault(true);
    const signals = createSignals({ vault: { ...vault, signalUnknown: async () => (await gate, 1) } });
    const r = await signals.receive('unknownCredential', { rpId: 'shop.example', credentialId: 'AAAA' }, caller);
    expect(r.answer).toEqual({ type: 'done' });
    release();
    expect(await r.applied).toBe(1);
  });

  it('§5.1.10.1: an RP ID listed by its related origins document is accepted; unlisted or failing → SecurityError, no edit', async () => {
    const { vault, calls } = fakeVault(true);
    const asked: string[] = [];
    const relatedOrigins = async (origin: string, rpId: string) => {
      asked.push(`${origin} ${rpId}`);
      if (rpId === 'broken.example') throw new Error('fetch failed');
      return rpId === 'shop-group.example';
    };
    const signals = createSignals({ vault, relatedOrigins });
    const ok = await signals.receive('unknownCredential', { rpId: 'shop-group.example', credentialId: 'AAAA' }, caller);
    expect(ok.answer).toEqual({ type: 'done' });
    expect(await ok.applied).toBe(1);
    for (const rpId of ['bank.example', 'broken.example']) {
      const r = await signals.receive('unknownCredential', { rpId, credentialId: 'AAAA' }, caller);
      expect(r.answer).toMatchObject({ type: 'error', error: { name: 'SecurityError' } });
      expect(await r.applied).toBe(0);
    }
    // A public suffix is refused without asking.
    expect((await signals.receive('unknownCredential', { rpId: 'com', credentialId: 'AAAA' }, caller)).answer).toMatchObject({ error: { name: 'SecurityError' } });
    expect(asked).toEqual(['https://shop.example shop-group.example', 'https://shop.example bank.example', 'https://shop.example broken.example']);
    expect(calls).toEqual(['unknown shop-group.example']);
  });
});
