// The automation API (README: "Automation API"), and its test-facing half: passkeys handed in by test
// code in the shape of Chromium's virtual authenticator (WebAuthn.addCredential: base64 ids and a PKCS#8
// private key), validated like any other input (docs/design.md rule 6) and stored like an import.
import * as v from 'valibot';
import browser from 'webextension-polyfill';
import { sessionGet, sessionSet } from '../adapters/session.ts';
import { progressReporter, alsoReport } from './progress.ts';
import type { createAutofill } from './autofill.ts';
import type { createTransferService, ExportRequest } from './transfer.ts';
import type { CeremonyFilter, DeveloperMode } from './developer.ts';
import type { createPairingService } from './pairing.ts';
import type { SyncService } from './sync.ts';
import type { Session } from './session.ts';
import { STORAGE } from '../protocol/storage.ts';
import type { AutomationSettings } from './ceremonies.ts';
import type { StatusView } from '../protocol/views.ts';
import type { DevSettingsInput, SimulatedError } from '../devtools/settings.ts';
import type { FormatId } from '../formats/types.ts';
import { encode as encodeCbor } from '../webauthn/cbor.ts';
import { encodeCoseKey } from '../webauthn/cose.ts';
import { decodeAnyBase64, encode as b64u } from '../webauthn/base64url.ts';
import { inspectPrivateKey } from '../formats/keys.ts';
import type { PortablePasskey } from '../formats/types.ts';
import type { Vault } from '../vault/vault.ts';

const Base64 = (what: string, max: number) =>
  v.pipe(
    v.string(`${what} must be a base64 string.`),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        const bytes = decodeAnyBase64(dataset.value);
        if (bytes.length > max) {
          addIssue({ message: `${what} is ${bytes.length} bytes; at most ${max} are allowed.` });
          return NEVER;
        }
        return bytes;
      } catch {
        addIssue({ message: `${what} is not valid base64.` });
        return NEVER;
      }
    }),
  );

export const TestCredential = v.object({
  credentialId: v.pipe(Base64('credentialId', 1023), v.check((b) => b.length > 0, 'credentialId is empty.')),
  rpId: v.pipe(v.string('rpId must be a string.'), v.regex(/^[a-z0-9.-]{1,253}$/i, 'rpId must be a domain name.')),
  privateKey: Base64('privateKey', 4096),
  userHandle: v.optional(Base64('userHandle', 64)),
  userName: v.optional(v.pipe(v.string(), v.maxLength(1024)), ''),
  userDisplayName: v.optional(v.pipe(v.string(), v.maxLength(1024)), ''),
  signCount: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff))),
  isResidentCredential: v.optional(v.boolean(), true),
});
export type TestCredentialInput = v.InferInput<typeof TestCredential>;

/** Adds a passkey given by test code; the same checks as an import (key, curve, duplicates). Returns its id. */
export async function addTestCredential(vault: Vault, input: unknown, backedUp: boolean): Promise<string> {
  const r = v.safeParse(TestCredential, input);
  if (!r.success) throw new TypeError(`addCredential: ${r.issues.map((i) => i.message).join(' ')}`);
  const c = r.output;
  const { alg, publicKey } = await inspectPrivateKey(c.privateKey);
  const passkey: PortablePasskey = {
    credentialId: c.credentialId,
    rpId: c.rpId.toLowerCase(),
    userHandle: c.userHandle ?? new Uint8Array(),
    userName: c.userName,
    userDisplayName: c.userDisplayName,
    pkcs8: c.privateKey,
    alg,
    publicKeyCose: encodeCbor(encodeCoseKey(publicKey)),
    signCount: c.signCount,
    discoverable: c.isResidentCredential,
  };
  const plan = vault.planImport([passkey]);
  if (plan.add.length === 0) throw new Error(`addCredential: a passkey with credential id ${b64u(c.credentialId)} is already in the vault.`);
  await vault.importPasskeys(plan, { backedUp });
  c.privateKey.fill(0);
  return b64u(c.credentialId);
}

/** What the automation API drives: the background's services, wired by the composition root. */
export interface AutomationDeps {
  ready: () => Promise<void>;
  vault: Vault;
  sync: SyncService;
  session: Session;
  /** A vault was made or restored here and is open: the password is proven, and the proxy door opens. */
  vaultOpened: () => Promise<void>;
  autofill: ReturnType<typeof createAutofill>;
  developer: DeveloperMode;
  transfer: ReturnType<typeof createTransferService>;
  pairing: ReturnType<typeof createPairingService>;
  status: () => Promise<StatusView>;
  settings: ReturnType<typeof createAutomationSettings>;
}

/** The automation settings (auto-approve, the UV flag under it), kept in storage.session: gone when the browser closes. */
export function createAutomationSettings() {
  let settings: AutomationSettings = { autoApprove: false, userVerified: true };
  return {
    /** After a restarted service worker: the settings from storage.session. */
    async load(): Promise<void> {
      settings = await sessionGet(STORAGE.automation, settings);
    },
    get: () => settings,
    async set(change: Partial<AutomationSettings>): Promise<AutomationSettings> {
      if (change.autoApprove !== undefined) settings = { ...settings, autoApprove: Boolean(change.autoApprove) };
      if (change.userVerified !== undefined) settings = { ...settings, userVerified: Boolean(change.userVerified) };
      await sessionSet(STORAGE.automation, settings);
      return settings;
    },
  };
}

/**
 * The automation API (README: "Automation API"), `globalThis.passkeyVault` in the background context only:
 * a page, a content script or an extension page cannot reach it.
 */
export function createAutomationApi(deps: AutomationDeps) {
  const { vault, sync, session, autofill, developer, transfer, pairing } = deps;
  const api = {
    async setup({ password }: { password: string }): Promise<{ recoveryCode: string }> {
      await deps.ready();
      const r = await vault.setup(password, { onProgress: progressReporter('setup') });
      await deps.vaultOpened();
      return r;
    },
    async unlock(password: string): Promise<void> {
      await deps.ready();
      await session.unlock(password);
    },
    async lock(): Promise<void> {
      await session.lock();
    },
    async configure(s: Partial<AutomationSettings> & { autoLockMinutes?: number }): Promise<AutomationSettings> {
      await deps.ready();
      const settings = await deps.settings.set(s);
      if (s.autoLockMinutes !== undefined) await browser.storage.local.set({ [STORAGE.autoLockMinutes.name]: Math.max(1, Number(s.autoLockMinutes)) });
      return settings;
    },
    /** Metadata of every passkey; `includePrivateKeys: true` adds each PKCS#8 key (base64url), for a developer who asks on purpose. */
    async getCredentials(opts: { includePrivateKeys?: boolean } = {}) {
      await deps.ready();
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
        // Hidden by the site's signal (kept 30 days, restorable from the popup): never offered at sign-in.
        ...(c.hiddenBySite ? { hiddenBySite: { at: c.hiddenBySite.at, origin: c.hiddenBySite.origin } } : {}),
        ...(keys ? { privateKey: keys.get(c.credentialId) } : {}),
      }));
    },
    /** A passkey made elsewhere (Chromium's WebAuthn.addCredential shape: base64 credentialId, rpId, PKCS#8 privateKey, userHandle, signCount). */
    async addCredential(credential: TestCredentialInput): Promise<string> {
      await deps.ready();
      return addTestCredential(vault, credential, false);
    },
    async removeCredential(id: string): Promise<boolean> {
      await deps.ready();
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
      await deps.ready();
      return vault.clear();
    },
    status: deps.status,
    /** Turns sync on: `{ serverUrl, invite? }` (a Keyport sync server; https unless on localhost; an invite when it asks for one), `{ browserSync: true }`, or null for off. Syncs once. */
    async configureSync(config: { serverUrl: string; invite?: string } | { browserSync: true } | null) {
      await deps.ready();
      return sync.configure(config);
    },
    /** Syncs now; resolves to { pulled, pushed, conflicts, tampered, bytesUp, bytesDown, durationMs }. */
    async syncNow() {
      await deps.ready();
      return sync.syncNow();
    },
    syncStatus: () => sync.status(),
    /** A fresh browser: the whole vault from a sync server with its recovery code, under a new master password. */
    /** `onProgress` (optional) hears Argon2id's progress too, as the screens do. */
    async restore(req: { serverUrl: string; recoveryCode: string; newPassword: string; onProgress?: (f: number) => void }) {
      await deps.ready();
      const summary = await sync.restore({ ...req, onProgress: alsoReport('restore', req.onProgress) });
      await deps.vaultOpened();
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
      await deps.ready();
      return sync.rotateRecoveryCode();
    },
    /** A forgotten master password: the recovery code opens the vault and a new password replaces the old one. */
    async resetPassword({ recoveryCode, newPassword }: { recoveryCode: string; newPassword: string }): Promise<void> {
      await deps.ready();
      await vault.resetPassword(recoveryCode, newPassword, progressReporter('password'));
      session.passwordProven();
    },
    /** An encrypted backup file (JSON text) that the recovery code or the master password opens. */
    async exportBackup(): Promise<string> {
      await deps.ready();
      return sync.exportBackup();
    },
    /** A fresh browser from a backup file: `recoveryCode` (or `password`, the master password it was made with) and a new master password. */
    async restoreBackup(req: { file: string; recoveryCode?: string; password?: string; newPassword: string; onProgress?: (f: number) => void }) {
      await deps.ready();
      const r = await sync.restoreBackup({ ...req, onProgress: alsoReport('restore', req.onProgress) });
      await deps.vaultOpened();
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
      await deps.ready();
      const file = await transfer.exportDocument(req);
      return { data: file.text, count: file.count, skipped: file.skipped };
    },
    /** Reads a document, and writes its new passkeys unless dryRun: { preview, result }. */
    async importCredentials(req: { format: FormatId; data: string; password?: string; dryRun?: boolean }) {
      await deps.ready();
      return transfer.importNow(req);
    },
  };
  return api;
}

export type AutomationApi = ReturnType<typeof createAutomationApi>;
