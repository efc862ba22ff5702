// The background: wires the vault, the two front doors, the consent windows and the automation API.
import browser, { type Runtime } from 'webextension-polyfill';
import * as v from 'valibot';
import { createVault } from '../vault/vault.ts';
import { idbVaultStorage } from '../adapters/idb.ts';
import { sessionGet, sessionKeyStore, sessionSet } from '../adapters/session.ts';
import { listenToProxy, proxyApi } from '../adapters/proxy.ts';
import { encode as b64u } from '../webauthn/base64url.ts';
import { type TestCredentialInput, addTestCredential } from './automation.ts';
import { saveToDownloads } from '../adapters/download.ts';
import { createConsentWindows, siteOf } from './consent.ts';
import { createAutofill } from './autofill.ts';
import { type ExportRequest, createTransferService } from './transfer.ts';
import { type CeremonyFilter, createDeveloperMode } from './developer.ts';
import { SyncError, createSyncService } from './sync.ts';
import { createPairingService } from './pairing.ts';
import { createPasswordGuard, type GuardState } from './passwordGuard.ts';
import { alsoReport, progressReporter } from './progress.ts';
import { WrongPasswordError } from '../vault/keys.ts';
import type { DevSettingsInput, SimulatedError } from '../devtools/settings.ts';
import type { FormatId } from '../formats/types.ts';
import { type AutomationSettings, type CeremonyAnswer, createCeremonyService } from './ceremonies.ts';
import { callerOf, documentPermits, originOf } from './callers.ts';
import { watchDocumentPolicies } from '../adapters/documentPolicy.ts';
import { CeremonyRequest, type PasskeyRow, type Result, RuntimeMessage, type StatusView } from './messages.ts';
import { KDF_STRENGTHS, type KdfStrength, type SettingsView } from './messages.ts';
import { THEME_KEY } from '../ui/theme.ts';
import { CEREMONY_PORT, DOOR_KEY } from './channels.ts';
import type { Caller } from '../webauthn/types.ts';

const SETTINGS_KEY = 'keyport:automation';
const ACTIVITY_KEY = 'keyport:lastActivity';
const PROOF_KEY = 'keyport:lastPasswordProof';
const AUTOLOCK_KEY = 'keyport:autoLockMinutes';
const DEVELOPER_KEY = 'keyport:developer';
const FALLBACK_WINDOW_MS = 5 * 60_000;

export function startBackground(): void {
  const vault = createVault({ storage: idbVaultStorage(), session: sessionKeyStore(), now: Date.now });
  const sync = createSyncService({
    vault,
    store: {
      get: async <T>(key: string) => (await browser.storage.local.get(key))[key] as T | undefined,
      set: (key, value) => browser.storage.local.set({ [key]: value }),
      remove: (key) => browser.storage.local.remove(key),
    },
    area: browser.storage.sync,
    timer: { now: Date.now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
    now: Date.now,
  });
  const windows = createConsentWindows();
  const declaredPolicies = watchDocumentPolicies() ?? (async () => undefined);
  const autofill = createAutofill();
  let settings: AutomationSettings = { autoApprove: false, userVerified: true };
  let lastPasswordProof = 0;
  let door: 'proxy' | 'shim' = 'shim';
  let proxyProblem: string | undefined;
  const ready = (async () => {
    settings = await sessionGet(SETTINGS_KEY, settings);
    lastPasswordProof = await sessionGet(PROOF_KEY, 0);
    if (await vault.resumeSession().catch(() => false)) {
      await sync.ready;
      sync.unlocked();
    }
    if (await vault.isSetUp()) await attachProxy();
  })();

  // Last activity, for auto-lock: kept in memory, and mirrored to storage.session (for a restarted worker)
  // at most once a second, after the answer has gone out: a storage write in every ceremony cost about
  // 0.2 ms of each sign-in (npm run bench). The auto-lock alarm reads the later of the two.
  let lastActivity = 0;
  let activityWrite: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    lastActivity = Date.now();
    activityWrite ??= setTimeout(() => {
      activityWrite = undefined;
      void sessionSet(ACTIVITY_KEY, lastActivity);
    }, 1000);
  };
  const passwordProven = () => {
    lastPasswordProof = Date.now();
    void sessionSet(PROOF_KEY, lastPasswordProof);
    windows.unlocked();
    autofill.unlocked();
    sync.unlocked();
  };
  async function lockVault(): Promise<void> {
    sync.locked();
    await vault.lock();
  }

  const developer = createDeveloperMode({
    load: async () => (await browser.storage.local.get(DEVELOPER_KEY))[DEVELOPER_KEY],
    save: (settings) => browser.storage.local.set({ [DEVELOPER_KEY]: settings }),
    keep: { get: () => sessionGet('keyport:developer-log', undefined), set: (k) => sessionSet('keyport:developer-log', k) },
  });

  const run = createCeremonyService({
    developer,
    vault,
    windows,
    settings: () => settings,
    lastPasswordProof: () => lastPasswordProof,
    backedUp: () => sync.backedUp(),
    now: Date.now,
  });

  const pairing = createPairingService({
    vault,
    sync,
    afterRestore: async () => {
      passwordProven();
      touch();
      await attachProxy();
    },
  });
  const transfer = createTransferService({ vault, backedUp: () => sync.backedUp(), now: Date.now });

  // ---- Chromium's proxy door ----
  const api = proxyApi();
  const fallbacks = new Map<string, { origin: string; at: number }>();
  /** The one request (tab and challenge) for which the proxy is detached, while the browser's own WebAuthn answers it. */
  let stepAside: { tabId: number; challenge: string } | undefined;
  async function setDoor(d: 'proxy' | 'shim') {
    door = d;
    await browser.storage.local.set({ [DOOR_KEY]: d });
  }
  async function attachProxy(): Promise<void> {
    stepAside = undefined;
    if (!api || door === 'proxy') return;
    // A restarted service worker may still be attached: detach and attach again before believing an error.
    let error = await api.attach().catch((e: Error) => e.message);
    if (error) {
      await api.detach().catch(() => {});
      error = await api.attach().catch((e: Error) => e.message);
    }
    if (error) {
      proxyProblem = `Another extension holds Chromium's WebAuthn proxy (${error}); Keyport answers through its page script instead.`;
      await setDoor('shim');
    } else {
      proxyProblem = undefined;
      await setDoor('proxy');
    }
  }
  if (api) {
    listenToProxy(
      api,
      async (r) => {
        await ready;
        const caller: Caller = { origin: r.origin, sameOriginWithAncestors: r.sameOriginWithAncestors, door: 'proxy' };
        const answer = await run(r.kind, r.options, caller, true, r.signal);
        if (answer.type === 'credential') {
          touch();
          return { responseJson: JSON.stringify(answer.credential) };
        }
        if (answer.type === 'error') return { error: answer.error };
        // Step aside: the page's shim retries with the browser's own WebAuthn after this NotAllowedError.
        for (const [challenge, f] of fallbacks) if (Date.now() - f.at > FALLBACK_WINDOW_MS) fallbacks.delete(challenge);
        fallbacks.set(String(r.options.challenge), { origin: r.origin, at: Date.now() });
        return { error: { name: 'NotAllowedError', message: 'Keyport stepped aside for another authenticator.' } };
      },
      () => true,
    );
  } else {
    void setDoor('shim');
  }

  // ---- the shim door: one port per ceremony from the bridge ----
  browser.runtime.onConnect.addListener((port) => {
    if (port.name !== CEREMONY_PORT || !port.sender) return;
    const abort = new AbortController();
    port.onDisconnect.addListener(() => abort.abort());
    port.onMessage.addListener(async (raw) => {
      const parsed = v.safeParse(CeremonyRequest, raw);
      let answer: CeremonyAnswer;
      if (!parsed.success) answer = { type: 'error', error: { name: 'TypeError', message: 'Malformed request.' } };
      else {
        await ready;
        const { kind, options, frame, conditional } = parsed.output;
        const sender = port.sender!;
        const caller = callerOf(sender, frame);
        const feature = kind === 'create' ? 'publickey-credentials-create' : 'publickey-credentials-get';
        // null: the document cannot see its own permissions policy (Firefox); read it from the headers and the embedders.
        const permitted = caller !== undefined && (frame.framePermitted ?? (await documentPermits(sender, caller, feature, declaredPolicies)));
        const tabId = sender.tab?.id;
        // Autofill: a list framed in this tab's frame, which the person answers (autofill.ts), made only once
        // the request is valid and for its validated RP ID.
        const startPicker = conditional && kind === 'get' && tabId !== undefined
          ? (rpId: string) => autofill.start({ tabId, frameId: sender.frameId ?? 0, rpId }, (n) => port.postMessage(n), abort.signal)
          : undefined;
        // Rule 1: an opaque origin (a sandboxed document, a data: document) gets the browser's NotAllowedError.
        answer = caller
          ? await run(kind, options, caller, permitted, abort.signal, tabId, startPicker)
          : { type: 'error', error: { name: 'NotAllowedError', message: 'The operation is not allowed in a document with an opaque origin.' } };
      }
      // Only a ceremony that signed counts as activity for auto-lock: a page that keeps asking must not keep
      // the vault open without the person.
      if (answer.type === 'credential') touch();
      if (!abort.signal.aborted) port.postMessage(answer);
    });
  });

  // ---- runtime messages from the bridge and the extension's own pages ----
  const isExtensionPage = (s: Runtime.MessageSender) => s.id === browser.runtime.id && !!s.url?.startsWith(browser.runtime.getURL('/'));
  browser.runtime.onMessage.addListener((raw: unknown, sender: Runtime.MessageSender) => {
    const parsed = v.safeParse(RuntimeMessage, raw);
    if (!parsed.success || sender.id !== browser.runtime.id) return undefined;
    const m = parsed.output;
    return (async () => {
      await ready;
      switch (m.type) {
        case 'fallback-check': {
          const f = fallbacks.get(m.challenge);
          const origin = originOf(sender, m.origin);
          const tabId = sender.tab?.id;
          if (!f || !origin || f.origin !== origin || tabId === undefined || Date.now() - f.at > FALLBACK_WINDOW_MS || !api) return false;
          fallbacks.delete(m.challenge);
          await api.detach().catch(() => {});
          // For this request only: its own fallback-done attaches again, or the tab closing, or at the latest
          // the timer (a restarted service worker attaches at start anyway).
          door = 'shim';
          stepAside = { tabId, challenge: m.challenge };
          const again = (closed: number) => {
            if (closed !== tabId) return;
            browser.tabs.onRemoved.removeListener(again);
            void attachProxy();
          };
          browser.tabs.onRemoved.addListener(again);
          setTimeout(() => void attachProxy(), FALLBACK_WINDOW_MS);
          return true;
        }
        case 'fallback-done':
          // Only the tab whose request stepped aside, for that request, may end it: another page attaching the
          // proxy again would take that person's security key or phone request back into Keyport.
          if (!stepAside || stepAside.tabId !== sender.tab?.id || stepAside.challenge !== m.challenge) return false;
          await attachProxy();
          return true;
      }
      if (!isExtensionPage(sender)) return undefined;
      switch (m.type) {
        case 'status':
          return status();
        case 'consent:get':
          return windows.view(m.id) ?? null;
        case 'consent:unlock':
          return unlock(m.password);
        case 'consent:decide': {
          // A request that needs user verification is approved with the master password, checked as an unlock is.
          if (m.action === 'approve' && windows.view(m.id)?.verify) {
            const proof = await verifyPassword(m.password ?? '');
            if (!proof.ok) return proof;
          }
          return windows.decide(m.id, m.action, m.credentialId) ? { ok: true } : { ok: false, error: 'This request has ended.' };
        }
        case 'setup':
          return automation.setup({ password: m.password });
        case 'unlock':
          return unlock(m.password);
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
          return attempt(() => developer.configure(m.settings));
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
          return attempt(() => automation.rotateRecoveryCode());
        case 'backup:download':
          return attempt(async () => {
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
            const file = await transfer.exportDocument(m);
            await saveToDownloads(file.filename, file.text);
            return { filename: file.filename, count: file.count, skipped: file.skipped, encrypted: file.encrypted };
          });
      }
    })();
  });

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

  /** The screens' unlock: a wrong password counts toward a growing delay (passwordGuard.ts). */
  const guard = createPasswordGuard({ now: Date.now, load: () => sessionGet<GuardState | undefined>('keyport:passwordGuard', undefined), save: (st) => sessionSet('keyport:passwordGuard', st) });
  function unlock(password: string) {
    return guarded(() => automation.unlock(password));
  }
  /** User verification in a consent window: the same guard, and a proof that counts for UV_GRACE_MS. */
  function verifyPassword(password: string) {
    return guarded(async () => {
      await vault.verifyPassword(password);
      passwordProven();
    });
  }
  async function guarded(check: () => Promise<void>): Promise<{ ok: true } | { ok: false; error: string }> {
    try {
      await guard.check();
      await check();
      await guard.succeeded();
      return { ok: true };
    } catch (e) {
      if (e instanceof WrongPasswordError) return { ok: false, error: await guard.failed(e.message) };
      return { ok: false, error: (e as Error).message };
    }
  }

  async function status(): Promise<StatusView> {
    const unlocked = vault.isUnlocked();
    const s = await sync.status();
    return {
      setUp: await vault.isSetUp(),
      unlocked,
      door,
      proxyProblem,
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
      autoLockMinutes: (stored[AUTOLOCK_KEY] as number | undefined) ?? 15,
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
    const checked = await guarded(() =>
      vault.verifyPassword(req.password, (f) => report(f * share)).catch((e: unknown) => {
        throw e instanceof WrongPasswordError ? new WrongPasswordError('The current master password is not correct.') : e;
      }),
    );
    if (!checked.ok) throw new Error(checked.error);
    await vault.changePassword(req.newPassword ?? req.password, { kdf, onProgress: (f) => report(share + f * (1 - share)) });
    passwordProven();
    return settingsView();
  }

  // ---- auto-lock ----
  browser.alarms.create('keyport:autolock', { periodInMinutes: 1 });
  browser.alarms.onAlarm.addListener(async (alarm) => {
    if (alarm.name !== 'keyport:autolock' || !vault.isUnlocked()) return;
    const minutes = ((await browser.storage.local.get(AUTOLOCK_KEY))[AUTOLOCK_KEY] as number | undefined) ?? 15;
    const last = Math.max(lastActivity, await sessionGet(ACTIVITY_KEY, Date.now()));
    if (Date.now() - last > minutes * 60_000) await lockVault();
  });

  // ---- sync on a timer, also after the service worker slept (the scheduler's own timers do not survive that) ----
  browser.alarms.create('keyport:sync', { periodInMinutes: 5 });
  browser.alarms.onAlarm.addListener(async (alarm) => {
    if (alarm.name !== 'keyport:sync' || !vault.isUnlocked() || !sync.backedUp()) return;
    await sync.syncNow().catch(() => {}); // the status keeps the error for the person
  });

  // ---- Firefox: host permissions are opt-in in MV3; ask on first run ----
  browser.runtime.onInstalled.addListener(async ({ reason }) => {
    // The first-run setup page (entrypoints/setup); it also asks for site access where the browser withheld it.
    if (reason === 'install' && !(await vault.isSetUp())) await browser.tabs.create({ url: browser.runtime.getURL('/setup.html') });
  });

  // ---- the automation API (README: "Automation API") ----
  const automation = {
    async setup({ password }: { password: string }): Promise<{ recoveryCode: string }> {
      await ready;
      const r = await vault.setup(password, { onProgress: progressReporter('setup') });
      passwordProven();
      touch();
      await attachProxy();
      return r;
    },
    async unlock(password: string): Promise<void> {
      await ready;
      await vault.unlock(password, progressReporter('unlock'));
      passwordProven();
      touch();
    },
    async lock(): Promise<void> {
      await lockVault();
    },
    async configure(s: Partial<AutomationSettings> & { autoLockMinutes?: number }): Promise<AutomationSettings> {
      await ready;
      if (s.autoApprove !== undefined) settings = { ...settings, autoApprove: Boolean(s.autoApprove) };
      if (s.userVerified !== undefined) settings = { ...settings, userVerified: Boolean(s.userVerified) };
      await sessionSet(SETTINGS_KEY, settings);
      if (s.autoLockMinutes !== undefined) await browser.storage.local.set({ [AUTOLOCK_KEY]: Math.max(1, Number(s.autoLockMinutes)) });
      return settings;
    },
    /** Metadata of every passkey; `includePrivateKeys: true` adds each PKCS#8 key (base64url), for a developer who asks on purpose. */
    async getCredentials(opts: { includePrivateKeys?: boolean } = {}) {
      await ready;
      const keys = opts.includePrivateKeys ? new Map(vault.exportPasskeys().map((p) => [b64u(p.credentialId), b64u(p.pkcs8)])) : undefined;
      return vault.all().map((c) => ({
        id: c.credentialId,
        rpId: c.rpId,
        userName: c.userName,
        userDisplayName: c.userDisplayName,
        userHandle: c.userHandle,
        alg: c.alg,
        isResidentCredential: c.discoverable,
        backedUp: c.backedUp,
        signCount: c.signCount ?? 0,
        createdAt: c.createdAt,
        lastUsedAt: c.lastUsedAt,
        ...(keys ? { privateKey: keys.get(c.credentialId) } : {}),
      }));
    },
    /** A passkey made elsewhere (Chromium's WebAuthn.addCredential shape: base64 credentialId, rpId, PKCS#8 privateKey, userHandle, signCount). */
    async addCredential(credential: TestCredentialInput): Promise<string> {
      await ready;
      return addTestCredential(vault, credential, false);
    },
    async removeCredential(id: string): Promise<boolean> {
      await ready;
      return vault.remove(id);
    },
    /** Passkey autofill requests waiting for a choice: [{ id, tabId, rpId, site, state, accounts }]. */
    autofillRequests: () => autofill.pending(),
    /**
     * Chooses a passkey in a waiting autofill list, as the person's click would: `userName` or `credentialId`, in the
     * newest request (or `id`) that offers it. Resolves to the credential id chosen; throws when none offers it.
     */
    async chooseAutofill(which: { userName?: string; credentialId?: string; id?: string }): Promise<string> {
      for (const r of autofill.pending().reverse()) {
        if (which.id !== undefined && r.id !== which.id) continue;
        const a = r.accounts.find((x) => x.credentialId === which.credentialId || (which.credentialId === undefined && x.userName === which.userName));
        if (a && autofill.chooseFor(r.id, a.credentialId)) return a.credentialId;
      }
      throw new Error(`chooseAutofill: no waiting autofill list offers ${JSON.stringify(which)} (is the vault unlocked, and did the page call get() with mediation 'conditional'?)`);
    },
    /** Removes every passkey; resolves to how many there were. */
    async clearCredentials(): Promise<number> {
      await ready;
      return vault.clear();
    },
    status,
    /** Turns sync on: `{ serverUrl, invite? }` (a Keyport sync server; https unless on localhost; an invite when it asks for one), `{ browserSync: true }`, or null for off. Syncs once. */
    async configureSync(config: { serverUrl: string; invite?: string } | { browserSync: true } | null) {
      await ready;
      return sync.configure(config);
    },
    /** Syncs now; resolves to { pulled, pushed, conflicts, tampered, bytesUp, bytesDown, durationMs }. */
    async syncNow() {
      await ready;
      return sync.syncNow();
    },
    syncStatus: () => sync.status(),
    /** A fresh browser: the whole vault from a sync server with its recovery code, under a new master password. */
    /** `onProgress` (optional) hears Argon2id's progress too, as the screens do. */
    async restore(req: { serverUrl: string; recoveryCode: string; newPassword: string; onProgress?: (f: number) => void }) {
      await ready;
      const summary = await sync.restore({ ...req, onProgress: alsoReport('restore', req.onProgress) });
      passwordProven();
      touch();
      await attachProxy();
      return summary;
    },
    /** Pairing, on the new browser: `{ code }` to type on a browser that holds the vault. */
    startPairing: ({ serverUrl }: { serverUrl: string }) => pairing.start(serverUrl),
    /** `{ role, stage, code, sas, error }`: stage waiting, compare, approved, done or failed. */
    pairingState: () => pairing.view(),
    /** Pairing, on the new browser, once the other approved and the strings matched: the vault under a new master password. */
    finishPairing: ({ newPassword }: { newPassword: string }) => pairing.finish(newPassword),
    /** Pairing, on the browser that holds the vault (unlocked, syncing with a server): resolves with the string to compare. */
    joinPairing: ({ code }: { code: string }) => pairing.join(code),
    /** Pairing, on the browser that holds the vault, once the strings matched: sends the vault, sealed to the new browser. */
    approvePairing: () => pairing.approve(),
    cancelPairing: () => pairing.cancel(),
    /** A new recovery code (shown once); the old one stops working here and on the sync server. */
    async rotateRecoveryCode(): Promise<{ recoveryCode: string }> {
      await ready;
      return sync.rotateRecoveryCode();
    },
    /** A forgotten master password: the recovery code opens the vault and a new password replaces the old one. */
    async resetPassword({ recoveryCode, newPassword }: { recoveryCode: string; newPassword: string }): Promise<void> {
      await ready;
      await vault.resetPassword(recoveryCode, newPassword, progressReporter('password'));
      passwordProven();
    },
    /** An encrypted backup file (JSON text) that the recovery code or the master password opens. */
    async exportBackup(): Promise<string> {
      await ready;
      return sync.exportBackup();
    },
    /** A fresh browser from a backup file: `recoveryCode` (or `password`, the master password it was made with) and a new master password. */
    async restoreBackup(req: { file: string; recoveryCode?: string; password?: string; newPassword: string; onProgress?: (f: number) => void }) {
      await ready;
      const r = await sync.restoreBackup({ ...req, onProgress: alsoReport('restore', req.onProgress) });
      passwordProven();
      touch();
      await attachProxy();
      return r;
    },
    /**
     * Developer mode (README: "Developer mode"): a partial change of the settings, merged over the current ones and
     * validated (TypeError naming each problem). Resolves to the settings now in force.
     */
    async configureDeveloper(change: Partial<DevSettingsInput>): Promise<DevSettingsInput> {
      await developer.ready;
      return developer.configure({ ...developer.settings(), ...change });
    },
    /** The next ceremony ends with this error ('NotAllowedError', 'InvalidStateError', 'timeout'); null clears it. Developer mode only. */
    async simulateNextError(error: SimulatedError | null): Promise<void> {
      if (error !== null && !['NotAllowedError', 'InvalidStateError', 'timeout'].includes(error)) throw new TypeError(`simulateNextError: unknown error ${String(error)}`);
      if (error !== null && !developer.settings().enabled) throw new Error('simulateNextError: turn developer mode on first (configureDeveloper({ enabled: true })).');
      developer.setNextError(error ?? undefined);
    },
    /** Every recorded ceremony, decoded (developer mode records them); `tabId` or `origins` narrow the list. */
    async ceremonies(filter?: CeremonyFilter | null) {
      return developer.ceremonies(filter ?? {});
    },
    /** The newest recorded ceremony, decoded, or null. */
    async lastCeremony(filter?: CeremonyFilter | null) {
      return (await developer.ceremonies(filter ?? {})).at(-1) ?? null;
    },
    async clearCeremonies(): Promise<void> {
      developer.clear();
    },
    /** The vault (or the given ids) as a document in a format other managers read. Keys in the clear unless a password is given (Bitwarden). */
    async exportCredentials(req: ExportRequest): Promise<{ data: string; count: number; skipped: { rpId: string; userName: string; credentialId: string }[] }> {
      await ready;
      const file = await transfer.exportDocument(req);
      return { data: file.text, count: file.count, skipped: file.skipped };
    },
    /** Reads a document, and writes its new passkeys unless dryRun: { preview, result }. */
    async importCredentials(req: { format: FormatId; data: string; password?: string; dryRun?: boolean }) {
      await ready;
      return transfer.importNow(req);
    },
  };
  (globalThis as unknown as { passkeyVault: typeof automation }).passkeyVault = automation;
}
