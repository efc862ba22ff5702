// The vault's session-key port (storage.session in the extension) kept in memory, for tests: `value` shows
// what a restarted worker would find.
import type { SessionKeyStore } from '../../src/vault/vault.ts';

export function memorySession(): SessionKeyStore & { value?: Uint8Array } {
  const s: SessionKeyStore & { value?: Uint8Array } = {
    get: async () => s.value?.slice(),
    set: async (k) => void (s.value = k.slice()),
    clear: async () => void (s.value = undefined),
  };
  return s;
}
