// Chromium's chrome.webAuthenticationProxy (Chrome 115+), the default front door (docs/design.md "Proxy").
// Requests arrive after the browser's own WebIDL conversion, rpId, https and permissions-policy checks,
// as the parse*FromJSON form with extensions.remoteDesktopClientOverride = {origin, sameOriginWithAncestors}.
// Answers are the credential's toJSON() form, absent members omitted (a null member crashes Chromium).
import type { ErrorJSON } from '../webauthn/errors.ts';

export interface ProxyApi {
  attach(): Promise<string | undefined>;
  detach(): Promise<string | undefined>;
  completeCreateRequest(d: { requestId: number; responseJson?: string; error?: ErrorJSON }): Promise<void>;
  completeGetRequest(d: { requestId: number; responseJson?: string; error?: ErrorJSON }): Promise<void>;
  completeIsUvpaaRequest(d: { requestId: number; isUvpaa: boolean }): Promise<void>;
  onCreateRequest: { addListener(f: (r: { requestId: number; requestDetailsJson: string }) => void): void };
  onGetRequest: { addListener(f: (r: { requestId: number; requestDetailsJson: string }) => void): void };
  onRequestCanceled: { addListener(f: (requestId: number) => void): void };
  onIsUvpaaRequest: { addListener(f: (r: { requestId: number }) => void): void };
}

export interface ProxyRequest {
  kind: 'create' | 'get';
  options: Record<string, unknown>;
  origin: string;
  sameOriginWithAncestors: boolean;
  signal: AbortSignal;
}

export type ProxyAnswer = { responseJson: string } | { error: ErrorJSON };

export function proxyApi(): ProxyApi | undefined {
  return (globalThis as unknown as { chrome?: { webAuthenticationProxy?: ProxyApi } }).chrome?.webAuthenticationProxy;
}

export function listenToProxy(api: ProxyApi, handle: (r: ProxyRequest) => Promise<ProxyAnswer>, isUvpaa: () => boolean): void {
  const inflight = new Map<number, AbortController>();
  const on = (kind: 'create' | 'get') => async ({ requestId, requestDetailsJson }: { requestId: number; requestDetailsJson: string }) => {
    const abort = new AbortController();
    inflight.set(requestId, abort);
    let answer: ProxyAnswer;
    try {
      const options = JSON.parse(requestDetailsJson) as Record<string, unknown> & { extensions?: Record<string, unknown> };
      const override = options.extensions?.remoteDesktopClientOverride as { origin?: unknown; sameOriginWithAncestors?: unknown } | undefined;
      if (!override || typeof override.origin !== 'string') throw new Error('the proxy request carries no origin');
      const { remoteDesktopClientOverride: _o, ...extensions } = options.extensions!;
      options.extensions = extensions;
      answer = await handle({ kind, options, origin: override.origin, sameOriginWithAncestors: override.sameOriginWithAncestors !== false, signal: abort.signal });
    } catch (e) {
      answer = { error: { name: 'NotAllowedError', message: e instanceof Error ? e.message : String(e) } };
    }
    if (abort.signal.aborted) return; // the browser already canceled it
    inflight.delete(requestId);
    const done = { requestId, ...answer };
    await (kind === 'create' ? api.completeCreateRequest(done) : api.completeGetRequest(done)).catch(() => {});
  };
  const onCreate = on('create');
  const onGet = on('get');
  api.onCreateRequest.addListener((r) => void onCreate(r));
  api.onGetRequest.addListener((r) => void onGet(r));
  api.onRequestCanceled.addListener((requestId) => {
    inflight.get(requestId)?.abort();
    inflight.delete(requestId);
  });
  api.onIsUvpaaRequest.addListener(({ requestId }) => void api.completeIsUvpaaRequest({ requestId, isUvpaa: isUvpaa() }).catch(() => {}));
}
