// The extension's own messages (bridge and screens) to the background: each checked against its schema
// (messages.ts) and sent from a context allowed to send it, then answered by the service that owns the job.
// The bridge may only ask about a stepped-aside request; everything else comes from the extension's pages.
import browser, { type Runtime } from 'webextension-polyfill';
import { saveToDownloads } from '../adapters/download.ts';
import { WrongPasswordError } from '../vault/keys.ts';
import type { Vault } from '../vault/vault.ts';
import { autoApprovalWidens, parseDevSettings } from '../devtools/settings.ts';
import { type ConsentWindows, siteOf } from './consent.ts';
import type { createAutofill } from './autofill.ts';
import type { createTransferService } from './transfer.ts';
import type { CeremonyFilter, DeveloperMode } from './developer.ts';
import type { createPairingService } from './pairing.ts';
import { SyncError, type SyncService } from './sync.ts';
import { type Session, autoLockMinutes } from './session.ts';
import { STORAGE } from '../protocol/storage.ts';
import type { ProxyDoor } from './doors/proxy.ts';
import type { AutomationApi } from './automation.ts';
import { type SiteControl, siteOfUrl } from './siteControl.ts';
import type { Upgrades } from './upgrades.ts';
import { progressReporter } from './progress.ts';
import { type Answer, KDF_STRENGTHS, type KdfStrength, MESSAGES, type MessageType, type Request, parseMessage } from '../protocol/messages.ts';
import type { PasskeyRow, Result, SettingsView, SitesView, StatusView } from '../protocol/views.ts';

export function createRouter(deps: {
  ready: () => Promise<void>;
  vault: Vault;
  sync: SyncService;
  session: Session;
  proxy: ProxyDoor;
  windows: ConsentWindows;
  autofill: ReturnType<typeof createAutofill>;
  developer: DeveloperMode;
  transfer: ReturnType<typeof createTransferService>;
  pairing: ReturnType<typeof createPairingService>;
  automation: AutomationApi;
  sites: SiteControl;
  upgrades: Upgrades;
}) {
  const { vault, sync, session, proxy, windows, autofill, developer, transfer, pairing, automation, sites, upgrades } = deps;
  /** Per-site control and, while the vault is open, that site's passkey upgrades. */
  const sitesView = (url?: string): SitesView => {
    const view = sites.view(url);
    const upgrade = upgrades.view(view.site);
    return upgrade ? { ...view, upgrade } : view;
  };
  const isExtensionPage = (s: Runtime.MessageSender) => s.id === browser.runtime.id && !!s.url?.startsWith(browser.runtime.getURL('/'));

  const handlers: { [K in MessageType]: (m: Request<K>, sender: Runtime.MessageSender) => Answer<K> | Promise<Answer<K>> } = {
    'fallback-check': (m, sender) => proxy.fallbackCheck(sender, m.challenge, m.origin),
    'fallback-done': (m, sender) => proxy.fallbackDone(sender, m.challenge),
    status: () => status(),
    'consent:get': (m) => windows.view(m.id) ?? null,
    'consent:unlock': (m) => session.unlockGuarded(m.password),
    'consent:decide': async (m) => {
      // A request that needs user verification is approved with the master password, checked as an unlock is.
      if (m.action === 'approve' && windows.view(m.id)?.verify) {
        const proof = await session.verifyPassword(m.password ?? '');
        if (!proof.ok) return proof;
      }
      return windows.decide(m.id, m.action, m.credentialId) ? { ok: true } : { ok: false, error: 'This request has ended.' };
    },
    setup: (m) => automation.setup({ password: m.password }),
    unlock: (m) => session.unlockGuarded(m.password),
    lock: () => automation.lock(),
    'import:preview': (m) => attempt(() => transfer.preview(m)),
    'import:commit': (m) => attempt(() => transfer.commit(m.id)),
    'import:cancel': (m) => transfer.cancel(m.id),
    'dev:get': () => ({ settings: developer.settings(), nextError: developer.nextError() ?? null }),
    'dev:set': async (m) => {
      return attempt(async () => {
        // Approving without asking, where Keyport asked before, needs the master password (reauthenticate).
        await developer.ready;
        const next = parseDevSettings({ ...m.settings });
        if (autoApprovalWidens(developer.settings(), next)) await session.reauthenticate(m.masterPassword ?? '', 'Type your master password to let Keyport approve without asking.');
        return developer.configure(next);
      });
    },
    'dev:next-error': (m) => {
      developer.setNextError(m.error ?? undefined);
      return true;
    },
    'inspector:list': async (m) => developer.ceremonies(await tabFilter(m.tabId)),
    'inspector:clear': async (m) => developer.clear(await tabFilter(m.tabId)),
    'autofill:get': (m, sender) => autofill.view(m.id, sender.tab?.id),
    'autofill:choose': (m, sender) => autofill.choose(m.id, sender.tab?.id, { action: 'choose', credentialId: m.credentialId }),
    'autofill:unlock': (m, sender) => autofill.choose(m.id, sender.tab?.id, { action: 'unlock' }),
    'passkeys:list': () => {
      return vault.isUnlocked()
        ? vault.all().map(({ credentialId, rpId, userName, userDisplayName, alg, discoverable, createdAt, lastUsedAt, backedUp, signCount, hiddenBySite }): PasskeyRow => ({
            credentialId, rpId, site: siteOf(rpId), userName, userDisplayName, alg, discoverable, createdAt, backedUp,
            ...(lastUsedAt !== undefined ? { lastUsedAt } : {}), ...(signCount ? { signCount } : {}),
            ...(hiddenBySite ? { hiddenBySite: { at: hiddenBySite.at, origin: hiddenBySite.origin } } : {}),
          }))
        : [];
    },
    'passkeys:rename': (m) => attempt(() => vault.rename(m.credentialId, { userName: m.userName })),
    'passkeys:delete': (m) => attempt(() => vault.remove(m.credentialId)),
    'passkeys:undo': () => attempt(async () => !!(await vault.undoRemove())),
    'passkeys:restore': (m) => attempt(() => vault.restoreHidden(m.credentialId)),
    'pair:state': () => pairing.view(),
    'pair:start': (m) => attempt(() => pairing.start(m.serverUrl)),
    'pair:finish': async (m) => {
      return attempt(async () => {
        const r = await pairing.finish(m.newPassword);
        await sync.paired();
        return r;
      });
    },
    'pair:join': (m) => attempt(() => pairing.join(m.code)),
    'pair:approve': async (m) => {
      return attempt(async () => {
        await session.reauthenticate(m.masterPassword);
        const r = await pairing.approve();
        await sync.paired();
        return r;
      });
    },
    'pair:cancel': () => pairing.cancel(),
    'sync:status': () => sync.status(),
    'sync:configure': (m) => attempt(() => automation.configureSync(m.off ? null : m.browserSync ? { browserSync: true } : { serverUrl: m.serverUrl ?? '', ...(m.invite ? { invite: m.invite } : {}) })),
    'sync:now': () => attempt(() => automation.syncNow()),
    'recovery:confirmed': () => sync.recoveryConfirmed(),
    'recovery:rotate': async (m) => {
      return attempt(async () => {
        await session.reauthenticate(m.masterPassword);
        return automation.rotateRecoveryCode();
      });
    },
    'backup:download': async (m) => {
      return attempt(async () => {
        await session.reauthenticate(m.masterPassword);
        const file = await automation.exportBackup();
        const filename = `keyport-backup-${new Date().toISOString().slice(0, 10)}.json`;
        await saveToDownloads(filename, file);
        return { filename };
      });
    },
    'restore:server': (m) => attempt(() => automation.restore(m)),
    'restore:backup': (m) => attempt(() => automation.restoreBackup(m)),
    'password:reset': (m) => attempt(() => automation.resetPassword(m)),
    'settings:get': () => settingsView(),
    'settings:set': async (m) => {
      await browser.storage.local.set({ ...(m.autoLockMinutes ? { [STORAGE.autoLockMinutes.name]: m.autoLockMinutes } : {}), ...(m.theme ? { [STORAGE.theme.name]: m.theme } : {}) });
      return settingsView();
    },
    'password:change': (m) => attempt(() => changePassword(m)),
    'sites:get': (m) => sitesView(m.url),
    'sites:exclude': (m) => attempt(async () => (await sites.exclude(m.url), sitesView(m.url))),
    'sites:include': (m) => attempt(async () => (await sites.include(m.site, m.url), sitesView(m.url))),
    'sites:pause': (m) => attempt(async () => (await sites.pause(m.choice, m.url), sitesView(m.url))),
    'sites:upgrade': (m) =>
      attempt(async () => {
        const site = siteOfUrl(m.url);
        if (!site) throw new Error('Keyport answers only on web pages (http and https).');
        await upgrades.set(site, m.on);
        return sitesView(m.url);
      }),
    'sites:undo-upgrade': (m) =>
      attempt(async () => {
        if (!(await upgrades.undo(m.credentialId))) throw new Error('That passkey can no longer be undone here; remove it from the list instead.');
        return sitesView(m.url);
      }),
    'proxy:retry': async () => {
      await proxy.retry();
      return status();
    },
    export: async (m) => {
      return attempt(async () => {
        await session.reauthenticate(m.masterPassword);
        const file = await transfer.exportDocument({ format: m.format, ...(m.password !== undefined ? { password: m.password } : {}), ...(m.ids ? { ids: m.ids } : {}) });
        await saveToDownloads(file.filename, file.text);
        return { filename: file.filename, count: file.count, skipped: file.skipped, encrypted: file.encrypted };
      });
    },
  };

  /** One message; undefined when it is not one of ours or comes from a context that may not send it. */
  function handle(raw: unknown, sender: Runtime.MessageSender): Promise<unknown> | undefined {
    const m = parseMessage(raw);
    if (!m || sender.id !== browser.runtime.id) return undefined;
    if (MESSAGES[m.type].from === 'page' && !isExtensionPage(sender)) return undefined;
    return (async () => {
      await deps.ready();
      return dispatch(m, sender);
    })();
  }

  function dispatch<K extends MessageType>(m: Request<K>, sender: Runtime.MessageSender): Answer<K> | Promise<Answer<K>> {
    return (handlers[m.type as K] as (m: Request<K>, sender: Runtime.MessageSender) => Answer<K> | Promise<Answer<K>>)(m, sender);
  }

  /** A tab's ceremonies: those the shim door tagged with it, and the proxy door's from the tab's origin. */
  async function tabFilter(tabId: number): Promise<CeremonyFilter> {
    const url = await browser.tabs.get(tabId).then((t) => t.url, () => undefined);
    let origin: string | undefined;
    try {
      origin = url ? new URL(url).origin : undefined;
    } catch {
      origin = undefined;
    }
    return { tabId, origins: origin ? [origin] : [] };
  }

  /** A UI request's answer: the value, or the error as the sentence the person will read. */
  async function attempt<T>(f: () => Promise<T>): Promise<Result<T>> {
    try {
      return { ok: true, value: await f() };
    } catch (e) {
      return { ok: false, error: (e as Error).message || String(e), ...(e instanceof SyncError && e.needsInvite ? { needsInvite: true as const } : {}) };
    }
  }

  async function status(): Promise<StatusView> {
    const unlocked = vault.isUnlocked();
    const all = unlocked ? vault.all() : [];
    const inUse = all.filter((p) => !p.hiddenBySite).length;
    const s = await sync.status();
    return {
      setUp: await vault.isSetUp(),
      unlocked,
      door: proxy.door(),
      proxyProblem: proxy.problem(),
      // The passkeys a site can use; those its site removed by a signal (restorable for 30 days) apart.
      passkeys: inUse,
      removedBySites: all.length - inUse,
      damaged: unlocked ? vault.damaged().length : 0,
      developer: developer.settings().enabled,
      sync: {
        transport: s.transport,
        state: s.state,
        ...(s.error ? { error: s.error } : {}),
        ...(s.lastSync ? { lastSyncAt: s.lastSync.at } : {}),
        ...(s.unread.length > 0 ? { unread: s.unread.length } : {}),
      },
    };
  }

  // ---- Settings → Security: the background is the only writer of these settings and of the vault header ----
  async function settingsView(): Promise<SettingsView> {
    const stored = await browser.storage.local.get([STORAGE.autoLockMinutes.name, STORAGE.theme.name]);
    const kdf = (await vault.header())?.kdf;
    const derivation = vault.lastDerivation();
    const theme = stored[STORAGE.theme.name];
    return {
      autoLockMinutes: autoLockMinutes(stored[STORAGE.autoLockMinutes.name]),
      theme: theme === 'light' || theme === 'dark' ? theme : 'system',
      ...(kdf ? { kdf: { m: kdf.m, t: kdf.t, p: kdf.p } } : {}),
      ...(derivation ? { derivation } : {}),
    };
  }
  /** A new master password and/or KDF strength; the current password first, through the unlock's growing delay. */
  async function changePassword(req: { password: string; newPassword?: string; strength?: KdfStrength }): Promise<SettingsView> {
    const current = (await vault.header())?.kdf;
    if (!current || !vault.isUnlocked()) throw new Error('Unlock Keyport first.');
    const kdf = req.strength ? KDF_STRENGTHS[req.strength] : current;
    const report = progressReporter('password');
    const share = (current.m * current.t) / (current.m * current.t + kdf.m * kdf.t); // of the bar: checking vs re-wrapping
    const checked = await session.guarded(() =>
      vault.verifyPassword(req.password, (f) => report(f * share)).catch((e: unknown) => {
        throw e instanceof WrongPasswordError ? new WrongPasswordError('The current master password is not correct.') : e;
      }),
    );
    if (!checked.ok) throw new Error(checked.error);
    await vault.changePassword(req.newPassword ?? req.password, { kdf, onProgress: (f) => report(share + f * (1 - share)) });
    session.passwordProven();
    return settingsView();
  }


  return { handle, status };
}
