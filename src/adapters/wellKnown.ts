// The fetch of an RP ID's `/.well-known/webauthn` (WebAuthn L3 §5.11.1 step 2), made by the background, never the
// page: no cookies or other credentials, no referrer, no cache, no redirect followed (Chromium refuses any), the
// body read as a stream and cut once it passes the cap, the whole of it under one timer. What it returns is judged
// by src/webauthn/client/relatedOrigins.ts parseWellKnown.
import { FETCH_TIMEOUT_MS, type FetchedDocument, MAX_DOCUMENT_BYTES, wellKnownUrl } from '../webauthn/client/relatedOrigins.ts';

export async function fetchWellKnown(rpId: string, { timeoutMs = FETCH_TIMEOUT_MS, maxBytes = MAX_DOCUMENT_BYTES } = {}): Promise<FetchedDocument> {
  const signal = AbortSignal.timeout(timeoutMs);
  const response = await fetch(wellKnownUrl(rpId), {
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
    cache: 'no-store',
    // 'manual': a redirect is not followed; the answer is an opaque redirect (status 0), which parseWellKnown refuses.
    redirect: 'manual',
    signal,
  });
  const head = { status: response.status, contentType: response.headers.get('content-type'), redirected: response.redirected || response.type === 'opaqueredirect' };
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
