// The two entry points the app uses to read and write other managers' files. Limits against hostile files
// are applied here before any format looks at the data.
import type { BitwardenKdf } from './bitwardenCrypto.ts';
import { canWriteBitwarden, parseBitwarden, writeBitwarden } from './bitwarden.ts';
import { parseCxf, writeCxf } from './cxf.ts';
import { LIMITS } from './entry.ts';
import { parseKeepassxc, writeKeepassxc } from './keepassxc.ts';
import { type FormatId, FormatError, type ParsedDocument, type PortablePasskey } from './types.ts';

export const FORMATS: readonly FormatId[] = ['cxf', 'bitwarden', 'keepassxc'];

/** Keyport's identity as a CXF exporter (CXF §3.1 exporterRpId, exporterDisplayName). */
export const KEYPORT_EXPORTER = { rpId: 'keyport.dev', displayName: 'Keyport' } as const;

export interface ParseOptions {
  /** The password of a password-protected Bitwarden export. */
  password?: string;
}

export interface WriteOptions {
  /** Milliseconds since the epoch: the export's timestamp and the date of anything new in it. */
  now: number;
  /** Bitwarden only: writes the password-protected form. */
  password?: string;
  /** The `preserved` of a ParsedDocument of the same format: its other items are written back. */
  preserved?: unknown;
  /** Bitwarden password-protected only: the key derivation (Argon2id 3 iterations, 64 MiB, 4 lanes by default). */
  kdf?: BitwardenKdf;
  /** KeePassXC only: a .passkey file (one passkey) or KeePass XML; by default .passkey for exactly one passkey. */
  container?: 'passkey-file' | 'xml';
}

function checkSize(data: string): void {
  if (typeof data !== 'string') throw new TypeError('parseDocument: data must be the file’s text');
  if (data.length > LIMITS.documentChars) {
    throw new FormatError(`This file is ${Math.round(data.length / 1048576)} MiB; Keyport reads files of at most ${LIMITS.documentChars / 1048576} MiB.`, 'too-large');
  }
  if (data.trim() === '') throw new FormatError('This file is empty.', 'not-this-format');
}

/** Reads a document of `format`. Throws FormatError when the whole file is unusable; bad entries are in `invalid`. */
export async function parseDocument(format: FormatId, text: string, opts: ParseOptions = {}): Promise<ParsedDocument> {
  checkSize(text);
  const data = text.replace(/^\uFEFF/, ''); // a UTF-8 byte order mark, as some editors save files
  switch (format) {
    case 'cxf':
      return parseCxf(data);
    case 'bitwarden':
      return parseBitwarden(data, { password: opts.password });
    case 'keepassxc':
      return parseKeepassxc(data);
    default:
      throw new TypeError(`parseDocument: unknown format ${String(format)}`);
  }
}

/** Whether `format` can carry `passkey` (Bitwarden holds ECDSA P-256 passkeys only). */
export function canExport(format: FormatId, passkey: PortablePasskey): boolean {
  return format !== 'bitwarden' || canWriteBitwarden(passkey);
}

/** Writes `passkeys` as a document of `format`. Throws FormatError('cannot-export') for what the format cannot hold. */
export async function writeDocument(format: FormatId, passkeys: PortablePasskey[], opts: WriteOptions): Promise<string> {
  if (!Array.isArray(passkeys)) throw new TypeError('writeDocument: passkeys must be an array');
  if (opts.password !== undefined && format !== 'bitwarden') {
    throw new FormatError('Only the Bitwarden format can be password-protected.', 'cannot-export');
  }
  switch (format) {
    case 'cxf':
      return writeCxf(passkeys, { now: opts.now, exporterRpId: KEYPORT_EXPORTER.rpId, exporterDisplayName: KEYPORT_EXPORTER.displayName, preserved: opts.preserved });
    case 'bitwarden':
      return writeBitwarden(passkeys, { now: opts.now, preserved: opts.preserved, password: opts.password, kdf: opts.kdf });
    case 'keepassxc':
      return writeKeepassxc(passkeys, { now: opts.now, preserved: opts.preserved, container: opts.container });
    default:
      throw new TypeError(`writeDocument: unknown format ${String(format)}`);
  }
}
