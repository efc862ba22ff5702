// Passkeys in and out of the vault (issue 5): a file becomes a preview first, and only the person's
// confirmation writes it, in one transaction. Everything here runs in the background: the options page
// sends a file's text in and receives metadata back, never a private key (docs/design.md rule 3).
import { canExport, parseDocument, writeDocument } from '../formats/index.ts';
import { type FormatId, FormatError, type PortablePasskey, formatLimit } from '../formats/types.ts';
import { encode as b64u } from '../webauthn/base64url.ts';
import type { ImportPlan, Vault } from '../vault/vault.ts';
import type { ImportPreview, PreviewRow } from '../protocol/views.ts';



export interface ExportRequest {
  format: FormatId;
  /** A password encrypts the export (Bitwarden's password-protected JSON); without one the keys are in the clear. */
  password?: string;
  /** Credential ids to export; all when absent. */
  ids?: string[];
}

export interface ExportedFile {
  text: string;
  count: number;
  /** Passkeys the format cannot carry (Bitwarden: P-256 keys only), left out and named. */
  skipped: PreviewRow[];
  filename: string;
  encrypted: boolean;
}

export const PREVIEW_TTL_MS = 10 * 60_000;

const row = (p: PortablePasskey): PreviewRow => ({ rpId: p.rpId, userName: p.userName, credentialId: b64u(p.credentialId) });

/** What a person sees when a whole file is refused: the format's own sentence, or a plain one. */
function reason(e: unknown): string {
  if (e instanceof FormatError) return e.message;
  return `The file could not be read: ${(e as Error)?.message ?? String(e)}`;
}

export class TransferError extends Error {
  override name = 'TransferError';
}

export function createTransferService(deps: { vault: Vault; backedUp: () => boolean; now: () => number }) {
  const pending = new Map<string, { plan: ImportPlan; at: number; format: FormatId; preserved: unknown }>();

  function forget(): void {
    for (const [id, p] of pending) if (deps.now() - p.at > PREVIEW_TTL_MS) pending.delete(id);
  }

  async function preview(req: { format: FormatId; data: string; password?: string }): Promise<ImportPreview> {
    let parsed;
    try {
      parsed = await parseDocument(req.format, req.data, { password: req.password });
    } catch (e) {
      throw new TransferError(reason(e));
    }
    const plan = deps.vault.planImport(parsed.passkeys);
    const invalid = [
      ...parsed.invalid,
      ...plan.conflicts.map((p) => ({ where: `${p.rpId} (${p.userName || 'no user name'})`, reason: 'A passkey for another site here already uses this credential id; it was left out.' })),
    ];
    forget();
    const id = crypto.randomUUID();
    pending.set(id, { plan, at: deps.now(), format: req.format, preserved: parsed.preserved });
    return { id, format: req.format, add: plan.add.map(row), duplicates: plan.duplicates.map(row), invalid };
  }

  async function commit(id: string): Promise<{ added: number }> {
    forget();
    const p = pending.get(id);
    if (!p) throw new TransferError('This import preview has expired. Choose the file again.');
    pending.delete(id);
    // Planned against the vault as it was; anything added meanwhile is skipped, never written twice.
    const added = await deps.vault.importPasskeys(deps.vault.planImport(p.plan.add), { backedUp: deps.backedUp() });
    // The file's other items and credentials, kept for an export in the same format (CXF: "keep what you do not use").
    if (p.preserved !== undefined) await deps.vault.carry(p.format, p.preserved);
    return { added: added.length };
  }

  return {
    preview,
    commit,
    cancel: (id: string) => void pending.delete(id),
    /** The automation API: preview and write in one call (dryRun: the preview only). */
    async importNow(req: { format: FormatId; data: string; password?: string; dryRun?: boolean }) {
      const p = await preview(req);
      if (req.dryRun) {
        pending.delete(p.id);
        return { preview: p, result: { added: 0 } };
      }
      return { preview: p, result: await commit(p.id) };
    },
    async exportDocument(req: ExportRequest): Promise<ExportedFile> {
      const all = deps.vault.exportPasskeys(req.ids);
      if (req.password !== undefined && req.format !== 'bitwarden') {
        throw new TransferError('Only the Bitwarden format can be password-protected; choose it, or export without a password.');
      }
      const passkeys = all.filter((p) => canExport(req.format, p));
      const skipped = all.filter((p) => !canExport(req.format, p)).map(row);
      try {
        if (passkeys.length === 0) throw new TransferError(all.length ? `None of these passkeys fits this format: ${formatLimit(req.format)}` : 'There are no passkeys to export.');
        const preserved = deps.vault.carried(req.format);
        const text = await writeDocument(req.format, passkeys, { now: deps.now(), password: req.password || undefined, ...(preserved !== undefined ? { preserved } : {}) });
        const date = new Date(deps.now()).toISOString().slice(0, 10);
        const ext = req.format === 'keepassxc' ? (passkeys.length === 1 ? 'passkey' : 'xml') : 'json';
        return { text, count: passkeys.length, skipped, filename: `keyport-${req.format}-${date}.${ext}`, encrypted: !!req.password };
      } finally {
        for (const p of all) {
          p.pkcs8.fill(0);
          p.prfSecret?.fill(0);
        }
      }
    },
  };
}
