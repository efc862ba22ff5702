// The extension's own messages (bridge and screens) to the background: each checked against its schema
// (messages.ts) and sent from a context allowed to send it, then answered by the service that owns the job.
// The bridge may only ask about a stepped-aside request; everything else comes from the extension's pages.
import browser, { type Runtime } from 'webextension-polyfill';
import * as v from 'valibot';
import { saveToDownloads } from '../adapters/download.ts';
import { WrongPasswordError } from '../vault/keys.ts';
import type { Vault } from '../vault/vault.ts';
import { autoApprovalWidens, parseDevSettings } from '../devtools/settings.ts';
import { THEME_KEY } from '../ui/theme.ts';
import { type ConsentWindows, siteOf } from './consent.ts';
import type { createAutofill } from './autofill.ts';
import type { createTransferService } from './transfer.ts';
import type { CeremonyFilter, DeveloperMode } from './developer.ts';
import type { createPairingService } from './pairing.ts';
import { SyncError, type SyncService } from './sync.ts';
import { AUTOLOCK_KEY, type Session, autoLockMinutes } from './session.ts';
import type { ProxyDoor } from './doors/proxy.ts';
import type { AutomationApi } from './automation.ts';
import { progressReporter } from './progress.ts';
import { KDF_STRENGTHS, type KdfStrength, type PasskeyRow, type Result, RuntimeMessage, type SettingsView, type StatusView } from './messages.ts';

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
}) {
  const { vault, sync, session, proxy, windows, autofill, developer, transfer, pairing, automation } = deps;
  const isExtensionPage = (s: Runtime.MessageSender) => s.id === browser.runtime.id && !!s.url?.startsWith(browser.runtime.getURL('/'));

  /** One message; undefined when it is not one of ours or comes from a context that may not send it. */
  function handle(raw: unknown, sender: Runtime.MessageSender): Promise<unknown> | undefined {
    const parsed = v.safeParse(RuntimeMessage, raw);
    if (!parsed.success || sender.id !== browser.runtime.id) return undefined;
    const m = parsed.output;
    return (async () => {
      await deps.ready();
      switch (m.type) {
        case 'fallback-check':
          return proxy.fallbackCheck(sender, m.challenge, m.origin);
        case 'fallback-done':
          return proxy.fallbackDone(sender, m.challenge);
      }
      if (!isExtensionPage(sender)) return undefined;
      switch (m.type) {
        case 'status':
          return status();
        case 'consent:get':
          return windows.view(m.id) ?? null;
        case 'consent:unlock':
          return session.unlockGuarded(m.password);
        case 'consent:decide': {
          // A request that needs user verification is approved with the master password, checked as an unlock is.
          if (m.action === 'approve' && windows.view(m.id)?.verify) {
            const proof = await session.verifyPassword(m.password ?? '');
            if (!proof.ok) return proof;
          }
          return windows.decide(m.id, m.action, m.credentialId) ? { ok: true } : { ok: false, error: 'This request has ended.' };
        }
        case 'setup':
          return automation.setup({ password: m.password });
        case 'unlock':
          return session.unlockGuarded(m.password);
        case 'lock':
          return automation.lock();
        case 'import:preview':
          return attempt(() => transfer.preview(m));
        case 'import:commit':
          return attempt(() => transfer.commit(m.id));
        case 'import:cancel':
          return transfer.cancel(m.id);
        case 'dev:get':
          return { settings: developer.settings(), nextError: developer.nextError() ?? null };
        case 'dev:set':
          return attempt(async () => {
            // Approving without asking, where Keyport asked before, needs the master password (reauthenticate).
            await developer.ready;
            const next = parseDevSettings({ ...m.settings });
            if (autoApprovalWidens(developer.settings(), next)) await session.reauthenticate(m.masterPassword ?? '', 'Type your master password to let Keyport approve without asking.');
            return developer.configure(next);
          });
        case 'dev:next-error':
          developer.setNextError(m.error ?? undefined);
          return true;
        case 'inspector:list':
          return developer.ceremonies(await tabFilter(m.tabId));
        case 'inspector:clear':
          return developer.clear(await tabFilter(m.tabId));
        case 'autofill:get':
          return autofill.view(m.id, sender.tab?.id);
        case 'autofill:choose':
          return autofill.choose(m.id, sender.tab?.id, { action: 'choose', credentialId: m.credentialId });
        case 'autofill:unlock':
          return autofill.choose(m.id, sender.tab?.id, { action: 'unlock' });
        case 'passkeys:list':
          return vault.isUnlocked()
            ? vault.all().map(({ credentialId, rpId, userName, userDisplayName, alg, discoverable, createdAt, lastUsedAt, backedUp, signCount }): PasskeyRow => ({
                credentialId, rpId, site: siteOf(rpId), userName, userDisplayName, alg, discoverable, createdAt, backedUp,
                ...(lastUsedAt !== undefined ? { lastUsedAt } : {}), ...(signCount ? { signCount } : {}),
              }))
            : [];
        case 'passkeys:rename':
          return attempt(() => vault.rename(m.credentialId, { userName: m.userName }));
        case 'passkeys:delete':
          return attempt(() => vault.remove(m.credentialId));
        case 'passkeys:undo':
          return attempt(async () => !!(await vault.undoRemove()));
        case 'pair:state':
          return pairing.view();
        case 'pair:start':
          return attempt(() => pairing.start(m.serverUrl));
        case 'pair:finish':
          return attempt(async () => {
            const r = await pairing.finish(m.newPassword);
            await sync.paired();
            return r;
          });
        case 'pair:join':
          return attempt(() => pairing.join(m.code));
        case 'pair:approve':
          return attempt(async () => {
            await session.reauthenticate(m.masterPassword);
            const r = await pairing.approve();
            await sync.paired();
            return r;
          });
        case 'pair:cancel':
          return pairing.cancel();
        case 'sync:status':
          return sync.status();
        case 'sync:configure':
          return attempt(() => automation.configureSync(m.off ? null : m.browserSync ? { browserSync: true } : { serverUrl: m.serverUrl ?? '', ...(m.invite ? { invite: m.invite } : {}) }));
        case 'sync:now':
          return attempt(() => automation.syncNow());
        case 'recovery:confirmed':
          return sync.recoveryConfirmed();
        case 'recovery:rotate':
          return attempt(async () => {
            await session.reauthenticate(m.masterPassword);
            return automation.rotateRecoveryCode();
          });
        case 'backup:download':
          return attempt(async () => {
            await session.reauthenticate(m.masterPassword);
            const file = await automation.exportBackup();
            const filename = `keyport-backup-${new Date().toISOString().slice(0, 10)}.json`;
            await saveToDownloads(filename, file);
            return { filename };
          });
        case 'restore:server':
          return attempt(() => automation.restore(m));
        case 'restore:backup':
          return attempt(() => automation.restoreBackup(m));
        case 'password:reset':
          return attempt(() => automation.resetPassword(m));
        case 'settings:get':
          return settingsView();
        case 'settings:set':
          await browser.storage.local.set({ ...(m.autoLockMinutes ? { [AUTOLOCK_KEY]: m.autoLockMinutes } : {}), ...(m.theme ? { [THEME_KEY]: m.theme } : {}) });
          return settingsView();
        case 'password:change':
          return attempt(() => changePassword(m));
        case 'export':
          return attempt(async () => {
            await session.reauthenticate(m.masterPassword);
            const file = await transfer.exportDocument({ format: m.format, ...(m.password !== undefined ? { password: m.password } : {}), ...(m.ids ? { ids: m.ids } : {}) });
            await saveToDownloads(file.filename, file.text);
            return { filename: file.filename, count: file.count, skipped: file.skipped, encrypted: file.encrypted };
          });
      }
    })();
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
    const s = await sync.status();
    return {
      setUp: await vault.isSetUp(),
      unlocked,
      door: proxy.door(),
      proxyProblem: proxy.problem(),
      passkeys: unlocked ? vault.all().length : 0,
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
    const stored = await browser.storage.local.get([AUTOLOCK_KEY, THEME_KEY]);
    const kdf = (await vault.header())?.kdf;
    const derivation = vault.lastDerivation();
    const theme = stored[THEME_KEY];
    return {
      autoLockMinutes: autoLockMinutes(stored[AUTOLOCK_KEY]),
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
