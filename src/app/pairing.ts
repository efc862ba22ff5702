// Adding a browser without the recovery code (issue 3): the new browser shows a pairing code, the person types
// it on a browser that already holds the vault, both show the same 6-digit string, and the person approves on
// both. The sessions live here in the background (a popup closing must not lose the keys); the UI and the
// automation API only read the state and press the buttons. Key agreement and sealing: src/sync/pairing.ts.
import { type InitiatorPairing, type JoinerPairing, joinPairing, startPairing } from '../adapters/pairingHttp.ts';
import { syncServer } from '../adapters/syncHttp.ts';
import type { PairingPayload } from '../sync/pairing.ts';
import { recoveryWrapFromBlob } from '../vault/keys.ts';
import type { Vault } from '../vault/vault.ts';
import type { SyncService } from './sync.ts';
import type { PairingView } from '../protocol/views.ts';



export class PairingFlowError extends Error {
  override name = 'PairingFlowError';
}

export function createPairingService(deps: { vault: Vault; sync: SyncService; fetch?: typeof fetch; pollMs?: number; afterRestore: () => Promise<void> }) {
  let view: PairingView = { stage: 'idle' };
  let initiator: InitiatorPairing | undefined;
  let joiner: JoinerPairing | undefined;
  let payload: PairingPayload | undefined;
  let serverUrl: string | undefined;

  function reset(): void {
    initiator?.cancel();
    joiner?.cancel();
    payload?.vaultKey.fill(0);
    initiator = joiner = payload = serverUrl = undefined;
  }
  const fail = (e: unknown) => {
    if (view.stage === 'idle' || view.stage === 'done') return;
    view = { ...view, stage: 'failed', error: (e as Error)?.message ?? String(e) };
    reset();
  };

  return {
    view: (): PairingView => ({ ...view }),

    /** The new browser: a code to show; the string and the vault follow as the other browser joins and approves. */
    async start(url: string): Promise<PairingView> {
      if (await deps.vault.isSetUp()) throw new PairingFlowError('Keyport already holds a vault here; pairing is for a browser that has none yet.');
      reset();
      const p = await startPairing(url, { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.pollMs ? { pollMs: deps.pollMs } : {}) });
      initiator = p;
      serverUrl = url;
      view = { role: 'new', stage: 'waiting', code: p.code, expiresAt: p.expiresAt };
      void (async () => {
        const { sas } = await p.waitForJoiner();
        if (initiator !== p) return;
        view = { ...view, stage: 'compare', sas };
        const got = await p.waitForPayload();
        if (initiator !== p) return got.vaultKey.fill(0);
        payload = got;
        view = { ...view, stage: 'approved' };
      })().catch((e) => initiator === p && fail(e));
      return { ...view };
    },

    /** The new browser, after the person saw the same string and the other browser approved: the vault, under a new master password. */
    async finish(newPassword: string): Promise<void> {
      if (view.stage !== 'approved' || !payload || !serverUrl) throw new PairingFlowError('The other browser has not approved yet.');
      const got = payload;
      try {
        const identity = { vaultId: got.vaultId, token: got.token };
        const key = await syncServer(got.serverUrl, identity, deps.fetch).key();
        await deps.vault.restoreFromKey(got.vaultKey, recoveryWrapFromBlob(key), identity, newPassword);
        await deps.sync.adoptServer(got.serverUrl);
        await deps.afterRestore();
        view = { ...view, stage: 'done' };
      } catch (e) {
        fail(e);
        throw e;
      } finally {
        got.vaultKey.fill(0);
        payload = undefined;
      }
    },

    /** The browser that holds the vault: joins with the code the person typed; resolves to the string to compare. */
    async join(code: string): Promise<PairingView> {
      const status = await deps.sync.status();
      if (!deps.vault.isUnlocked()) throw new PairingFlowError('Unlock Keyport first.');
      if (status.transport !== 'server' || !status.serverUrl) throw new PairingFlowError('Pairing goes through your Keyport sync server: connect one first (Sync & recovery).');
      reset();
      const j = await joinPairing(status.serverUrl, code, { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.pollMs ? { pollMs: deps.pollMs } : {}) });
      joiner = j;
      serverUrl = status.serverUrl;
      view = { role: 'existing', stage: 'compare', code: j.code, sas: j.sas };
      return { ...view };
    },

    /** The browser that holds the vault, once the person saw the same string on both screens: sends the vault, sealed. */
    async approve(): Promise<void> {
      const j = joiner;
      if (!j || view.stage !== 'compare' || !serverUrl) throw new PairingFlowError('There is no pairing to approve.');
      const identity = await deps.vault.syncIdentity();
      if (!identity) throw new PairingFlowError('This vault was made before sync existed: show a new recovery code first.');
      const vaultKey = deps.vault.rawKeyCopy();
      try {
        await j.approve({ ...identity, vaultKey, serverUrl });
        view = { ...view, stage: 'done' };
        joiner = undefined;
      } catch (e) {
        fail(e);
        throw e;
      } finally {
        vaultKey.fill(0);
      }
    },

    cancel(): void {
      reset();
      view = { stage: 'idle' };
    },
  };
}

export type PairingService = ReturnType<typeof createPairingService>;
