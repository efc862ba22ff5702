// The ISOLATED-world bridge (DESIGN.md "Bridge"): relays between this frame's shim and the background,
// one port per ceremony. It accepts messages only from its own window, never adds or trusts an origin
// (the background takes it from the sender), and computes the frame facts the page cannot forge here.
import browser from 'webextension-polyfill';
import { CEREMONY_PORT, DOOR_KEY } from '../app/messages.ts';
import { DOOR_EVENT, REQUEST, type BridgeReply, type ShimRequest } from '../shim/shim.ts';

function sameOriginWithAncestors(): boolean {
  let w: Window = window;
  while (w !== w.parent) {
    try {
      if (w.parent.location.origin !== window.location.origin) return false;
    } catch {
      return false;
    }
    w = w.parent;
  }
  return true;
}

/** Permissions Policy (publickey-credentials-create/-get) as this document sees it. */
function framePermitted(kind: 'create' | 'get'): boolean {
  const feature = kind === 'create' ? 'publickey-credentials-create' : 'publickey-credentials-get';
  const policy = (document as unknown as { featurePolicy?: { allowsFeature(f: string): boolean }; permissionsPolicy?: { allowsFeature(f: string): boolean } }).permissionsPolicy
    ?? (document as unknown as { featurePolicy?: { allowsFeature(f: string): boolean } }).featurePolicy;
  if (policy?.allowsFeature) return policy.allowsFeature(feature);
  return false;
}

export function startBridge(): void {
  // Which door is open, from storage.local: reading it does not wake the background on every page load.
  let door: 'proxy' | 'shim' | undefined;
  const doorKnown = browser.storage.local
    .get(DOOR_KEY)
    .then((r) => (door = r[DOOR_KEY] === 'proxy' ? 'proxy' : 'shim'))
    .catch(() => (door = 'shim'));
  browser.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && changes[DOOR_KEY]) door = changes[DOOR_KEY].newValue === 'proxy' ? 'proxy' : 'shim';
  });

  window.addEventListener(DOOR_EVENT, (ev) => {
    if (door === 'proxy') ev.preventDefault();
  });

  window.addEventListener('message', (ev: MessageEvent) => {
    if (ev.source !== window) return;
    const data = ev.data as ShimRequest | undefined;
    if (!data || data.keyport !== REQUEST || !ev.ports[0]) return;
    void handle(data, ev.ports[0]);
  });

  async function handle(req: ShimRequest, pagePort: MessagePort): Promise<void> {
    const reply = (r: BridgeReply) => {
      pagePort.postMessage(r);
      pagePort.close();
    };
    if (req.kind === 'fallback-check' || req.kind === 'fallback-done') {
      const ok = await browser.runtime.sendMessage({ type: req.kind, challenge: String(req.challenge) }).catch(() => false);
      reply(ok ? { type: 'original' } : { type: 'error', error: { name: 'NotAllowedError', message: 'no fallback' } });
      return;
    }
    await doorKnown;
    if (door === 'proxy') return reply({ type: 'original' });
    const kind = req.kind;
    const port = browser.runtime.connect({ name: CEREMONY_PORT });
    let done = false;
    port.onMessage.addListener((msg) => {
      done = true;
      reply(msg as BridgeReply);
      port.disconnect();
    });
    port.onDisconnect.addListener(() => {
      if (!done) reply({ type: 'error', error: { name: 'NotAllowedError', message: 'Keyport stopped before answering.' } });
    });
    pagePort.onmessage = (ev) => {
      if ((ev.data as { type?: string })?.type === 'cancel' && !done) {
        done = true;
        port.disconnect();
      }
    };
    port.postMessage({ kind, options: req.options, frame: { sameOriginWithAncestors: sameOriginWithAncestors(), framePermitted: framePermitted(kind) } });
  }
}
