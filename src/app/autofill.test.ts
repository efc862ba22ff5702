import { describe, expect, it } from 'vitest';
import { createAutofill } from './autofill.ts';
import type { AutofillNotice } from '../protocol/bridge.ts';
import type { CredentialMeta } from '../webauthn/authenticator/model.ts';

const meta = (credentialId: string, userName: string, lastUsedAt?: number): CredentialMeta =>
  ({ credentialId, userName, userDisplayName: userName.toUpperCase(), rpId: 'login.example.com', createdAt: 1, ...(lastUsedAt !== undefined ? { lastUsedAt } : {}) }) as CredentialMeta;
const tick = () => new Promise((r) => setTimeout(r, 0));

function session(tabId = 7) {
  const autofill = createAutofill();
  const notices: AutofillNotice[] = [];
  const abort = new AbortController();
  const picker = autofill.start({ tabId, frameId: 0, rpId: 'login.example.com' }, (n) => notices.push(n), abort.signal);
  return { autofill, notices, abort, picker };
}

describe('autofill sessions', () => {
  it('lists the accounts most recently used first, tells the bridge only an id and a row count, and resolves with the choice', async () => {
    const { autofill, notices, picker } = session();
    const chosen = picker.pick([meta('a', 'ann', 10), meta('b', 'bob', 30), meta('c', 'cat')]);
    expect(notices).toEqual([{ type: 'autofill', id: picker.id, rows: 3 }]);
    const view = autofill.view(picker.id, 7)!;
    expect(view.site).toBe('example.com');
    expect(view.accounts.map((a) => a.userName)).toEqual(['bob', 'ann', 'cat']);
    expect(JSON.stringify(view)).not.toMatch(/privateKey|pkcs8/);
    expect(autofill.choose(picker.id, 7, { action: 'choose', credentialId: 'a' })).toBe(true);
    await expect(chosen).resolves.toBe('a');
  });

  it('answers only the tab the list was framed in, and ignores an id it did not offer', async () => {
    const { autofill, picker } = session(7);
    let result: string | undefined;
    void picker.pick([meta('a', 'ann')]).then((r) => (result = r));
    expect(autofill.view(picker.id, 8)).toBeNull();
    expect(autofill.view('not-a-session', 7)).toBeNull();
    expect(autofill.choose(picker.id, 8, { action: 'choose', credentialId: 'a' })).toBe(false);
    autofill.choose(picker.id, 7, { action: 'choose', credentialId: 'someone-else' });
    await tick();
    expect(result).toBeUndefined();
    autofill.choose(picker.id, 7, { action: 'choose', credentialId: 'a' });
    await tick();
    expect(result).toBe('a');
  });

  it('waits while locked: "Unlock" opens the window, and an unlock anywhere else also goes on', async () => {
    const { autofill, notices, picker } = session();
    let unlocked = false;
    let windows = 0;
    const done = picker.waitForUnlock(() => unlocked, async () => {
      windows++;
      return undefined; // the person closed the window without unlocking
    });
    expect(notices.at(-1)).toMatchObject({ rows: 1 });
    expect(autofill.view(picker.id, 7)?.state).toBe('locked');
    autofill.choose(picker.id, 7, { action: 'unlock' });
    await tick();
    expect(windows).toBe(1);
    unlocked = true;
    autofill.unlocked();
    await expect(done).resolves.toBeUndefined();
  });

  it('reports the fallback chosen in the unlock window', async () => {
    const { autofill, picker } = session();
    const done = picker.waitForUnlock(() => false, async () => 'fallback');
    autofill.choose(picker.id, 7, { action: 'unlock' });
    await expect(done).resolves.toBe('fallback');
  });

  it("ends with the page's abort, and forgets the session", async () => {
    const { autofill, abort, picker } = session();
    const chosen = picker.pick([meta('a', 'ann')]);
    abort.abort(new DOMException('aborted', 'AbortError'));
    await expect(chosen).rejects.toMatchObject({ name: 'AbortError' });
    picker.end();
    expect(autofill.view(picker.id, 7)).toBeNull();
  });
});
