// A vault for unit tests: fake-indexeddb storage of its own, the session key in memory, the fast KDF
// (fastKdf.ts), one ES256 passkey with distinctive names already added.
import { openDB } from 'idb';
import { idbVaultStorage } from '../../src/adapters/idb.ts';
import { createVault, type VaultDeps } from '../../src/vault/vault.ts';
import type { SessionKeyStore, VaultStorage } from '../../src/vault/storage.ts';
import { ALG } from '../../src/webauthn/cose.ts';
import { fastKdf } from './fastKdf.ts';
import { memorySession } from './memorySession.ts';

let n = 0;

/** A fresh, empty IndexedDB for a vault, and its name. */
export function freshStorage(): { name: string; storage: VaultStorage } {
  const name = `vault-test-${n++}`;
  return { name, storage: idbVaultStorage(name) };
}

/** The same browser after a restart: a new vault over the same storage and session store. */
export function reopen(deps: { storage: VaultStorage; session: SessionKeyStore } & Partial<VaultDeps>) {
  return createVault({ kdf: fastKdf, now: Date.now, ...deps });
}

export async function newVault() {
  const { name, storage } = freshStorage();
  const session = memorySession();
  const vault = createVault({ storage, session, kdf: fastKdf, now: () => 1_700_000_000_000, touchDelayMs: 0 });
  const { recoveryCode } = await vault.setup('correct horse');
  const key = await vault.store.generateKey(ALG.ES256);
  await vault.store.add({
    credentialId: 'Y3JlZC1pZC0x',
    rpId: 'distinctive-rp.example',
    userHandle: 'dXNlcg',
    userName: 'distinctive-user@example.com',
    userDisplayName: 'Distinctive User',
    alg: ALG.ES256,
    discoverable: true,
    backedUp: false,
    createdAt: 1,
    pkcs8: key.pkcs8,
    publicKeyCose: new Uint8Array([1, 2, 3]),
    prfSecret: new Uint8Array(32).fill(7),
  });
  return { name, storage, session, vault, recoveryCode, pkcs8: key.pkcs8 };
}

/** Deletes a stored record behind the vault's back (the vault itself only ever writes tombstones). */
export async function deleteStoredRecord(name: string, id: string): Promise<void> {
  const db = await openDB(name);
  await db.delete('records', id);
  db.close();
}
