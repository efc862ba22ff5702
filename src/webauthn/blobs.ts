// The data a site may keep with a Keyport passkey: WebAuthn L3 §10.1.5 large blob storage (largeBlob) and CTAP 2.1
// §12.2 credBlob. Both live inside the passkey's sealed record (src/vault/record.ts) and sync with it.

/**
 * The largest large blob, in bytes. Chromium 156 refuses a `write` over 2048 bytes before any authenticator is asked
 * (NotSupportedError, "exceeds the maximum allowed size (2kb)", measured), so no site can count on more; Keyport
 * stores exactly what Chromium lets through. A passkey with a blob of this size seals to about 6 KiB, far under a
 * sync record's limit (src/sync/protocol.ts LIMITS.blobChars).
 */
export const LARGE_BLOB_MAX_BYTES = 2048;

/** CTAP 2.1 §12.2 maxCredBlobLength: at least 32; Keyport keeps that minimum, as Chromium's virtual authenticator. */
export const CRED_BLOB_MAX_BYTES = 32;

/** Bytes in a base64url text of `chars` characters (no padding), without decoding it. */
export const base64urlBytes = (chars: number): number => Math.floor((chars * 3) / 4);
