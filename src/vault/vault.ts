// The vault: locked or unlocked, and while unlocked the only holder of decrypted passkeys
// (docs/design.md rule 3: private keys exist unencrypted only in the background's memory). This file only
// composes the four parts, each the owner of its own state:
//   keySession.ts   the vault key: setup, unlock, resume, lock, restores, new password, new recovery code
//   replica.ts      the records as sync sees them (src/sync/engine.ts Replica): every write one transaction
//   passkeyStore.ts the passkeys: the authenticator's CredentialStore, the list, rename, remove and undo, the
//                   sites' signals (hidden by the site, restore, purge after 30 days)
//   sitePrefs.ts    the sites where Keyport steps aside, and the global pause (synced settings records)
//   transfer.ts     import planning and writing, export, what imported files held besides passkeys
// Storage, the session key store and the password KDF are injected (storage.ts, keys.ts Kdf).
import { createKeySession } from './keySession.ts';
import type { Kdf } from './keys.ts';
import { createPasskeyStore } from './passkeyStore.ts';
import { createReplica } from './replica.ts';
import type { SessionKeyStore, VaultStorage } from './storage.ts';
import { createTransfer } from './transfer.ts';
import { createSitePrefs } from './sitePrefs.ts';

// The ports and the import plan, where the app and the adapters import them from.
export type { RecordSyncState, SessionKeyStore, SyncHead, VaultStorage } from './storage.ts';
export type { ImportPlan } from './transfer.ts';
export type { PasskeyMeta } from './passkeyStore.ts';
export type { SitePrefs } from './sitePrefs.ts';

export interface VaultDeps {
  storage: VaultStorage;
  session: SessionKeyStore;
  /** The master password's KDF: argon2id (keys.ts) in the extension. */
  kdf: Kdf;
  now: () => number;
  /** How long a sign-in waits before it is written (coalescing a burst); 1 s by default. */
  touchDelayMs?: number;
}

export type Vault = ReturnType<typeof createVault>;

export function createVault(deps: VaultDeps) {
  const records = createReplica(deps);
  const passkeys = createPasskeyStore({ records, now: deps.now, touchDelayMs: deps.touchDelayMs });
  const transfer = createTransfer({ records, describe: passkeys.describe, now: deps.now });
  const sites = createSitePrefs({ records, now: deps.now });
  const keys = createKeySession({ ...deps, open: (key) => records.open(key) });

  return {
    store: passkeys.store,
    isSetUp: keys.isSetUp,
    isUnlocked: keys.isUnlocked,
    setup: keys.setup,
    unlock: keys.unlock,
    unlockWithRecoveryCode: keys.unlockWithRecoveryCode,
    verifyPassword: keys.verifyPassword,
    lastDerivation: keys.lastDerivation,
    resumeSession: keys.resumeSession,
    async lock(): Promise<void> {
      await passkeys.flush(); // last-used dates still waiting, written while the key is here
      passkeys.forget();
      records.close();
      await keys.lock();
    },
    syncIdentity: keys.syncIdentity,
    header: keys.header,
    changePassword: keys.changePassword,
    resetPassword: keys.resetPassword,
    prepareRecoveryRotation: keys.prepareRecoveryRotation,
    restore: keys.restore,
    restoreFromHeader: keys.restoreFromHeader,
    rawKeyCopy: keys.rawKeyCopy,
    restoreFromKey: keys.restoreFromKey,
    cryptoKey: keys.cryptoKey,
    all: passkeys.all,
    publicKeyCose: passkeys.publicKeyCose,
    setBackupPolicy: passkeys.setBackupPolicy,
    rename: passkeys.rename,
    remove: passkeys.remove,
    undoRemove: passkeys.undoRemove,
    signalUnknown: passkeys.signalUnknown,
    signalAllAccepted: passkeys.signalAllAccepted,
    signalUserDetails: passkeys.signalUserDetails,
    restoreHidden: passkeys.restoreHidden,
    purgeHidden: passkeys.purgeHidden,
    clear: passkeys.clear,
    planImport: transfer.planImport,
    importPasskeys: transfer.importPasskeys,
    exportPasskeys: transfer.exportPasskeys,
    carry: transfer.carry,
    carried: transfer.carried,
    sitePrefs: sites.current,
    excludeSite: sites.exclude,
    includeSite: sites.include,
    pause: sites.pause,
    upgradeSites: sites.upgradeSites,
    allowUpgrades: sites.allowUpgrades,
    stopUpgrades: sites.stopUpgrades,
    damaged: records.damaged,
    onChange: records.onChange,
    replica: records.replica,
    items: records.items,
  };
}
