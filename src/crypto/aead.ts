// AES-256-GCM (NIST SP 800-38D) through WebCrypto: 96-bit random nonce, 128-bit tag, associated data
// binding a sealed blob to where it belongs (a record's id and kind, or the vault key's label).

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();

export interface Sealed {
  iv: Uint8Array; // 12 bytes
  ct: Uint8Array; // ciphertext || tag
}

export class TamperedError extends Error {
  override name = 'TamperedError';
}

export function importAeadKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 32) throw new RangeError(`AEAD key: 32 bytes expected, got ${raw.length}`);
  return subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function seal(key: CryptoKey, plaintext: Uint8Array, aad: string): Promise<Sealed> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: te.encode(aad) }, key, plaintext as BufferSource));
  return { iv, ct };
}

/** Fails with TamperedError when the tag does not verify: wrong key, altered bytes or a blob moved to another place. */
export async function open(key: CryptoKey, sealed: Sealed, aad: string): Promise<Uint8Array> {
  if (!(sealed.iv instanceof Uint8Array) || sealed.iv.length !== 12 || !(sealed.ct instanceof Uint8Array) || sealed.ct.length < 16) {
    throw new TamperedError('sealed blob is malformed');
  }
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv as BufferSource, additionalData: te.encode(aad) }, key, sealed.ct as BufferSource));
  } catch {
    throw new TamperedError('authentication tag did not verify');
  }
}
