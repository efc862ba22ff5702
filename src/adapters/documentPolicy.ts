// The Permissions-Policy header of each document, for a browser whose documents do not expose their policy to
// content scripts (Firefox 153 has neither document.permissionsPolicy nor featurePolicy). webRequest sees every
// main_frame and sub_frame response; the WebAuthn directives of its header are kept by tab and frame until that
// frame loads another document or its tab closes. Only documents that name a WebAuthn feature are kept, in
// memory and in storage.session (Firefox's MV3 background is an event page that may be unloaded between a
// page's load and its request). A document loaded before Keyport started is unknown and counts as having
// sent no header; its embedders' <iframe allow> is still checked (app/doors/callers.ts).
import browser, { type WebRequest } from 'webextension-polyfill';
import { type DeclaredPolicy, parsePermissionsPolicy } from '../webauthn/client/permissionsPolicy.ts';
import { STORAGE } from '../protocol/storage.ts';

const KEY = STORAGE.documentPolicies.name;

/** A document's declared policy (its Permissions-Policy header), by tab and frame; undefined when it sent none. */
export type DeclaredPolicies = (tabId: number, frameId: number) => Promise<DeclaredPolicy | undefined>;
type Stored = Record<string, DeclaredPolicy>;

export function watchDocumentPolicies(): DeclaredPolicies | undefined {
  const onHeaders = (browser.webRequest as typeof browser.webRequest | undefined)?.onHeadersReceived;
  if (!onHeaders) return undefined;
  let policies: Promise<Stored> = browser.storage.session.get(KEY).then((r) => (r[KEY] as Stored | undefined) ?? {}, () => ({}));
  const change = (f: (p: Stored) => boolean) => {
    policies = policies.then(async (p) => {
      if (f(p)) await browser.storage.session.set({ [KEY]: p }).catch(() => {});
      return p;
    });
  };

  onHeaders.addListener(
    (details: WebRequest.OnHeadersReceivedDetailsType) => {
      if (details.tabId < 0) return;
      const key = `${details.tabId}:${details.frameId}`;
      const header = (details.responseHeaders ?? [])
        .filter((h) => h.name.toLowerCase() === 'permissions-policy' && h.value !== undefined)
        .map((h) => h.value)
        .join(', ');
      const declared = header ? parsePermissionsPolicy(header) : undefined;
      const named = declared && Object.keys(declared).length > 0 ? declared : undefined;
      change((p) => {
        // A new document in a top frame replaces every frame of the tab; in a subframe, that frame only.
        let changed = false;
        for (const k of Object.keys(p)) {
          if (k === key || (details.frameId === 0 && k.startsWith(`${details.tabId}:`))) {
            delete p[k];
            changed = true;
          }
        }
        if (named) p[key] = named;
        return changed || !!named;
      });
    },
    { urls: ['<all_urls>'], types: ['main_frame', 'sub_frame'] },
    ['responseHeaders'],
  );
  browser.tabs.onRemoved.addListener((tabId) =>
    change((p) => {
      const gone = Object.keys(p).filter((k) => k.startsWith(`${tabId}:`));
      for (const k of gone) delete p[k];
      return gone.length > 0;
    }),
  );
  return async (tabId, frameId) => (await policies)[`${tabId}:${frameId}`];
}
