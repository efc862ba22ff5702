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
    const r = signals.receive('unknownCredential', { rpId: 'shop.example', credentialId: 'AAAA' }, caller);
    expect(r.answer).toEqual({ type: 'done' });
    expect(calls).toEqual([]); // not yet: the answer went out first
    expect(await r.applied).toBe(1);
    await signals.receive('allAcceptedCredentials', { rpId: 'shop.example', userId: 'AAAA', allAcceptedCredentialIds: [] }, caller).applied;
    await signals.receive('currentUserDetails', { rpId: 'shop.example', userId: 'AAAA', name: 'n', displayName: 'd' }, caller).applied;
    expect(calls).toEqual(['unknown shop.example', 'all shop.example', 'user shop.example']);
  });

  it('a locked vault: the same answer, nothing applied and nothing kept for later', async () => {
    const { vault, calls } = fakeVault(false);
    const signals = createSignals({ vault });
    const r = signals.receive('unknownCredential', { rpId: 'shop.example', credentialId: 'AAAA' }, caller);
    expect(r.answer).toEqual({ type: 'done' });
    expect(await r.applied).toBe(0);
    expect(await signals.purge()).toBe(0);
    expect(calls).toEqual([]);
  });

  it("another site's RP ID → SecurityError, a malformed signal → TypeError, and the vault is never asked", async () => {
    const { vault, calls } = fakeVault(true);
    const signals = createSignals({ vault });
    expect(signals.receive('unknownCredential', { rpId: 'bank.example', credentialId: 'AAAA' }, caller).answer).toMatchObject({ type: 'error', error: { name: 'SecurityError' } });
    expect(signals.receive('unknownCredential', { rpId: 'shop.example', credentialId: 'AA==' }, caller).answer).toMatchObject({ type: 'error', error: { name: 'TypeError' } });
    expect(signals.receive('currentUserDetails', { rpId: 'shop.example', userId: 'AAAA' }, caller).answer).toMatchObject({ type: 'error', error: { name: 'TypeError' } });
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([]);
  });
});
