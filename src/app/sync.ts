// Passkeys follow the person (issue 3): the sync service wires the engine (src/sync) to the vault and to a
// transport (a Keyport sync server, or the browser's own storage.sync), schedules it, and holds the recovery
// flows: restore on a fresh browser, a new recovery code, an encrypted backup file. Everything the server or
// the file sees is sealed under the vault key (docs/design.md rule 5).
import * as v from 'valibot';
import { createSyncEngine, type SyncSummary, SyncTransportError, type Transport } from '../sync/engine.ts';
import { createSyncScheduler, type SchedulerState, type SchedulerTimer } from '../sync/scheduler.ts';
import { clearBrowserSync, createBrowserSyncTransport, type SyncArea } from '../sync/browserSync.ts';
import { type SyncItem, TamperedRecordError, openItem, sealItem } from '../sync/item.ts';
import { Blob as SealedBlob, RecordId } from '../sync/protocol.ts';
import { checkServerUrl, syncServer } from '../adapters/syncHttp.ts';
import { VaultMetaSchema, recoveryKeyBlob, recoveryWrapFromBlob, syncIdentityOf } from '../vault/keys.ts';
import { parseRecoveryCode } from '../crypto/recoveryCode.ts';
import { kdfParamsProblem } from '../crypto/kdf.ts';
import type { Vault } from '../vault/vault.ts';
import { newRecordId } from '../vault/record.ts';
import type { SyncStatus } from '../protocol/views.ts';
import { type KeyValueStore, STORAGE, type SyncConfig } from '../protocol/storage.ts';



/** The sync service's settings (IndexedDB in the extension). */
export type SyncStore = KeyValueStore;

export const BACKUP_FORMAT = 'keyport-backup';
const MAX_BACKUP_ITEMS = 100_000;

/** A backup file: the vault header (wrapped keys only) and every record sealed as on a sync server. */
const BackupFile = v.object({
  format: v.literal(BACKUP_FORMAT),
  version: v.literal(1),
  createdAt: v.number(),
  header: VaultMetaSchema,
  items: v.pipe(v.array(v.object({ id: RecordId, blob: SealedBlob })), v.maxLength(MAX_BACKUP_ITEMS)),
});

export class SyncError extends Error {
  override name = 'SyncError';
  /** The server wants an invite to create this vault (or did not take the one given): ask the person for one. */
  needsInvite = false;
}

export function createSyncService(deps: {
  vault: Vault;
  store: SyncStore;
  /** storage.sync, where the browser has it. */
  area?: SyncArea;
  fetch?: typeof fetch;
  timer: SchedulerTimer;
  now: () => number;
  /** After every sync that ran: the records may have changed (per-site control reads them again). */
  synced?: () => void;
}) {
  let config: SyncConfig | undefined;
  let lastBackupAt: number | undefined;
  let recoveryConfirmedAt: number | undefined;
  let pairedAt: number | undefined;
  let schedulerState: SchedulerState = { status: 'locked', failures: 0 };
  let lastSync: SyncStatus['lastSync'];
  const ready = (async () => {
    config = await deps.store.get(STORAGE.syncConfig);
    lastBackupAt = await deps.store.get(STORAGE.lastBackupAt);
    recoveryConfirmedAt = await deps.store.get(STORAGE.recoveryConfirmedAt);
    pairedAt = await deps.store.get(STORAGE.pairedAt);
  })();

  // BS (docs/design.md, Authenticator semantics): backed up while sync is on, or when a backup holds the passkey.
  deps.vault.setBackupPolicy((p) => config !== undefined || (lastBackupAt !== undefined && lastBackupAt >= (p.lastUsedAt ?? p.createdAt)));

  async function transport(): Promise<Transport> {
    await ready;
    if (!config) throw new SyncError('Sync is off: connect a sync server or turn on browser sync first.');
    if (config.transport === 'browser') {
      if (!deps.area) throw new SyncError("This browser has no sync storage for extensions.");
      return createBrowserSyncTransport(deps.area);
    }
    const identity = await deps.vault.syncIdentity();
    if (!identity) throw new SyncError('This vault was made before sync existed: show a new recovery code first (Settings, Recovery), then connect.');
    let replica = await deps.store.get(STORAGE.syncReplica);
    if (!v.is(RecordId, replica)) {
      replica = newRecordId();
      await deps.store.set(STORAGE.syncReplica, replica);
    }
    return syncServer(config.serverUrl, identity, deps.fetch, { replica });
  }

  async function run(): Promise<SyncSummary> {
    const engine = createSyncEngine({
      transport: await transport(),
      replica: deps.vault.replica,
      key: deps.vault.cryptoKey(),
      now: deps.now,
      // Each one is in the summary (tampered, unread), which the status shows until the next sync.
      report: (_: TamperedRecordError) => undefined,
    });
    const summary = await engine.sync();
    lastSync = { at: deps.now(), summary };
    deps.synced?.();
    return summary;
  }

  const scheduler = createSyncScheduler({ sync: run, timer: deps.timer, onState: (st) => void (schedulerState = st) });
  deps.vault.onChange(() => {
    if (config) scheduler.changed();
  });

  async function save(next: SyncConfig | undefined): Promise<void> {
    const leavingBrowserSync = config?.transport === 'browser' && next?.transport !== 'browser';
    if (next) await deps.store.set(STORAGE.syncConfig, next);
    else await deps.store.remove(STORAGE.syncConfig);
    config = next;
    // Browser sync turned off (or replaced by a server): Keyport's sealed records leave the browser's sync storage.
    if (leavingBrowserSync && deps.area) await clearBrowserSync(deps.area);
  }

  /** A recovery code checked before anything goes on the network: a typo is caught here (its checksum). */
  const identityOf = (recoveryCode: string) => {
    const entropy = parseRecoveryCode(recoveryCode);
    const identity = syncIdentityOf(entropy);
    entropy.fill(0);
    return identity;
  };

  return {
    ready,
    /** Turns sync on (a server, or the browser's own sync storage) or off (null), then syncs once. */
    async configure(next: { serverUrl: string; invite?: string } | { browserSync: true } | null): Promise<SyncSummary | undefined> {
      await ready;
      if (next === null) {
        await save(undefined);
        scheduler.locked();
        return undefined;
      }
      if (!deps.vault.isUnlocked()) throw new SyncError('Unlock Keyport first.');
      if ('browserSync' in next) {
        await save({ transport: 'browser' });
      } else {
        const serverUrl = checkServerUrl(next.serverUrl);
        const identity = await deps.vault.syncIdentity();
        if (!identity) throw new SyncError('This vault was made before sync existed: show a new recovery code first (Settings, Recovery), then connect.');
        const server = syncServer(serverUrl, identity, deps.fetch);
        await server.health();
        try {
          await server.create(recoveryKeyBlob((await deps.vault.header())!), next.invite?.trim() || undefined);
        } catch (e) {
          if (!(e instanceof SyncTransportError && e.kind === 'invite')) throw e;
          const asked = new SyncError(e.message, { cause: e });
          asked.needsInvite = true;
          throw asked;
        }
        await save({ transport: 'server', serverUrl });
      }
      const summary = await scheduler.syncNow();
      scheduler.unlocked();
      return summary;
    },
    syncNow: () => scheduler.syncNow(),
    unlocked: () => config && scheduler.unlocked(),
    locked: () => scheduler.locked(),
    backedUp: () => config !== undefined,
    async status(): Promise<SyncStatus> {
      await ready;
      return {
        transport: config?.transport ?? 'off',
        ...(config?.transport === 'server' ? { serverUrl: config.serverUrl } : {}),
        state: schedulerState.status,
        ...(schedulerState.error ? { error: schedulerState.error.message } : {}),
        ...(lastSync ? { lastSync } : {}),
        tampered: lastSync?.summary.tampered ?? [],
        unread: lastSync?.summary.unread ?? [],
        ...(lastBackupAt !== undefined ? { lastBackupAt } : {}),
        ...(recoveryConfirmedAt !== undefined ? { recoveryConfirmedAt } : {}),
        ...(pairedAt !== undefined ? { pairedAt } : {}),
      };
    },

    /** The backup-health facts kept beside the sync state: the recovery code typed back, a browser paired. */
    async recoveryConfirmed(): Promise<void> {
      await ready;
      recoveryConfirmedAt = deps.now();
      await deps.store.set(STORAGE.recoveryConfirmedAt, recoveryConfirmedAt);
    },
    async paired(): Promise<void> {
      await ready;
      pairedAt = deps.now();
      await deps.store.set(STORAGE.pairedAt, pairedAt);
    },

    /** A fresh browser: the whole vault from a sync server, with only its address and the recovery code. */
    async restore(req: { serverUrl: string; recoveryCode: string; newPassword: string; onProgress?: (f: number) => void }): Promise<SyncSummary> {
      await ready;
      const serverUrl = checkServerUrl(req.serverUrl);
      const identity = identityOf(req.recoveryCode);
      let key: string;
      try {
        key = await syncServer(serverUrl, identity, deps.fetch).key();
      } catch (e) {
        if (e instanceof SyncTransportError && (e.kind === 'unauthorized' || e.kind === 'gone')) {
          throw new SyncError('This sync server holds no vault for this recovery code. Check the code (it must be the newest one) and the server address.');
        }
        throw e;
      }
      await deps.vault.restore(req.recoveryCode, recoveryWrapFromBlob(key), req.newPassword, req.onProgress);
      await save({ transport: 'server', serverUrl });
      const summary = await scheduler.syncNow();
      scheduler.unlocked();
      return summary;
    },

    /** A vault that arrived from the server by other means (pairing): sync with that server from now on, and pull it all. */
    async adoptServer(serverUrl: string): Promise<SyncSummary> {
      await ready;
      await save({ transport: 'server', serverUrl: checkServerUrl(serverUrl) });
      const summary = await scheduler.syncNow();
      scheduler.unlocked();
      return summary;
    },

    /** A new recovery code; the old one stops working here and on the server. Shown once. */
    async rotateRecoveryCode(): Promise<{ recoveryCode: string }> {
      await ready;
      const rotation = await deps.vault.prepareRecoveryRotation();
      if (config?.transport === 'server') {
        const current = await deps.vault.syncIdentity();
        const server = current ? syncServer(config.serverUrl, current, deps.fetch) : undefined;
        // The vault moves on the server first; only then does the new code replace the old one here.
        if (server) await server.rotate(rotation.identity, rotation.keyBlob);
        else await syncServer(config.serverUrl, rotation.identity, deps.fetch).create(rotation.keyBlob);
      }
      await rotation.commit();
      // Not yet written down: the health panel says so until the person types the new code back.
      recoveryConfirmedAt = undefined;
      await deps.store.remove(STORAGE.recoveryConfirmedAt);
      return { recoveryCode: rotation.recoveryCode };
    },

    /** An encrypted backup file: the recovery code (or the master password) opens it; nothing in it is readable without one. */
    async exportBackup(): Promise<string> {
      await ready;
      const header = await deps.vault.header();
      if (!header) throw new SyncError('Keyport is not set up yet.');
      const key = deps.vault.cryptoKey();
      const items = await Promise.all(deps.vault.items().map(async ({ item }) => ({ id: item.id, blob: await sealItem(key, item) })));
      const at = deps.now();
      const file = JSON.stringify({ format: BACKUP_FORMAT, version: 1, createdAt: at, header, items });
      lastBackupAt = at;
      await deps.store.set(STORAGE.lastBackupAt, at);
      return file;
    },

    /** A fresh browser from a backup file and its recovery code (or the master password it was made with). */
    async restoreBackup(req: { file: string; recoveryCode?: string; password?: string; newPassword: string; onProgress?: (f: number) => void }): Promise<{ restored: number; damaged: string[] }> {
      let parsed: v.InferOutput<typeof BackupFile>;
      try {
        parsed = v.parse(BackupFile, JSON.parse(req.file));
      } catch (e) {
        throw new SyncError(`This is not a Keyport backup file, or it is damaged (${(e as Error).message}). Nothing was changed.`);
      }
      // Bounded as an import's are, before any derivation: the new password is derived with the file's
      // parameters, and the file is not to be trusted (issue 13, "Bad input").
      const kdfProblem = kdfParamsProblem(parsed.header.kdf);
      if (kdfProblem) throw new SyncError(`This backup file asks for key-derivation settings Keyport does not accept (${kdfProblem}). Nothing was changed.`);
      const secret = req.recoveryCode !== undefined ? { recoveryCode: req.recoveryCode } : req.password !== undefined ? { password: req.password } : undefined;
      if (!secret) throw new SyncError('Give the recovery code (or the master password the backup was made with).');
      if (req.recoveryCode !== undefined) identityOf(req.recoveryCode); // a typo is reported before any work
      await deps.vault.restoreFromHeader(parsed.header, secret, req.newPassword, req.onProgress);
      const key = deps.vault.cryptoKey();
      const damaged: string[] = [];
      const items: SyncItem[] = [];
      for (const { id, blob } of parsed.items) {
        try {
          items.push(await openItem(key, id, blob));
        } catch {
          damaged.push(id);
        }
      }
      await deps.vault.replica.commit({ upserts: items.map((item) => ({ item, seq: 0, dirty: true, expect: null })), synced: [] });
      return { restored: items.filter((i) => !i.deleted).length, damaged };
    },
  };
}

export type SyncService = ReturnType<typeof createSyncService>;
