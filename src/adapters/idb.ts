// IndexedDB adapter for the vault (idb). Two stores: "meta" (the wrapped vault key and KDF parameters)
// and "records" (sealed records: id, kind, iv, ct). Each call is one transaction.
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { RecordSyncState, SyncHead, VaultStorage } from '../vault/vault.ts';
import type { VaultMeta } from '../vault/keys.ts';
import type { StoredRecord } from '../vault/record.ts';
import type { KeyValueStore, StorageKey } from '../protocol/storage.ts';

interface KeyportDB extends DBSchema {
  meta: { key: string; value: unknown };
  /** Sealed records with their sync state (seq, dirty) in the clear beside the ciphertext. */
  records: { key: string; value: StoredRecord };
}

const opened = new Map<string, Promise<IDBPDatabase<KeyportDB>>>();
function openKeyport(name: string): Promise<IDBPDatabase<KeyportDB>> {
  let db = opened.get(name);
  if (!db) {
    db = openDB<KeyportDB>(name, 1, {
      upgrade(d) {
        d.createObjectStore('meta');
        d.createObjectStore('records', { keyPath: 'id' });
      },
    });
    opened.set(name, db);
  }
  return db;
}

/**
 * The background's own settings that lower security when changed (developer mode, the sync server, the
 * wrong-password count): in the extension's IndexedDB, which no content script can reach, unlike
 * storage.local. Kept in "meta" under "setting:<key>", beside the vault header.
 */
export function idbSettings(name = 'keyport'): KeyValueStore & { moved: { get(): Promise<boolean>; set(): Promise<void> } } {
  const key = (k: StorageKey<unknown>) => `setting:${k.name}`;
  return {
    get: async <T>(k: StorageKey<T>) => (await (await openKeyport(name)).get('meta', key(k))) as T | undefined,
    set: async <T>(k: StorageKey<T>, value: T) => void (await (await openKeyport(name)).put('meta', value, key(k))),
    remove: async (k: StorageKey<unknown>) => (await openKeyport(name)).delete('meta', key(k)),
    /** The marker of the one-time move out of storage.local (background.ts). */
    moved: {
      get: async () => (await (await openKeyport(name)).get('meta', 'setting:movedFromLocal')) === true,
      set: async () => void (await (await openKeyport(name)).put('meta', true, 'setting:movedFromLocal')),
    },
  };
}

export function idbVaultStorage(name = 'keyport'): VaultStorage {
  const open = () => openKeyport(name);
  return {
    getMeta: async () => (await open()).get('meta', 'vault'),
    putMeta: async (meta: VaultMeta) => void (await (await open()).put('meta', meta, 'vault')),
    listRecords: async () => (await open()).getAll('records'),
    getHead: async () => (await (await open()).get('meta', 'sync')) as SyncHead | undefined,
    async write({ records = [], states = [], head }) {
      const tx = (await open()).transaction(['records', 'meta'], 'readwrite');
      const store = tx.objectStore('records');
      // One transaction: if any write fails (quota, a closed database) none of them happened.
      // One put per record (a restore of 10,000 passkeys is 10,000 puts: npm run bench).
      const mark = async (st: RecordSyncState) => {
        const r = await store.get(st.id);
        if (r) await store.put({ ...r, seq: st.seq, dirty: st.dirty });
      };
      await Promise.all([...records.map((r) => store.put(r)), ...states.map(mark), ...(head ? [tx.objectStore('meta').put(head, 'sync')] : []), tx.done]);
    },
  };
}
