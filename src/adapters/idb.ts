// IndexedDB adapter for the vault (idb). Two stores: "meta" (the wrapped vault key and KDF parameters)
// and "records" (sealed records: id, kind, iv, ct). Each call is one transaction.
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { VaultStorage } from '../vault/vault.ts';
import type { VaultMeta } from '../vault/keys.ts';
import type { StoredRecord } from '../vault/record.ts';

interface KeyportDB extends DBSchema {
  meta: { key: string; value: unknown };
  records: { key: string; value: StoredRecord };
}

export function idbVaultStorage(name = 'keyport'): VaultStorage {
  let db: Promise<IDBPDatabase<KeyportDB>> | undefined;
  const open = () =>
    (db ??= openDB<KeyportDB>(name, 1, {
      upgrade(d) {
        d.createObjectStore('meta');
        d.createObjectStore('records', { keyPath: 'id' });
      },
    }));
  return {
    getMeta: async () => (await open()).get('meta', 'vault'),
    putMeta: async (meta: VaultMeta) => void (await (await open()).put('meta', meta, 'vault')),
    listRecords: async () => (await open()).getAll('records'),
    putRecord: async (r) => void (await (await open()).put('records', r)),
    async writeRecords(put, remove) {
      const tx = (await open()).transaction('records', 'readwrite');
      // One transaction: if any write fails (quota, a closed database) the whole import is rolled back.
      await Promise.all([...put.map((r) => tx.store.put(r)), ...remove.map((id) => tx.store.delete(id)), tx.done]);
    },
    deleteRecord: async (id) => (await open()).delete('records', id),
  };
}
