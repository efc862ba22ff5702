// IndexedDB adapter for the vault (idb). Two stores: "meta" (the wrapped vault key and KDF parameters)
// and "records" (sealed records: id, kind, iv, ct). Each call is one transaction.
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { RecordSyncState, SyncHead, VaultStorage } from '../vault/vault.ts';
import type { VaultMeta } from '../vault/keys.ts';
import type { StoredRecord } from '../vault/record.ts';

interface KeyportDB extends DBSchema {
  meta: { key: string; value: unknown };
  records: { key: string; value: StoredRecord };
  /** Each record's sync state (seq, dirty); no secret, beside the sealed record. */
  sync: { key: string; value: RecordSyncState };
}

export function idbVaultStorage(name = 'keyport'): VaultStorage {
  let db: Promise<IDBPDatabase<KeyportDB>> | undefined;
  const open = () =>
    (db ??= openDB<KeyportDB>(name, 2, {
      upgrade(d, oldVersion) {
        if (oldVersion < 1) {
          d.createObjectStore('meta');
          d.createObjectStore('records', { keyPath: 'id' });
        }
        if (oldVersion < 2) d.createObjectStore('sync', { keyPath: 'id' });
      },
    }));
  return {
    getMeta: async () => (await open()).get('meta', 'vault'),
    putMeta: async (meta: VaultMeta) => void (await (await open()).put('meta', meta, 'vault')),
    listRecords: async () => (await open()).getAll('records'),
    putRecord: async (r) => void (await (await open()).put('records', r)),
    listStates: async () => (await open()).getAll('sync'),
    getHead: async () => (await (await open()).get('meta', 'sync')) as SyncHead | undefined,
    async write({ records = [], states = [], head }) {
      const tx = (await open()).transaction(['records', 'sync', 'meta'], 'readwrite');
      // One transaction: if any write fails (quota, a closed database) none of them happened.
      await Promise.all([
        ...records.map((r) => tx.objectStore('records').put(r)),
        ...states.map((st) => tx.objectStore('sync').put(st)),
        ...(head ? [tx.objectStore('meta').put(head, 'sync')] : []),
        tx.done,
      ]);
    },
    async deleteRecord(id) {
      const tx = (await open()).transaction(['records', 'sync'], 'readwrite');
      await Promise.all([tx.objectStore('records').delete(id), tx.objectStore('sync').delete(id), tx.done]);
    },
  };
}
