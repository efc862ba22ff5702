// The ISOLATED-world bridge (docs/design.md "Bridge"): relays between this frame's shim and the background,
// one port per ceremony. It accepts messages only from its own window, never adds or trusts an origin
// (the background takes it from the sender), and computes the frame facts the page cannot forge here.
// It runs in every frame of every page, so it stays small: the browser's own promise-based API (no
// polyfill) and a hand-written check of its one incoming message (no schema library). npm run bench
// measured 1.2 ms to evaluate it with both.
import { browser } from 'wxt/browser';
import { CEREMONY_PORT, FRAME_POLICY, type FramePolicyAnswer, type FramePolicyQuery, type PortMessage, SIGNAL_PORT } from '../protocol/bridge.ts';
import { type CeremonyAnswer, DOOR_EVENT, REQUEST, type ShimRequest, type SignalAnswer } from '../protocol/window.ts';
import { STORAGE } from '../protocol/storage.ts';
import { type SiteHint, readHint, stepsAside } from '../protocol/sites.ts';
import { type AutofillFrame, autofillFrame } from './autofillFrame.ts';

/**
 * Compares the windows' own origins (`window.origin`), not their URLs' (`location.origin`): an about:blank
 * or srcdoc frame inherits its creator's origin, yet its location.origin is "null" (HTML §7.10.5).
 */
function sameOriginWithAncestors(): boolean {
  let w: Window = window;
  while (w !== w.parent) {
    try {
      if (w.parent.origin !== window.origin) return false;
    } catch {
      return false;
    }
    w = w.parent;
  }
  return true;
}

/**
 * Permissions Policy (publickey-credentials-create/-get) as this document sees it, or null where the
 * document does not expose it (Firefox 153 has neither document.permissionsPolicy nor featurePolicy):
 * then the background asks the embedding frame's bridge (delegatesTo below).
 */
function framePermitted(kind: 'create' | 'get'): boolean | null {
  const feature = kind === 'create' ? 'publickey-credentials-create' : 'publickey-credentials-get';
  const policy = (document as unknown as { featurePolicy?: { allowsFeature(f: string): boolean }; permissionsPolicy?: { allowsFeature(f: string): boolean } }).permissionsPolicy
    ?? (document as unknown as { featurePolicy?: { allowsFeature(f: string): boolean } }).featurePolicy;
  if (policy?.allowsFeature) return policy.allowsFeature(feature);
  return null;
}

/**
 * The container policy of one of this document's frames (Permissions Policy §"allow" attribute): whether
 * its allow attribute delegates `feature` to `origin`. Without a directive for the feature the default
 * allowlist of publickey-credentials-* applies, 'self' (this document's origin); a directive without an
 * allowlist means 'src' (the origin of the iframe's src). Read here, in the isolated world, from the
 * element the browser itself matches to the frame (runtime.getFrameId), not from anything the embedded
 * page says. Like the browser, it does not see a Permissions-Policy header of this document.
 */
function delegatesTo(frame: HTMLIFrameElement, feature: string, origin: string): boolean {
  const self = window.origin; // an about:blank or srcdoc embedder has its creator's origin (see above)
  const src = frame.hasAttribute('srcdoc') || !frame.src ? self : new URL(frame.src).origin;
  for (const directive of (frame.getAttribute('allow') ?? '').split(';')) {
    const [name, ...allowlist] = directive.trim().split(/\s+/);
    if (name !== feature) continue;
    return (allowlist.length ? allowlist : ["'src'"]).some((item) => {
      if (item === '*') return true;
      if (item === "'self'") return origin === self;
      if (item === "'src'") return origin === src;
      if (item === "'none'") return false;
      try {
        return new URL(item).origin === origin;
      } catch {
        return false;
      }
    });
  }
  return origin === self;
}

function isFramePolicyQuery(raw: unknown): raw is FramePolicyQuery {
  const q = raw as Partial<FramePolicyQuery> | null;
  return (
    typeof q === 'object' && q !== null && q.type === FRAME_POLICY && Number.isInteger(q.frameId) && typeof q.origin === 'string' &&
    (q.feature === 'publickey-credentials-create' || q.feature === 'publickey-credentials-get')
  );
}

/** This document's host and, where the browser tells (Chromium's location.ancestorOrigins), its top-level document's. */
function hosts(): string[] {
  const of = (origin: string | undefined) => {
    try {
      return origin && origin !== 'null' ? new URL(origin).hostname : '';
    } catch {
      return '';
    }
  };
  const ancestors = (location as { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  return [of(window.origin), of(ancestors?.length ? ancestors[ancestors.length - 1] : undefined)];
}

export function startBridge(): void {
  // Which door is open and where Keyport steps aside (per-site control), from storage.local: reading them does not
  // wake the background on every page load. Only hints: the background decides every request it receives.
  let door: 'proxy' | 'shim' | undefined;
  let sites: SiteHint | undefined;
  const doorKnown = browser.storage.local
    .get([STORAGE.door.name, STORAGE.siteHint.name])
    .then((r) => {
      door = r[STORAGE.door.name] === 'proxy' ? 'proxy' : 'shim';
      sites = readHint(r[STORAGE.siteHint.name]);
    })
    .catch(() => (door = 'shim'));
  browser.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local') return;
    const change = changes[STORAGE.door.name];
    if (change) door = change.newValue === 'proxy' ? 'proxy' : 'shim';
    const hint = changes[STORAGE.siteHint.name];
    if (hint) sites = readHint(hint.newValue);
  });
  const aside = () => stepsAside(sites, hosts(), Date.now());

  // Firefox: the background asks which frame embeds a requesting frame, and whether it delegated WebAuthn
  // to it (see framePermitted). Only the bridge holding that <iframe> element answers; the others stay silent.
  const getFrameId = (browser.runtime as unknown as { getFrameId?: (target: unknown) => number }).getFrameId;
  browser.runtime.onMessage.addListener((raw: unknown, _sender: unknown, sendResponse: (a: FramePolicyAnswer) => void) => {
    if (!isFramePolicyQuery(raw) || !getFrameId) return false;
    const frame = [...document.querySelectorAll('iframe')].find((f) => {
      try {
        return getFrameId(f) === raw.frameId;
      } catch {
        return false; // not loaded yet
      }
    });
    if (!frame) return false;
    sendResponse({ allowed: delegatesTo(frame, raw.feature, raw.origin), embedder: { frameId: getFrameId(window), origin: window.origin } });
    return false;
  });

  // The proxy door carries this frame's modal requests only if the frame is same-origin with its ancestors: for a
  // cross-origin frame Chromium's proxy does not tell the extension the top origin, which the client data must
  // carry (§5.1.3 topOrigin), so such a frame takes the page-script door, where the tab's URL gives it.
  const proxyCarries = () => door === 'proxy' && sameOriginWithAncestors();
  window.addEventListener(DOOR_EVENT, (ev) => {
    if (proxyCarries()) ev.preventDefault();
  });

  window.addEventListener('message', (ev: MessageEvent) => {
    if (ev.source !== window) return;
    const data = ev.data as ShimRequest | undefined;
    if (!data || data.keyport !== REQUEST || !ev.ports[0]) return;
    void handle(data, ev.ports[0]);
  });

  async function handle(req: ShimRequest, pagePort: MessagePort): Promise<void> {
    const reply = (r: CeremonyAnswer | SignalAnswer) => {
      pagePort.postMessage(r);
      pagePort.close();
    };
    if (req.kind === 'fallback-check' || req.kind === 'fallback-done') {
      const ok: unknown = await browser.runtime.sendMessage({ type: req.kind, challenge: String(req.challenge), origin: window.origin }).catch(() => false);
      reply(ok ? { type: 'original' } : { type: 'error', error: { name: 'NotAllowedError', message: 'no fallback' } });
      return;
    }
    await doorKnown;
    // Per-site control: on an excluded site (or while paused) the browser's own WebAuthn answers, as if Keyport were
    // not installed. On Chromium's proxy door a modal request goes to the browser first anyway, and the background
    // steps aside there (doors/proxy.ts).
    if (req.kind === 'site') return reply(aside() ? { type: 'aside' } : { type: 'done' });
    if (req.kind === 'signal') return aside() ? reply({ type: 'aside' }) : signal(req, reply);
    // Conditional: autofill for a get, an upgrade for a create (the background decides both).
    const conditional = req.conditional === true;
    const immediate = req.immediate === true && req.kind === 'get';
    // Chromium's proxy carries modal requests only (an immediate one reaches it as modal: measured); autofill and
    // immediate requests come this way through either door.
    if (proxyCarries() && !conditional && !immediate) return reply({ type: 'original' });
    if (aside()) return reply({ type: 'aside' });
    const kind = req.kind;
    const port = browser.runtime.connect({ name: CEREMONY_PORT });
    let done = false;
    let list: AutofillFrame | undefined;
    const finish = () => {
      done = true;
      list?.remove();
    };
    port.onMessage.addListener((raw) => {
      // From the background, which this port reaches only (runtime.connect): a PortMessage.
      const msg = raw as PortMessage;
      if (msg.type === 'autofill') {
        if (!conditional || req.kind !== 'get' || typeof msg.id !== 'string' || !Number.isInteger(msg.rows)) return;
        list ??= autofillFrame(browser.runtime.getURL(`/autofill.html#${encodeURIComponent(msg.id)}` as '/autofill.html'));
        list.update(msg.rows);
        return;
      }
      finish();
      reply(msg);
      port.disconnect();
    });
    port.onDisconnect.addListener(() => {
      if (done) return;
      finish();
      reply({ type: 'error', error: { name: 'NotAllowedError', message: 'Keyport stopped before answering.' } });
    });
    pagePort.onmessage = (ev) => {
      if ((ev.data as { type?: string })?.type === 'cancel' && !done) {
        finish();
        port.disconnect();
      }
    };
    // window.origin: "null" for a sandboxed document, which the background refuses where the browser's sender
    // information has no origin of its own (Firefox): read here, in the isolated world, not from the page.
    // Transient activation is the document's, whichever world reads it; the shim's message arrives within
    // milliseconds of the page's call, well inside the browsers' activation window (5 s).
    const transientActivation = (navigator as { userActivation?: { isActive: boolean } }).userActivation?.isActive ?? false;
    const frame = { origin: window.origin, sameOriginWithAncestors: sameOriginWithAncestors(), framePermitted: framePermitted(kind), transientActivation };
    port.postMessage({ kind, options: req.options, frame, ...(conditional ? { conditional } : {}), ...(immediate ? { immediate } : {}) });
  }

  /** A PublicKeyCredential.signal* call, on either door (Chromium's proxy does not carry signals): one port, one answer. */
  function signal(req: ShimRequest, reply: (r: SignalAnswer) => void): void {
    const port = browser.runtime.connect({ name: SIGNAL_PORT });
    let done = false;
    port.onMessage.addListener((raw) => {
      done = true;
      reply(raw as SignalAnswer); // from the background, which this port reaches only
      port.disconnect();
    });
    port.onDisconnect.addListener(() => {
      if (!done) reply({ type: 'error', error: { name: 'NotAllowedError', message: 'Keyport stopped before answering.' } });
    });
    port.postMessage({ signal: req.signal, options: req.options, frame: { origin: window.origin, sameOriginWithAncestors: sameOriginWithAncestors() } });
  }
}
