// What the vault is given to keep things in: its storage (IndexedDB in the extension, fake-indexeddb in tests:
// src/adapters/idb.ts) and the place the unlocked key waits across a service-worker restart (storage.session:
// src/adapters/session.ts).
import type { VaultMeta } from './keys.ts';
import type { StoredRecord } from './record.ts';

/** A record's place in sync: the server seq its version is based on (0: never pushed) and whether it changed since. */
export interface RecordSyncState {
  id: string;
  seq: number;
  dirty: boolean;
}

/** The vault's sync position: the pull cursor, and this browser's clock node id. */
export interface SyncHead {
  cursor: number;
  node: string;
}

/** One transaction's writes (rule 4: all of them or none). */
export interface VaultWrite {
  /** Whole records, their sync state included. */
  records?: StoredRecord[];
  /** New sync states for records already stored (a push accepted): the ciphertext is left as it is. */
  states?: RecordSyncState[];
  head?: SyncHead;
}

export interface VaultStorage {
  getMeta(): Promise<unknown>;
  putMeta(meta: VaultMeta): Promise<void>;
  listRecords(): Promise<StoredRecord[]>;
  getHead(): Promise<SyncHead | undefined>;
  write(w: VaultWrite): Promise<void>;
}

/** Where the unlocked vault key waits across a service-worker restart (storage.session); cleared on lock. */
export interface SessionKeyStore {
  get(): Promise<Uint8Array | undefined>;
  set(key: Uint8Array): Promise<void>;
  clear(): Promise<void>;
}
