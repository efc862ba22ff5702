// Passkeys made elsewhere, and the files other managers would hand over: an independent generator for
// tests. It shares no code with src/ (plain Node: node:crypto, WebCrypto, and @noble/hashes for Argon2id),
// so a test that imports its documents with Keyport and then signs in proves the two agree, not that one
// piece of code agrees with itself.
//
//   const p = await makeForeignPasskey({ alg: 'ES256', rpId: 'localhost', userName: 'alice' });
//   rp.seedCredential({ userName: 'alice', userId: p.userHandle, credentialId: p.credentialIdB64, publicKey: p.cosePublicKey });
//   const text = cxfDocument([p]);          // or bitwardenJson, await bitwardenEncryptedJson, keepassxcPasskeyFile, keepassxcXml
//   // ... import `text` into Keyport, sign in on the relying party ...
//
// The shapes follow each manager's published format:
// - CXF v1.0 (FIDO Alliance Proposed Standard 2025-08-14 and errata 2026-03-09): Header §3.1, Account §3.2.1,
//   Item §3.2.3, Passkey §3.3.12, Fido2HmacCredentials §3.3.12.3; byte strings base64url without padding,
//   times UNIX seconds.
// - Bitwarden JSON export (bitwarden/clients libs/common/src/models/export/*.export.ts, password protection in
//   libs/tools/export/vault-export base-vault-export.service.ts): fido2Credentials with string members,
//   credentialId a GUID (16 bytes) or "b64." + base64url, keyValue base64url PKCS#8; password-protected files
//   derive KDF(password, salt) (Argon2id salted with SHA-256 of the salt text, memory in MiB), stretch it with
//   HKDF-Expand "enc"/"mac", and hold EncStrings "2.iv|ct|mac" (AES-256-CBC, HMAC-SHA-256 over iv || ct).
// - KeePassXC (keepassxreboot/keepassxc src/gui/passkeys/PasskeyExporter.cpp, BrowserService::addPasskeyToEntry,
//   src/format/KdbxXmlWriter.cpp): the .passkey JSON file, and KPEX_PASSKEY_* entry attributes in a KeePass 2
//   XML export with ProtectInMemory values.
import { createCipheriv, createHmac, createHash, createPublicKey, pbkdf2Sync, randomBytes, randomUUID, verify as nodeVerify, webcrypto } from 'node:crypto';
import { argon2id } from '@noble/hashes/argon2.js';

const subtle = webcrypto.subtle;

/** COSE algorithm identifiers (IANA COSE Algorithms registry). */
export const COSE_ALG = { ES256: -7, EdDSA: -8, RS256: -257 };

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const b64 = (bytes) => Buffer.from(bytes).toString('base64');

/**
 * @typedef {object} ForeignPasskey
 * @property {'ES256'|'EdDSA'|'RS256'} alg
 * @property {number} coseAlg            -7, -8 or -257
 * @property {string} rpId
 * @property {string} userName
 * @property {string} userDisplayName
 * @property {Uint8Array} credentialId
 * @property {string} credentialIdB64    base64url, no padding
 * @property {Uint8Array} userHandle
 * @property {string} userHandleB64
 * @property {Uint8Array} pkcs8          the private key as WebCrypto exports it (PKCS#8 DER)
 * @property {JsonWebKey} publicJwk      the public key, from the same key pair
 * @property {Uint8Array} spki           the public key as SubjectPublicKeyInfo DER
 * @property {Uint8Array} cosePublicKey  the public key as a COSE_Key (CTAP2 canonical CBOR), for a relying party's store
 * @property {Uint8Array} [prfSecret]    32-byte hmac-secret credential random, when made with {prf: true}
 * @property {number} createdAt          milliseconds since the epoch, whole seconds
 */

/**
 * Makes a fresh key pair and the rest of a passkey, as another manager would have registered it.
 * @param {object} opts
 * @param {'ES256'|'EdDSA'|'RS256'} [opts.alg='ES256']
 * @param {string} opts.rpId
 * @param {string} opts.userName
 * @param {string} [opts.userDisplayName=userName]
 * @param {number} [opts.credentialIdLength=16]   16 gives a Bitwarden-style GUID id; other lengths a "b64." id there
 * @param {Uint8Array} [opts.credentialId]
 * @param {Uint8Array} [opts.userHandle]          default 32 random bytes
 * @param {boolean} [opts.prf=false]              also make a PRF (hmac-secret) credential secret
 * @param {number} [opts.createdAt]               default: now, rounded down to a second
 * @returns {Promise<ForeignPasskey>}
 */
export async function makeForeignPasskey({ alg = 'ES256', rpId, userName, userDisplayName = userName, credentialIdLength = 16, credentialId, userHandle, prf = false, createdAt } = /** @type {any} */ ({})) {
  if (!rpId || typeof userName !== 'string') throw new TypeError('makeForeignPasskey: rpId and userName are required');
  const params = {
    ES256: { name: 'ECDSA', namedCurve: 'P-256' },
    EdDSA: { name: 'Ed25519' },
    RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
  }[alg];
  if (!params) throw new TypeError(`makeForeignPasskey: unknown alg ${alg}`);
  const pair = /** @type {CryptoKeyPair} */ (await subtle.generateKey(params, true, ['sign', 'verify']));
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
  const publicJwk = await subtle.exportKey('jwk', pair.publicKey);
  delete publicJwk.key_ops;
  delete publicJwk.ext;
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const id = credentialId ?? new Uint8Array(randomBytes(credentialIdLength));
  const handle = userHandle ?? new Uint8Array(randomBytes(32));
  /** @type {ForeignPasskey} */
  const p = {
    alg,
    coseAlg: COSE_ALG[alg],
    rpId,
    userName,
    userDisplayName,
    credentialId: id,
    credentialIdB64: b64url(id),
    userHandle: handle,
    userHandleB64: b64url(handle),
    pkcs8,
    publicJwk,
    spki,
    cosePublicKey: coseKey(alg, publicJwk),
    createdAt: createdAt ?? Math.floor(Date.now() / 1000) * 1000,
  };
  if (prf) p.prfSecret = new Uint8Array(randomBytes(32));
  return p;
}

// CBOR (RFC 8949) just for a COSE_Key: a map of small integer labels to integers and byte strings,
// labels in CTAP2 canonical order (1, 3, -1, -2, -3 are already sorted by their encodings).
function cborHead(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  throw new RangeError('cbor: too long');
}
const cborInt = (n) => (n >= 0 ? cborHead(0, n) : cborHead(1, -1 - n));
const cborBytes = (b) => [...cborHead(2, b.length), ...b];

/** RFC 9052 §7 / RFC 9053 COSE_Key of a public JWK. */
export function coseKey(alg, jwk) {
  const d = (s) => [...Buffer.from(s, 'base64url')];
  const entries = {
    ES256: () => [[1, 2], [3, -7], [-1, 1], [-2, d(jwk.x)], [-3, d(jwk.y)]],
    EdDSA: () => [[1, 1], [3, -8], [-1, 6], [-2, d(jwk.x)]],
    RS256: () => [[1, 3], [3, -257], [-1, d(jwk.n)], [-2, d(jwk.e)]],
  }[alg]();
  const out = [...cborHead(5, entries.length)];
  for (const [k, v] of entries) out.push(...cborInt(k), ...(Array.isArray(v) ? cborBytes(v) : cborInt(v)));
  return Uint8Array.from(out);
}

/**
 * Checks a WebAuthn signature (ES256 as DER, WebAuthn §6.5.5) over `data` with the foreign public key.
 * @param {ForeignPasskey} p
 * @param {Uint8Array} data  authenticatorData || SHA-256(clientDataJSON)
 * @param {Uint8Array} signature
 */
export function verifyForeign(p, data, signature) {
  const key = createPublicKey({ key: /** @type {import('node:crypto').JsonWebKey} */ (p.publicJwk), format: 'jwk' });
  return nodeVerify(p.alg === 'EdDSA' ? null : 'sha256', data, key, signature);
}

// CXF v1.0

const seconds = (ms) => Math.floor(ms / 1000);
const randomId = () => b64url(randomBytes(16));

/** §3.3.12 Passkey credential. */
function cxfPasskey(p) {
  const cred = {
    type: 'passkey',
    credentialId: p.credentialIdB64,
    rpId: p.rpId,
    username: p.userName,
    userDisplayName: p.userDisplayName,
    userHandle: p.userHandleB64,
    key: b64url(p.pkcs8),
  };
  if (p.prfSecret) {
    // §3.3.12.3: credWithUV is what WebAuthn's prf evaluates; credWithoutUV is a second, independent secret.
    cred.fido2Extensions = { hmacCredentials: { algorithm: 'hmac-sha256', credWithUV: b64url(p.prfSecret), credWithoutUV: b64url(randomBytes(32)) } };
  }
  return cred;
}

/**
 * A CXF v1.0 Header (§3.1) as JSON, one item per passkey in one account.
 * @param {ForeignPasskey[]} passkeys
 * @param {object} [opts]
 * @param {boolean} [opts.withOtherCredentials=false]  add a password and a TOTP to each passkey's item, a
 *   note item, an item of an unknown future type, and unknown members, as a full export would have
 * @param {string} [opts.exporterRpId='manager.example']
 * @param {string} [opts.exporterDisplayName='Example Manager']
 * @param {number} [opts.now=Date.now()]
 * @returns {string}
 */
export function cxfDocument(passkeys, { withOtherCredentials = false, exporterRpId = 'manager.example', exporterDisplayName = 'Example Manager', now = Date.now() } = {}) {
  const items = passkeys.map((p) => {
    /** @type {Record<string, unknown>[]} */
    const credentials = [cxfPasskey(p)];
    if (withOtherCredentials) {
      credentials.unshift({
        type: 'basic-auth',
        username: { fieldType: 'string', value: p.userName },
        password: { fieldType: 'concealed-string', value: `pw-${p.userName}` },
      });
      credentials.push({ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', period: 30, digits: 6, algorithm: 'sha1', username: p.userName, issuer: p.rpId });
    }
    /** @type {Record<string, unknown>} */
    const item = {
      id: randomId(),
      creationAt: seconds(p.createdAt),
      modifiedAt: seconds(now),
      title: `${p.rpId} login`,
      scope: { urls: [`https://${p.rpId}/`], androidApps: [] },
      credentials,
    };
    if (withOtherCredentials) {
      item.tags = ['work'];
      item.favorite = true;
      item.extensions = [{ name: 'example-manager.item-colour', colour: 'blue' }];
    }
    return item;
  });
  if (withOtherCredentials) {
    items.push({ id: randomId(), title: 'Door code', credentials: [{ type: 'note', content: { fieldType: 'string', value: '4321' } }] });
    items.push({ id: randomId(), title: 'From the future', credentials: [{ type: 'hologram', shape: 'cube' }] });
  }
  const header = {
    version: { major: 1, minor: 0 },
    exporterRpId,
    exporterDisplayName,
    timestamp: seconds(now),
    accounts: [{ id: randomId(), username: 'household', email: 'me@mail.example', fullName: 'Pat Example', collections: [], items }],
  };
  if (withOtherCredentials) header.futureMember = { kept: true };
  return JSON.stringify(header, null, 2);
}

// Bitwarden

/** guid-utils.ts guidToStandardFormat: the 16 bytes in order as lowercase hex. */
function guid(bytes) {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Fido2CredentialExport. */
function bitwardenFido2(p) {
  return {
    credentialId: p.credentialId.length === 16 ? guid(p.credentialId) : `b64.${p.credentialIdB64}`,
    keyType: 'public-key',
    keyAlgorithm: 'ECDSA',
    keyCurve: 'P-256',
    keyValue: b64url(p.pkcs8),
    rpId: p.rpId,
    userHandle: p.userHandleB64,
    userName: p.userName,
    counter: '0',
    rpName: `${p.rpId} (RP)`,
    userDisplayName: p.userDisplayName,
    discoverable: 'true',
    creationDate: new Date(p.createdAt).toISOString(),
  };
}

function bitwardenItem(fields) {
  const now = new Date().toISOString();
  return {
    passwordHistory: null,
    revisionDate: now,
    creationDate: now,
    deletedDate: null,
    id: randomUUID(),
    organizationId: null,
    folderId: null,
    reprompt: 0,
    notes: null,
    favorite: false,
    collectionIds: null,
    ...fields,
  };
}

function bitwardenPlain(passkeys, { withOtherItems = false } = {}) {
  for (const p of passkeys) if (p.alg !== 'ES256') throw new TypeError('Bitwarden stores ECDSA P-256 passkeys only');
  const folderId = randomUUID();
  const items = passkeys.map((p) =>
    bitwardenItem({
      type: 1,
      name: `${p.rpId} site`,
      folderId: withOtherItems ? folderId : null,
      login: { fido2Credentials: [bitwardenFido2(p)], uris: [{ match: null, uri: `https://${p.rpId}/` }], username: p.userName, password: withOtherItems ? 'hunter2' : null, totp: null },
    }),
  );
  if (withOtherItems) {
    items.push(bitwardenItem({ type: 1, name: 'Mail', login: { uris: [{ match: null, uri: 'https://mail.example' }], username: 'pat', password: 'correct horse', totp: null } }));
    items.push(bitwardenItem({ type: 2, name: 'Wi-Fi', notes: 'The password is on the router.', secureNote: { type: 0 } }));
    items.push(bitwardenItem({ type: 3, name: 'Visa', card: { cardholderName: 'Pat Example', brand: 'Visa', number: '4111111111111111', expMonth: '1', expYear: '2030', code: '123' } }));
  }
  return { encrypted: false, folders: withOtherItems ? [{ id: folderId, name: 'Passkeys' }] : [], items };
}

/**
 * An unencrypted Bitwarden JSON export.
 * @param {ForeignPasskey[]} passkeys  ES256 only, as Bitwarden makes
 * @param {{withOtherItems?: boolean}} [opts]  add a login without passkey, a secure note, a card and a folder
 * @returns {string}
 */
export function bitwardenJson(passkeys, opts) {
  return JSON.stringify(bitwardenPlain(passkeys, opts), null, 2);
}

/** RFC 5869 §2.3 HKDF-Expand with SHA-256 (no Extract), as Bitwarden's stretchKey uses it. */
function hkdfExpand(prk, info, length) {
  let t = Buffer.alloc(0);
  const out = [];
  for (let i = 1; out.length * 32 < length; i++) {
    t = createHmac('sha256', prk).update(Buffer.concat([t, Buffer.from(info), Buffer.from([i])])).digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, length);
}

function encString(plain, encKey, macKey) {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', encKey, iv);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const mac = createHmac('sha256', macKey).update(Buffer.concat([iv, ct])).digest();
  return `2.${b64(iv)}|${b64(ct)}|${b64(mac)}`;
}

/**
 * A password-protected Bitwarden JSON export.
 * @param {ForeignPasskey[]} passkeys
 * @param {string} password
 * @param {object} [opts]
 * @param {'argon2id'|'pbkdf2'} [opts.kdf='argon2id']
 * @param {number} [opts.iterations]   default 3 (Argon2id) or 600000 (PBKDF2)
 * @param {number} [opts.memory=64]    Argon2id, MiB
 * @param {number} [opts.parallelism=4] Argon2id
 * @param {boolean} [opts.withOtherItems=false]
 * @returns {Promise<string>}
 */
export async function bitwardenEncryptedJson(passkeys, password, { kdf = 'argon2id', iterations, memory = 64, parallelism = 4, withOtherItems = false } = {}) {
  const salt = b64(randomBytes(16));
  let master;
  const doc = { encrypted: true, passwordProtected: true, salt };
  if (kdf === 'pbkdf2') {
    iterations ??= 600_000;
    master = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), iterations, 32, 'sha256');
    Object.assign(doc, { kdfType: 0, kdfIterations: iterations });
  } else if (kdf === 'argon2id') {
    iterations ??= 3;
    const saltHash = createHash('sha256').update(salt, 'utf8').digest();
    master = Buffer.from(argon2id(Buffer.from(password, 'utf8'), saltHash, { t: iterations, m: memory * 1024, p: parallelism, dkLen: 32 }));
    Object.assign(doc, { kdfType: 1, kdfIterations: iterations, kdfMemory: memory, kdfParallelism: parallelism });
  } else throw new TypeError(`bitwardenEncryptedJson: unknown kdf ${String(kdf)}`);
  const encKey = hkdfExpand(master, 'enc', 32);
  const macKey = hkdfExpand(master, 'mac', 32);
  doc.encKeyValidation_DO_NOT_EDIT = encString(randomUUID(), encKey, macKey);
  doc.data = encString(JSON.stringify(bitwardenPlain(passkeys, { withOtherItems }), null, 2), encKey, macKey);
  return JSON.stringify(doc, null, 2);
}

// KeePassXC

/** The PKCS#8 in PEM, 64-character lines (Botan's PKCS8::PEM_encode). */
export function pem(pkcs8) {
  const lines = b64(pkcs8).match(/.{1,64}/g);
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/**
 * A KeePassXC ".passkey" file (PasskeyExporter::exportSelectedEntry).
 * @param {ForeignPasskey} p
 * @returns {string}
 */
export function keepassxcPasskeyFile(p) {
  return JSON.stringify(
    {
      credentialId: p.credentialIdB64,
      privateKey: pem(p.pkcs8),
      relyingParty: p.rpId,
      url: `https://${p.rpId}`,
      userHandle: p.userHandleB64,
      username: p.userName,
    },
    null,
    4,
  );
}

const xmlEscape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlString = (key, value, protect = false) => `\t\t\t\t<String>\n\t\t\t\t\t<Key>${xmlEscape(key)}</Key>\n\t\t\t\t\t<Value${protect ? ' ProtectInMemory="True"' : ''}>${xmlEscape(value)}</Value>\n\t\t\t\t</String>\n`;
const uuid64 = () => b64(randomBytes(16));
const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function xmlEntry(title, strings, { tags = '', created = Date.now() } = {}) {
  return (
    `\t\t\t<Entry>\n\t\t\t\t<UUID>${uuid64()}</UUID>\n\t\t\t\t<IconID>0</IconID>\n\t\t\t\t<Tags>${xmlEscape(tags)}</Tags>\n` +
    `\t\t\t\t<Times>\n\t\t\t\t\t<CreationTime>${isoSeconds(created)}</CreationTime>\n\t\t\t\t\t<LastModificationTime>${isoSeconds(created)}</LastModificationTime>\n\t\t\t\t</Times>\n` +
    xmlString('Title', title) +
    strings.map(([k, v, prot]) => xmlString(k, v, prot)).join('') +
    `\t\t\t</Entry>\n`
  );
}

/**
 * A KeePass 2 XML export (keepassxc-cli export --format xml) with KeePassXC's passkey attributes.
 * @param {ForeignPasskey[]} passkeys
 * @param {object} [opts]
 * @param {boolean} [opts.withOtherEntries=false]  a password entry, a password on the first passkey's entry, and a subgroup
 * @param {boolean} [opts.standardBase64Ids=false]  ids in standard padded base64, which KeePassXC also reads
 * @returns {string}
 */
export function keepassxcXml(passkeys, { withOtherEntries = false, standardBase64Ids = false } = {}) {
  const id = (b) => (standardBase64Ids ? b64(b) : b64url(b));
  const entries = passkeys
    .map((p, i) =>
      xmlEntry(
        `${p.rpId} (Passkey)`,
        [
          ['UserName', p.userName],
          ['Password', withOtherEntries && i === 0 ? 'also-a-password' : '', true],
          ['URL', `https://${p.rpId}`],
          ['Notes', ''],
          ['KPEX_PASSKEY_CREDENTIAL_ID', id(p.credentialId), true],
          ['KPEX_PASSKEY_PRIVATE_KEY_PEM', pem(p.pkcs8), true],
          ['KPEX_PASSKEY_RELYING_PARTY', p.rpId],
          ['KPEX_PASSKEY_USERNAME', p.userName],
          ['KPEX_PASSKEY_USER_HANDLE', id(p.userHandle), true],
          ['KPEX_PASSKEY_FLAG_BE', '1'],
          ['KPEX_PASSKEY_FLAG_BS', '1'],
        ],
        { tags: 'Passkey', created: p.createdAt },
      ),
    )
    .join('');
  const others = withOtherEntries
    ? xmlEntry('Bank', [
        ['UserName', 'pat'],
        ['Password', 'p<a>ss&word', true],
        ['URL', 'https://bank.example'],
        ['Notes', 'line one\nline two'],
      ]) +
      `\t\t\t<Group>\n\t\t\t\t<UUID>${uuid64()}</UUID>\n\t\t\t\t<Name>Work</Name>\n` +
      xmlEntry('VPN', [['UserName', 'pat.w'], ['Password', 'vpn-secret', true]]).replace(/^/gm, '\t') +
      `\t\t\t</Group>\n`
    : '';
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<KeePassFile>\n\t<Meta>\n\t\t<Generator>KeePassXC</Generator>\n\t\t<DatabaseName>Passwords</DatabaseName>\n\t\t<RecycleBinEnabled>True</RecycleBinEnabled>\n\t</Meta>\n` +
    `\t<Root>\n\t\t<Group>\n\t\t\t<UUID>${uuid64()}</UUID>\n\t\t\t<Name>Root</Name>\n` +
    entries +
    others +
    `\t\t</Group>\n\t\t<DeletedObjects/>\n\t</Root>\n</KeePassFile>\n`
  );
}
