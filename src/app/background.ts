// The background's composition root: it makes the services and wires them to the browser. Each service owns
// its state: the vault (vault/), the session of an unlocked vault (session.ts), the two front doors (doors/),
// the consent windows and autofill lists, sync and pairing, developer mode, the message router (router.ts)
// and the automation API (automation.ts).
import browser from 'webextension-polyfill';
import { createVault } from '../vault/vault.ts';
import { argon2id } from '../vault/keys.ts';
import { idbSettings, idbVaultStorage } from '../adapters/idb.ts';
import { restrictSessionToTrustedContexts, sessionGet, sessionKeyStore, sessionSet } from '../adapters/session.ts';
import { watchDocumentPolicies } from '../adapters/documentPolicy.ts';
import { createConsentWindows } from './consent.ts';
import { createAutofill } from './autofill.ts';
import { createTransferService } from './transfer.ts';
import { createDeveloperMode } from './developer.ts';
import { createSyncService } from './sync.ts';
import { createPairingService } from './pairing.ts';
import { createPasswordGuard } from './passwordGuard.ts';
import { createCeremonyService } from './ceremonies.ts';
import { createSession } from './session.ts';
import { createProxyDoor } from './doors/proxy.ts';
import { openPageDoor } from './doors/page.ts';
import { createSignals } from './signals.ts';
import { createSiteControl } from './siteControl.ts';
import { createUpgrades } from './upgrades.ts';
import { browserUpgradeShell } from '../adapters/upgradeShell.ts';
import { createRelatedOrigins } from './relatedOrigins.ts';
import { fetchWellKnown } from '../adapters/wellKnown.ts';
import { createRouter } from './router.ts';
import { createAutomationApi, createAutomationSettings } from './automation.ts';
import { ALARMS, type KeyValueStore, MOVED_FROM_LOCAL, STORAGE } from '../protocol/storage.ts';


export function startBackground(): void {
  void restrictSessionToTrustedContexts().catch(() => {});
  const vault = createVault({ storage: idbVaultStorage(), session: sessionKeyStore(), kdf: argon2id, now: Date.now });
  // Developer mode, the sync server and the wrong-password count lower security when changed: they live in the
  // extension's IndexedDB, out of content scripts' reach (storage.local is not; issue 13 item 7).
  const kept = idbSettings();
  const moved = moveOutOfStorageLocal(kept);
  const store: KeyValueStore = {
    get: async (key) => (await moved, kept.get(key)),
    set: async (key, value) => (await moved, kept.set(key, value)),
    remove: async (key) => (await moved, kept.remove(key)),
  };
  const sync = createSyncService({
    vault,
    store,
    area: browser.storage.sync,
    timer: { now: Date.now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
    now: Date.now,
    synced: () => void sites.refresh(),
  });
  // Per-site control: the excluded sites and the pause, kept sealed in the vault and in plain copies for a locked
  // vault (IndexedDB) and the bridges (storage.local); a pause detaches Chromium's proxy until it ends.
  const sites = createSiteControl({
    vault,
    store,
    writeHint: (hint) => browser.storage.local.set({ [STORAGE.siteHint.name]: hint }),
    paused: (on) => proxy.pause(on),
    wakeAt: (at) => void (at === undefined ? browser.alarms.clear(ALARMS.pauseEnd) : browser.alarms.create(ALARMS.pauseEnd, { when: at })),
    now: Date.now,
  });
  const upgrades = createUpgrades({ vault, shell: browserUpgradeShell(), now: Date.now });
  browser.tabs.onRemoved.addListener((tabId) => upgrades.tabClosed(tabId));
  const windows = createConsentWindows();
  const relatedOrigins = createRelatedOrigins({ fetch: (rpId) => fetchWellKnown(rpId), now: Date.now });
  const signals = createSignals({ vault, relatedOrigins });
  const autofill = createAutofill();
  const session = createSession({
    vault,
    // Every re-authentication and unlock of the screens: counted before Argon2id runs, kept in IndexedDB.
    guard: createPasswordGuard({ now: Date.now, load: () => store.get(STORAGE.passwordGuard), save: (st) => store.set(STORAGE.passwordGuard, st) }),
    onUnlocked: () => {
      windows.unlocked();
      autofill.unlocked();
      sync.unlocked();
      void signals.purge();
      void sites.refresh();
    },
    onLocking: () => sync.locked(),
  });
  const developer = createDeveloperMode({
    load: () => store.get(STORAGE.developer),
    save: (settings) => store.set(STORAGE.developer, settings),
    keep: { get: () => sessionGet(STORAGE.developerLog, undefined), set: (k) => sessionSet(STORAGE.developerLog, k) },
  });
  const automationSettings = createAutomationSettings();
  const run = createCeremonyService({
    developer,
    vault,
    windows,
    settings: automationSettings.get,
    lastPasswordProof: session.lastPasswordProof,
    backedUp: () => sync.backedUp(),
    now: Date.now,
    relatedOrigins,
    upgrades,
  });
  const proxy = createProxyDoor({ ready: () => ready, run, signed: session.recordActivity, stepsAside: (origin) => sites.stepsAside({ origin }) });
  openPageDoor({
    ready: () => ready, run, autofill, declaredPolicies: watchDocumentPolicies() ?? (async () => undefined), signed: session.recordActivity, signals,
    stepsAside: (caller) => sites.stepsAside(caller),
  });

  /** A vault was made or restored here (setup, restore, a backup file, pairing) and is open. */
  const vaultOpened = async () => {
    session.passwordProven();
    session.recordActivity();
    await sites.refresh();
    await proxy.attach();
  };
  const pairing = createPairingService({ vault, sync, afterRestore: vaultOpened });
  const transfer = createTransferService({ vault, backedUp: () => sync.backedUp(), now: Date.now });
  // Everyone waits for `ready` (made once every service exists) and asks for it lazily.
  const automation = createAutomationApi({ ready: () => ready, vault, sync, session, vaultOpened, autofill, developer, transfer, pairing, settings: automationSettings, status: () => router.status() });
  const router = createRouter({ ready: () => ready, vault, sync, session, proxy, windows, autofill, developer, transfer, pairing, automation, sites, upgrades });
  browser.runtime.onMessage.addListener(router.handle);
  const ready: Promise<void> = (async () => {
    await automationSettings.load();
    await session.load();
    // Before the proxy attaches: a pause keeps it detached.
    await sites.load();
    if (await vault.resumeSession().catch(() => false)) {
      await sync.ready;
      sync.unlocked();
      void signals.purge();
      await sites.refresh();
    }
    if (await vault.isSetUp()) await proxy.attach();
  })();

  // Sync on a timer, also after the service worker slept (the scheduler's own timers do not survive that).
  void browser.alarms.create(ALARMS.sync, { periodInMinutes: 5 });
  // The sites' hidden passkeys past their 30 days, on the same five-minute tick (app/signals.ts).
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === ALARMS.sync) void signals.purge();
    // The pause ended: Keyport answers again (and attaches Chromium's proxy).
    if (alarm.name === ALARMS.pauseEnd || alarm.name === ALARMS.sync) void ready.then(() => sites.refresh());
  });
  browser.alarms.onAlarm.addListener((alarm) => void (async () => {
    if (alarm.name !== ALARMS.sync || !vault.isUnlocked() || !sync.backedUp()) return;
    await sync.syncNow().catch(() => {}); // the status keeps the error for the person
  })());
  // The first-run setup page (entrypoints/setup); it also asks for site access where the browser withheld it
  // (Firefox MV3 makes host permissions opt-in).
  browser.runtime.onInstalled.addListener(({ reason }) => void (async () => {
    if (reason === 'install' && !(await vault.isSetUp())) await browser.tabs.create({ url: browser.runtime.getURL('/setup.html') });
  })());
  (globalThis as unknown as { passkeyVault: typeof automation }).passkeyVault = automation;
}

/**
 * Once: the settings that lived in storage.local move to IndexedDB (`kept`) and leave storage.local. A marker
 * keeps a later storage.local write (a content script's) from ever being adopted.
 */
async function moveOutOfStorageLocal(kept: ReturnType<typeof idbSettings>): Promise<void> {
  try {
    if (await kept.moved.get()) return;
    const names = MOVED_FROM_LOCAL.map((key) => key.name);
    const old = await browser.storage.local.get(names);
    for (const key of MOVED_FROM_LOCAL) if (old[key.name] !== undefined && (await kept.get(key)) === undefined) await kept.set(key, old[key.name]);
    await kept.moved.set();
    await browser.storage.local.remove(names);
  } catch {
    // IndexedDB unavailable: the settings read as unset (sync off, developer mode off), the safe side.
  }
}
