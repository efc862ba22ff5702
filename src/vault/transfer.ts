// Passkeys in and out of the vault: an import planned before anything is written and then written in one
// transaction (docs/design.md rule 4), an export the person asked for (keys included, so it stays in the
// background: rule 3), and what an imported file held besides passkeys, kept sealed on this browser so that an
// export in the same format writes it back.
import type { CredentialMeta } from '../webauthn/authenticator/model.ts';
import { encode as b64u, decode as fromB64u } from '../webauthn/base64url.ts';
import type { PortablePasskey } from '../formats/types.ts';
import { type Passkey, passkeyToData } from './record.ts';
import type { Records } from './replica.ts';

/** What an import would do, before anything is written: metadata only. */
export interface ImportPlan {
  add: PortablePasskey[];
  duplicates: PortablePasskey[];
  /** A credential id that another site's passkey here already uses: refused, never overwritten. */
  conflicts: PortablePasskey[];
}

export function createTransfer(deps: { records: Records; describe: (p: Passkey) => CredentialMeta; now: () => number }) {
  const { records } = deps;
  return {
    /** Sorts what a file holds into new passkeys, duplicates (same RP ID and credential id) and conflicts. */
    planImport(items: PortablePasskey[]): ImportPlan {
      records.assertOpen();
      const plan: ImportPlan = { add: [], duplicates: [], conflicts: [] };
      const seen = new Set<string>();
      for (const item of items) {
        const id = b64u(item.credentialId);
        const here = records.findEntry(id);
        if (here) (here.passkey.rpId === item.rpId ? plan.duplicates : plan.conflicts).push(item);
        else if (seen.has(id)) plan.duplicates.push(item);
        else {
          seen.add(id);
          plan.add.push(item);
        }
      }
      return plan;
    },
    /** Adds the plan's new passkeys in one transaction (rule 4): all of them, or none and an error. */
    async importPasskeys(plan: ImportPlan, opts: { backedUp: boolean }): Promise<CredentialMeta[]> {
      records.assertOpen();
      const fresh = plan.add
        .filter((p) => !records.findEntry(b64u(p.credentialId)))
        .map(
          (p): Passkey => ({
            credentialId: b64u(p.credentialId),
            rpId: p.rpId,
            userHandle: b64u(p.userHandle),
            userName: p.userName,
            userDisplayName: p.userDisplayName,
            alg: p.alg,
            discoverable: p.discoverable ?? true,
            backedUp: opts.backedUp,
            createdAt: p.createdAt ?? deps.now(),
            ...(p.lastUsedAt !== undefined ? { lastUsedAt: p.lastUsedAt } : {}),
            ...(p.signCount !== undefined ? { signCount: p.signCount } : {}),
            pkcs8: p.pkcs8.slice(),
            publicKeyCose: p.publicKeyCose.slice(),
            // A manager that did not carry the PRF secret: a new one (the site's PRF outputs change).
            prfSecret: p.prfSecret?.slice() ?? globalThis.crypto.getRandomValues(new Uint8Array(32)),
            ...(p.largeBlob ? { largeBlob: p.largeBlob.slice() } : {}),
            ...(p.credBlob ? { credBlob: p.credBlob.slice() } : {}),
          }),
        );
      await records.persist(fresh.map((p) => records.added('passkey', passkeyToData(p))));
      return fresh.map((p) => deps.describe(p));
    },
    /** Copies of passkeys with their keys, for an export the person asked for. Stays in the background (rule 3). */
    exportPasskeys(credentialIds?: readonly string[]): PortablePasskey[] {
      const chosen = credentialIds ? credentialIds.map((id) => records.entry(id)) : records.entries();
      return chosen.map(({ passkey: p }) => ({
        credentialId: fromB64u(p.credentialId),
        rpId: p.rpId,
        userHandle: fromB64u(p.userHandle),
        userName: p.userName,
        userDisplayName: p.userDisplayName,
        pkcs8: p.pkcs8.slice(),
        alg: p.alg,
        publicKeyCose: p.publicKeyCose.slice(),
        prfSecret: p.prfSecret.slice(),
        ...(p.largeBlob ? { largeBlob: p.largeBlob.slice() } : {}),
        ...(p.credBlob ? { credBlob: p.credBlob.slice() } : {}),
        createdAt: p.createdAt,
        ...(p.lastUsedAt !== undefined ? { lastUsedAt: p.lastUsedAt } : {}),
        ...(p.signCount !== undefined ? { signCount: p.signCount } : {}),
        discoverable: p.discoverable,
      }));
    },
    /**
     * What a file held besides passkeys (other items, other credential types), kept sealed like a passkey on this
     * browser, so that exporting in the same format writes it back. One record per imported file.
     */
    async carry(format: string, preserved: unknown): Promise<void> {
      const item = records.added('settings', { type: 'carried', format, at: deps.now(), preserved });
      // Kept on this browser only (never dirty, so never pushed): a whole file's other items can be far larger
      // than a sync record may be (storage.sync: 8 KB an item), and they are not passkeys.
      await records.persist([{ ...item, dirty: false }]);
    },
    /** The most recent file content carried for `format` (see carry), if any. */
    carried(format: string): unknown {
      let best: { at: number; preserved: unknown } | undefined;
      for (const { item } of records.items()) {
        const d = item.data as { type?: unknown; format?: unknown; at?: unknown; preserved?: unknown } | undefined;
        if (item.deleted || item.kind !== 'settings' || d?.type !== 'carried' || d.format !== format || typeof d.at !== 'number') continue;
        if (!best || d.at > best.at) best = { at: d.at, preserved: d.preserved };
      }
      return best?.preserved;
    },
  };
}
