import { describe, expect, it } from 'vitest';
import { UNDO_MS, createUpgrades } from './upgrades.ts';

/** An open vault's upgrade records and removals, and the browser's badge and notifications, as plain state. */
function world() {
  const w = {
    unlocked: true,
    sites: new Set<string>(),
    removed: [] as string[],
    badges: new Map<number, boolean>(),
    notices: new Map<string, () => void>(),
    t: 1_000,
  };
  const upgrades = createUpgrades({
    vault: {
      isUnlocked: () => w.unlocked,
      upgradeSites: () => [...w.sites].sort(),
      allowUpgrades: async (site) => void w.sites.add(site),
      stopUpgrades: async (site) => void w.sites.delete(site),
      remove: async (id) => (w.removed.push(id), true),
    },
    shell: {
      badge: (tabId, on) => void w.badges.set(tabId, on),
      notify: ({ id }, undo) => void w.notices.set(id, undo),
      dismiss: (id) => void w.notices.delete(id),
    },
    now: () => w.t,
  });
  return { w, upgrades };
}

describe('passkey upgrades (conditional create)', () => {
  it('a site that asks is offered quietly: a badge in its tab, the switch in the popup, nothing allowed', () => {
    const { w, upgrades } = world();
    upgrades.offer(7, 'login.example.com');
    expect(w.badges.get(7)).toBe(true);
    expect(upgrades.allowed('example.com')).toBe(false);
    expect(upgrades.view('example.com')).toEqual({ allowed: false, offered: true, made: [] });
    expect(upgrades.view('other.org')).toEqual({ allowed: false, offered: false, made: [] });
  });

  it('turned on for a site: allowed for its RP IDs (by registrable domain), the badge goes', async () => {
    const { w, upgrades } = world();
    upgrades.offer(7, 'example.com');
    await upgrades.set('example.com', true);
    expect(w.badges.get(7)).toBe(false);
    expect(upgrades.allowed('login.example.com')).toBe(true);
    expect(upgrades.allowed('example.org')).toBe(false);
    expect(upgrades.view('example.com')?.allowed).toBe(true);
  });

  it('nothing is allowed, and the popup shows nothing, while the vault is locked', async () => {
    const { w, upgrades } = world();
    await upgrades.set('example.com', true);
    w.unlocked = false;
    expect(upgrades.allowed('example.com')).toBe(false);
    expect(upgrades.view('example.com')).toBeUndefined();
  });

  it('turned off: no longer allowed, and the switch stays for the person to turn back on', async () => {
    const { upgrades } = world();
    await upgrades.set('example.com', true);
    await upgrades.set('example.com', false);
    expect(upgrades.allowed('example.com')).toBe(false);
    expect(upgrades.view('example.com')).toEqual({ allowed: false, offered: true, made: [] });
  });

  it('a passkey made is announced; the notification\'s undo removes it once, and the popup\'s then has nothing to undo', async () => {
    const { w, upgrades } = world();
    upgrades.made({ credentialId: 'cred1', rpId: 'example.com', userName: 'alice' });
    expect(upgrades.view('example.com')?.made).toEqual([{ credentialId: 'cred1', userName: 'alice', at: 1_000 }]);
    w.notices.get('upgrade:cred1')!();
    await Promise.resolve();
    expect(w.removed).toEqual(['cred1']);
    expect(w.notices.has('upgrade:cred1')).toBe(false);
    expect(await upgrades.undo('cred1')).toBe(false);
    expect(w.removed).toEqual(['cred1']);
  });

  it('the undo is offered for a while only, and never for a passkey an upgrade did not make', async () => {
    const { w, upgrades } = world();
    upgrades.made({ credentialId: 'cred1', rpId: 'example.com', userName: 'alice' });
    expect(await upgrades.undo('someone-else')).toBe(false);
    w.t += UNDO_MS;
    expect(upgrades.view('example.com')?.made).toEqual([]);
    expect(await upgrades.undo('cred1')).toBe(false);
    expect(w.removed).toEqual([]);
  });
});
