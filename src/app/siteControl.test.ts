// @vitest-environment node
// Per-site control (issue 15 item 8) with two browsers' vaults (fake-indexeddb) syncing through the real sync server:
// what a person would notice is where Keyport steps aside, in both browsers, also while the vault is locked and
// after the background restarts, and when the pause ends.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { idbVaultStorage } from '../adapters/idb.ts';
import { createVault } from '../vault/vault.ts';
import { fastKdf } from '../../tests/vectors/fastKdf.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';
import { useSyncServer } from '../../tests/vectors/syncServer.ts';
import { createSyncService } from './sync.ts';
import { createSiteControl, siteOfUrl } from './siteControl.ts';
import type { KeyValueStore } from '../protocol/storage.ts';
import type { SiteHint } from '../protocol/sites.ts';

const FAST_KDF = { m: 64 * 1024, t: 3, p: 1 };
let n = 0;

function memoryStore() {
  const m = new Map<string, unknown>();
  const store: KeyValueStore = { get: async (k) => structuredClone(m.get(k.name)) as never, set: async (k, v) => void m.set(k.name, structuredClone(v)), remove: async (k) => void m.delete(k.name) };
  return store;
}

/** One browser: its vault, sync, and the site control as the background wires it (the proxy's pause recorded). */
function browser(clock = { t: Date.now() }) {
  const now = () => clock.t;
  const vault = createVault({ storage: idbVaultStorage(`sites-test-${n++}`), session: memorySession(), kdf: fastKdf, now, touchDelayMs: 0 });
  const store = memoryStore();
  const b = { vault, store, clock, hint: undefined as SiteHint | undefined, proxyPaused: [] as boolean[], wake: undefined as number | undefined };
  const control = () =>
    createSiteControl({
      vault, store, now,
      writeHint: async (h) => void (b.hint = structuredClone(h)),
      paused: async (on) => void b.proxyPaused.push(on),
      wakeAt: (at) => void (b.wake = at),
    });
  const sites = control();
  const sync = createSyncService({ vault, store: memoryStore(), timer: { now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) }, now, synced: () => void sites.refresh() });
  return { ...b, get hint() { return b.hint; }, get wake() { return b.wake; }, sites, sync, control };
}

const asks = (s: ReturnType<typeof browser>['sites'], origin: string, topOrigin?: string) => s.stepsAside({ origin, ...(topOrigin ? { topOrigin } : {}) });

describe('the site of a page', () => {
  it('is its registrable domain, or the bare host where there is none; only web pages have one', () => {
    expect(siteOfUrl('https://login.Example.co.uk/x')).toBe('example.co.uk');
    expect(siteOfUrl('https://alice.github.io/')).toBe('alice.github.io');
    expect(siteOfUrl('http://localhost:8080/')).toBe('localhost');
    expect(siteOfUrl('https://127.0.0.1/')).toBe('127.0.0.1');
    expect(siteOfUrl('chrome://extensions')).toBeUndefined();
    expect(siteOfUrl('not a url')).toBeUndefined();
  });
});

describe('per-site control with the real sync server', () => {
  const server = useSyncServer();

  it('two browsers that exclude different sites both step aside on both; letting one back in does so everywhere', async () => {
    const a = browser();
    const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
    await a.sync.configure({ serverUrl: server.url });
    const b = browser();
    await b.sync.restore({ serverUrl: server.url, recoveryCode, newPassword: 'password b' });

    await a.sites.exclude('https://www.shop.example/cart');
    await b.sites.exclude('https://bank.example/login');
    await b.sites.exclude('https://shop.example/'); // the same site, from the other browser
    expect(asks(a.sites, 'https://login.shop.example')).toBe(true);
    expect(asks(a.sites, 'https://bank.example')).toBe(false);
    await a.sync.syncNow();
    await b.sync.syncNow();
    await a.sync.syncNow();
    for (const x of [a, b]) {
      expect(x.sites.view().excluded).toEqual(['bank.example', 'shop.example']);
      expect(asks(x.sites, 'https://bank.example')).toBe(true);
      expect(asks(x.sites, 'https://www.shop.example')).toBe(true);
      // Whole labels: another site that ends the same way is not covered.
      expect(asks(x.sites, 'https://myshop.example')).toBe(false);
      // A frame of another site inside an excluded page: the page's site decides too.
      expect(asks(x.sites, 'https://widget.example', 'https://bank.example')).toBe(true);
      expect(x.hint?.excluded).toEqual(['bank.example', 'shop.example']);
    }

    // Both browsers made a record for shop.example; letting it back in on A deletes both.
    await a.sites.include('shop.example');
    await a.sync.syncNow();
    await b.sync.syncNow();
    expect(b.sites.view().excluded).toEqual(['bank.example']);
    expect(asks(b.sites, 'https://shop.example')).toBe(false);

    // Locked, the plaintext copy still decides; so does a restarted background that never saw the vault open.
    await b.vault.lock();
    expect(asks(b.sites, 'https://bank.example')).toBe(true);
    await expect(b.sites.exclude('https://other.example/')).rejects.toThrow(/locked/);
    const restarted = b.control();
    expect(asks(restarted, 'https://bank.example')).toBe(false);
    await restarted.load();
    expect(asks(restarted, 'https://bank.example')).toBe(true);
    expect(asks(restarted, 'https://shop.example')).toBe(false);
  });

  it('a pause holds in both browsers until it ends or is turned off; the last decision wins', async () => {
    const clock = { t: Date.now() };
    const a = browser(clock);
    const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
    await a.sync.configure({ serverUrl: server.url });
    const b = browser(clock);
    await b.sync.restore({ serverUrl: server.url, recoveryCode, newPassword: 'password b' });

    await a.sites.pause('hour');
    expect(a.sites.view().paused).toEqual({ until: clock.t + 3_600_000 });
    expect(a.proxyPaused).toEqual([true]); // Chromium's proxy detaches
    expect(a.wake).toBe(clock.t + 3_600_000);
    expect(asks(a.sites, 'https://any.example')).toBe(true);
    await a.sync.syncNow();
    await b.sync.syncNow();
    expect(b.sites.view().paused).toEqual({ until: clock.t + 3_600_000 });
    expect(b.proxyPaused).toEqual([true]);

    // The hour passes: Keyport answers again (the alarm's refresh), the proxy attaches again.
    clock.t += 3_600_001;
    await b.sites.refresh();
    expect(asks(b.sites, 'https://any.example')).toBe(false);
    expect(b.proxyPaused).toEqual([true, false]);

    // B pauses until turned back on; A, later, turns Keyport back on: A's later decision wins in both.
    await b.sites.pause('until-resumed');
    await b.sync.syncNow();
    await a.sync.syncNow();
    expect(a.sites.view().paused).toEqual({ until: null });
    clock.t += 1000;
    await a.sites.pause('resume');
    await a.sync.syncNow();
    await b.sync.syncNow();
    expect(a.sites.view().paused).toBeUndefined();
    expect(b.sites.view().paused).toBeUndefined();
    expect(asks(b.sites, 'https://any.example')).toBe(false);
  });
});
