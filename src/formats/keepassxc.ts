// KeePassXC's passkeys, in the two forms it reads and writes (keepassxreboot/keepassxc):
// - the ".passkey" file (src/gui/passkeys/PasskeyExporter.cpp, PasskeyImporter.cpp): a JSON object with
//   relyingParty, url, username, credentialId, userHandle and privateKey, the last a PKCS#8 PEM
//   ("-----BEGIN PRIVATE KEY-----", Botan's PKCS8::PEM_encode), the ids base64url without padding
//   (BrowserMessageBuilder::getBase64FromArray);
// - entry attributes (src/browser/BrowserPasskeys.cpp, BrowserService::addPasskeyToEntry, PasskeyUtils.cpp):
//   KPEX_PASSKEY_USERNAME, KPEX_PASSKEY_CREDENTIAL_ID (protected), KPEX_PASSKEY_PRIVATE_KEY_PEM (protected),
//   KPEX_PASSKEY_RELYING_PARTY, KPEX_PASSKEY_USER_HANDLE (protected), KPEX_PASSKEY_FLAG_BE / _BS ("1"/"true"),
//   with KPXC_PASSKEY_USERNAME and KPEX_PASSKEY_GENERATED_USER_ID read first where present (StrongBox), here
//   inside a KeePass 2 XML file (src/format/KdbxXmlWriter.cpp: <KeePassFile><Meta/><Root><Group><Entry>
//   <String><Key/><Value ProtectInMemory="True"/></String>), which keepassxc-cli exports and imports.
// KeePassXC has no display name: the user name stands for it.
import * as v from 'valibot';
import { encode as b64u } from '../webauthn/base64url.ts';
import { decodeBase64, decodeEitherBase64, encodeBase64 } from './base64.ts';
import { Collector, EntryError, LIMITS, type RawPasskey, check, derivedId, text } from './entry.ts';
import { KeyError, derToPem, pemToDer } from './keys.ts';
import { FormatError, type ParsedDocument, type PortablePasskey } from './types.ts';
import { XmlError, type XmlElement, child, el, node, parseXml, writeXml } from './xml.ts';

export const KPEX = {
  USERNAME: 'KPEX_PASSKEY_USERNAME',
  CREDENTIAL_ID: 'KPEX_PASSKEY_CREDENTIAL_ID',
  GENERATED_USER_ID: 'KPEX_PASSKEY_GENERATED_USER_ID',
  KPXC_USERNAME: 'KPXC_PASSKEY_USERNAME',
  PRIVATE_KEY_PEM: 'KPEX_PASSKEY_PRIVATE_KEY_PEM',
  RELYING_PARTY: 'KPEX_PASSKEY_RELYING_PARTY',
  USER_HANDLE: 'KPEX_PASSKEY_USER_HANDLE',
  FLAG_BE: 'KPEX_PASSKEY_FLAG_BE',
  FLAG_BS: 'KPEX_PASSKEY_FLAG_BS',
} as const;
const isPasskeyKey = (k: string) => k.startsWith('KPEX_PASSKEY_') || k === KPEX.KPXC_USERNAME;
const MARK = 'keyport-passkey';

export interface KeepassXmlPreserved {
  format: 'keepassxc-xml';
  /** The whole KeePassFile; imported passkeys' key attributes are emptied and their entries marked. */
  root: XmlElement;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Sniffs which of the two containers `data` is. */
function keepassxcContainer(data: string): 'passkey-file' | 'xml' | undefined {
  const start = data.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('{')) return 'passkey-file';
  if (start.startsWith('<')) return 'xml';
  return undefined;
}

const PasskeyFileSchema = v.looseObject(
  {
    relyingParty: text,
    url: v.optional(text),
    username: text,
    credentialId: text,
    userHandle: text,
    privateKey: text,
  },
  'must be an object',
);

function decodeId(value: string, what: string): Uint8Array {
  try {
    return decodeEitherBase64(value.trim());
  } catch {
    throw new EntryError(`Its ${what} is not base64.`);
  }
}

function readPem(pem: string): Uint8Array {
  try {
    return pemToDer(pem);
  } catch (e) {
    if (e instanceof KeyError) throw new EntryError(e.message);
    throw e;
  }
}

export async function parseKeepassxc(data: string): Promise<ParsedDocument> {
  const kind = keepassxcContainer(data);
  if (kind === 'passkey-file') return parsePasskeyFile(data);
  if (kind === 'xml') return parseKeepassXml(data);
  throw new FormatError('This file is neither a KeePassXC .passkey file nor a KeePass XML export.', 'not-this-format');
}

async function parsePasskeyFile(data: string): Promise<ParsedDocument> {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new FormatError('This .passkey file is not JSON.', 'not-this-format');
  }
  if (!isObject(json) || !('privateKey' in json) || !('relyingParty' in json)) {
    throw new FormatError('This file is not a KeePassXC .passkey file: it has no "relyingParty" and "privateKey".', 'not-this-format');
  }
  const out = new Collector();
  const where = typeof json.relyingParty === 'string' ? `the passkey file for ${json.relyingParty.slice(0, 253)}` : 'the passkey file';
  await out.add(where, () => {
    const f = check(PasskeyFileSchema, json);
    return {
      credentialId: decodeId(f.credentialId, 'credential ID'),
      rpId: f.relyingParty,
      userHandle: decodeId(f.userHandle, 'user handle'),
      userName: f.username,
      userDisplayName: f.username,
      pkcs8: readPem(f.privateKey),
    } satisfies RawPasskey;
  });
  return { passkeys: out.passkeys, invalid: out.invalid };
}

const strings = (entry: XmlElement) => entry.children.filter((c) => c.name === 'String');
const stringKey = (s: XmlElement) => child(s, 'Key')?.text ?? '';

/** KeePass dates: ISO 8601 (KDBX 3.1 XML) or base64 of little-endian seconds since 0001-01-01 (KDBX 4). */
function keepassTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d{4}-\d\d-\d\dT/.test(value)) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  try {
    const b = decodeBase64(value);
    if (b.length !== 8) return undefined;
    const secs = new DataView(b.buffer, b.byteOffset).getBigInt64(0, true);
    return Number(secs - 62135596800n) * 1000; // 0001-01-01 to 1970-01-01
  } catch {
    return undefined;
  }
}

async function parseKeepassXml(data: string): Promise<ParsedDocument> {
  let root: XmlElement;
  try {
    root = parseXml(data);
  } catch (e) {
    if (e instanceof XmlError) throw new FormatError(`This file is not a readable KeePass XML export: ${e.message}.`, 'not-this-format');
    throw e;
  }
  const top = child(root, 'Root');
  if (root.name !== 'KeePassFile' || !top) throw new FormatError('This XML file is not a KeePass export: it has no <KeePassFile><Root>.', 'not-this-format');
  const meta = child(root, 'Meta');
  const recycleBin = meta && child(meta, 'RecycleBinEnabled')?.text !== 'False' ? child(meta, 'RecycleBinUUID')?.text : undefined;
  const out = new Collector();
  const tooMany = () => new FormatError(`This KeePass file has more than ${LIMITS.entries} entries.`, 'too-large');

  const walk = async (group: XmlElement, path: string[], recycled: boolean) => {
    const name = child(group, 'Name')?.text ?? '';
    const here = [...path, name];
    const inBin = recycled || (!!recycleBin && child(group, 'UUID')?.text === recycleBin);
    for (const c of group.children) {
      if (c.name === 'Group') await walk(c, here, inBin);
      if (c.name !== 'Entry') continue;
      out.tick(tooMany);
      const values = new Map<string, XmlElement>();
      for (const s of strings(c)) {
        const value = child(s, 'Value');
        if (value) values.set(stringKey(s), value);
      }
      if (inBin || ![...values.keys()].some(isPasskeyKey)) continue;
      const title = values.get('Title')?.text ?? '';
      const where = `entry ‘${title.slice(0, 80) || '(no title)'}’ in ${here.filter(Boolean).join(' / ') || 'the root group'}`;
      const got = await out.add(where, () => readEntry(values, title, child(child(c, 'Times') ?? el('Times'), 'CreationTime')?.text));
      if (got) markEntry(c, got);
    }
  };
  for (const g of top.children) if (g.name === 'Group') await walk(g, [], false);
  return { passkeys: out.passkeys, invalid: out.invalid, preserved: { format: 'keepassxc-xml', root } satisfies KeepassXmlPreserved };
}

function readEntry(values: Map<string, XmlElement>, title: string, created: string | undefined): RawPasskey {
  const get = (k: string) => {
    const e = values.get(k);
    if (!e) return undefined;
    // KdbxXmlWriter: Protected="True" means XOR with the database's inner stream, which an XML file lacks.
    if (e.attrs.Protected === 'True') throw new EntryError(`Its ${k} is encrypted with the database's inner stream; export the database as XML from KeePassXC instead.`);
    return e.text;
  };
  const rpId = get(KPEX.RELYING_PARTY);
  const pem = get(KPEX.PRIVATE_KEY_PEM);
  const credentialId = get(KPEX.GENERATED_USER_ID) ?? get(KPEX.CREDENTIAL_ID);
  const userHandle = get(KPEX.USER_HANDLE);
  if (!rpId) throw new EntryError(`It has no ${KPEX.RELYING_PARTY}.`);
  if (!pem) throw new EntryError(`It has no ${KPEX.PRIVATE_KEY_PEM}.`);
  if (!credentialId) throw new EntryError(`It has no ${KPEX.CREDENTIAL_ID}.`);
  if (!userHandle) throw new EntryError(`It has no ${KPEX.USER_HANDLE}.`);
  const userName = get(KPEX.KPXC_USERNAME) ?? get(KPEX.USERNAME) ?? '';
  const raw: RawPasskey = {
    credentialId: decodeId(credentialId, 'credential ID'),
    rpId,
    userHandle: decodeId(userHandle, 'user handle'),
    userName,
    userDisplayName: userName,
    pkcs8: readPem(pem),
    title,
  };
  const t = keepassTime(created);
  if (t !== undefined) raw.createdAt = t;
  return raw;
}

/** In `preserved`: the key emptied, older passkey values dropped from the entry's history, the entry marked. */
function markEntry(entry: XmlElement, p: PortablePasskey): void {
  entry.attrs[MARK] = b64u(p.credentialId);
  for (const s of strings(entry)) if (stringKey(s) === KPEX.PRIVATE_KEY_PEM) child(s, 'Value')!.text = '';
  const history = child(entry, 'History');
  for (const old of history?.children ?? []) old.children = old.children.filter((s) => s.name !== 'String' || !isPasskeyKey(stringKey(s)));
}

// Writing.

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** KeePass UUIDs are base64 of 16 bytes; derived from the credential ID so re-exports agree. */
const entryUuid = (p: PortablePasskey) => encodeBase64(derivedId('keepass/entry', p.credentialId));

/** The attributes KeePassXC writes (addPasskeyToEntry), protected where it protects them. */
function passkeyStrings(p: PortablePasskey): [string, string, boolean][] {
  return [
    [KPEX.CREDENTIAL_ID, b64u(p.credentialId), true],
    [KPEX.PRIVATE_KEY_PEM, derToPem(p.pkcs8), true],
    [KPEX.RELYING_PARTY, p.rpId, false],
    [KPEX.USERNAME, p.userName, false],
    [KPEX.USER_HANDLE, b64u(p.userHandle), true],
    [KPEX.FLAG_BE, '1', false],
    [KPEX.FLAG_BS, '1', false],
  ];
}

const stringEl = (key: string, value: string, protect: boolean) => node('String', [el('Key', key), el('Value', value, protect ? { ProtectInMemory: 'True' } : {})]);

function newEntry(p: PortablePasskey, now: number): XmlElement {
  const created = iso(p.createdAt ?? now);
  return node('Entry', [
    el('UUID', entryUuid(p)),
    el('IconID', '0'),
    el('Tags', 'Passkey'),
    node('Times', [el('CreationTime', created), el('LastModificationTime', iso(now)), el('LastAccessTime', iso(now))]),
    stringEl('Title', p.title ?? p.rpId, false),
    stringEl('UserName', p.userName, false),
    stringEl('Password', '', true),
    stringEl('URL', `https://${p.rpId}`, false),
    stringEl('Notes', '', false),
    ...passkeyStrings(p).map(([k, val, prot]) => stringEl(k, val, prot)),
  ]);
}

/** Puts `p` back into a preserved entry: its passkey attributes replaced, everything else kept. */
function refillEntry(entry: XmlElement, p: PortablePasskey, now: number): void {
  delete entry.attrs[MARK];
  const kept = entry.children.filter((c) => !(c.name === 'String' && isPasskeyKey(stringKey(c))));
  const lastString = kept.map((c) => c.name).lastIndexOf('String');
  kept.splice(lastString < 0 ? kept.length : lastString + 1, 0, ...passkeyStrings(p).map(([k, val, prot]) => stringEl(k, val, prot)));
  entry.children = kept;
  const times = child(entry, 'Times');
  const mod = times && child(times, 'LastModificationTime');
  if (mod) mod.text = iso(now);
}

/** A preserved entry whose passkey is not exported loses its passkey attributes; the rest of it stays. */
function emptyEntry(entry: XmlElement): void {
  delete entry.attrs[MARK];
  entry.children = entry.children.filter((c) => !(c.name === 'String' && isPasskeyKey(stringKey(c))));
}

function readPreserved(preserved: unknown): XmlElement | undefined {
  if (preserved === undefined) return undefined;
  if (!isObject(preserved) || preserved.format !== 'keepassxc-xml' || !isObject(preserved.root)) {
    throw new TypeError('writeKeepassXml: preserved data is not from a KeePass XML import');
  }
  return structuredClone(preserved.root as unknown as XmlElement);
}

/** A KeePass 2 XML file (keepassxc-cli import reads it) with one entry per passkey. */
export function writeKeepassXml(passkeys: PortablePasskey[], opts: { now: number; preserved?: unknown }): string {
  const { now } = opts;
  if (!Number.isFinite(now)) throw new TypeError('writeKeepassXml: now must be a number of milliseconds');
  const byId = new Map(passkeys.map((p) => [b64u(p.credentialId), p]));
  const written = new Set<string>();
  let root = readPreserved(opts.preserved);
  if (root) {
    const visit = (e: XmlElement) => {
      if (e.name === 'Entry' && e.attrs[MARK] !== undefined) {
        const id = e.attrs[MARK];
        const p = byId.get(id);
        if (p && !written.has(id)) {
          refillEntry(e, p, now);
          written.add(id);
        } else emptyEntry(e);
      }
      if (e.name !== 'History') for (const c of e.children) visit(c);
    };
    visit(root);
  } else {
    root = node('KeePassFile', [
      node('Meta', [el('Generator', 'Keyport'), el('DatabaseName', 'Keyport passkeys')]),
      node('Root', [node('Group', [el('UUID', encodeBase64(globalThis.crypto.getRandomValues(new Uint8Array(16)))), el('Name', 'Keyport'), el('IconID', '48')])]),
    ]);
  }
  const rest = passkeys.filter((p) => {
    const id = b64u(p.credentialId);
    if (written.has(id)) return false;
    written.add(id);
    return true;
  });
  if (rest.length > 0) {
    const top = child(root, 'Root');
    let group = top && child(top, 'Group');
    if (!group) {
      group = node('Group', [el('UUID', encodeBase64(globalThis.crypto.getRandomValues(new Uint8Array(16)))), el('Name', 'Keyport')]);
      if (top) top.children.unshift(group);
      else root.children.push(node('Root', [group]));
    }
    // Entries come before subgroups, as KdbxXmlWriter writes them.
    const firstGroup = group.children.findIndex((c) => c.name === 'Group');
    group.children.splice(firstGroup < 0 ? group.children.length : firstGroup, 0, ...rest.map((p) => newEntry(p, now)));
  }
  return writeXml(root);
}

/** One passkey as a .passkey file, members in the order QJsonDocument writes them (sorted), indented by 4. */
export function writePasskeyFile(p: PortablePasskey): string {
  const doc = {
    credentialId: b64u(p.credentialId),
    privateKey: derToPem(p.pkcs8),
    relyingParty: p.rpId,
    url: `https://${p.rpId}`,
    userHandle: b64u(p.userHandle),
    username: p.userName,
  };
  return JSON.stringify(doc, null, 4) + '\n';
}

export interface KeepassxcWriteOptions {
  now: number;
  preserved?: unknown;
  /** The .passkey file holds one passkey; XML holds any number. Default: .passkey for exactly one passkey without preserved data. */
  container?: 'passkey-file' | 'xml';
}

export function writeKeepassxc(passkeys: PortablePasskey[], opts: KeepassxcWriteOptions): string {
  const container = opts.container ?? (passkeys.length === 1 && opts.preserved === undefined ? 'passkey-file' : 'xml');
  if (container === 'passkey-file') {
    if (passkeys.length !== 1) throw new FormatError(`A .passkey file holds exactly one passkey, not ${passkeys.length}; export as KeePass XML instead.`, 'cannot-export');
    return writePasskeyFile(passkeys[0]!);
  }
  return writeKeepassXml(passkeys, opts);
}
