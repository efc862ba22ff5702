// The fetch of an RP ID's `/.well-known/webauthn` (WebAuthn L3 §5.11.1 step 2), made by the background, never the
// page: no cookies or other credentials, no referrer, no cache; a redirect is followed only if the answer comes from
// the RP ID's own origin; the body is read as a stream and dropped once it passes the cap, the whole of it under one
// timer. What it returns is judged by src/webauthn/client/relatedOrigins.ts parseWellKnown.
import { FETCH_TIMEOUT_MS, type FetchedDocument, MAX_DOCUMENT_BYTES, wellKnownUrl } from '../webauthn/client/relatedOrigins.ts';

export async function fetchWellKnown(rpId: string, { timeoutMs = FETCH_TIMEOUT_MS, maxBytes = MAX_DOCUMENT_BYTES } = {}): Promise<FetchedDocument> {
  const signal = AbortSignal.timeout(timeoutMs);
  const url = wellKnownUrl(rpId);
  const response = await fetch(url, { credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store', redirect: 'follow', signal });
  // Chromium 156 follows a redirect to another host (measured): Keyport is stricter, the answer must come from the
  // RP ID's own origin (docs/design.md rule 2).
  const head = { status: response.status, contentType: response.headers.get('content-type'), redirected: new URL(response.url || url).origin !== new URL(url).origin };
  // A declared length over the cap, or an answer refused anyway, is not read at all.
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (head.status !== 200 || head.redirected || declared > maxBytes || !response.body) {
    await response.body?.cancel().catch(() => {});
    return { ...head, body: new Uint8Array(0), tooLarge: declared > maxBytes };
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ...head, body: new Uint8Array(0), tooLarge: true };
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return { ...head, body, tooLarge: false };
}
