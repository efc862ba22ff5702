// The MAIN-world shim (docs/design.md "Shim"): replaces create/get on CredentialsContainer.prototype and the
// PublicKeyCredential statics in this realm, for publicKey requests only. It keeps the originals for
// password/federated requests and for the fallback to the browser's own authenticators. No extension
// API, no dependencies beyond the page's own DOM; it does nothing until a page calls WebAuthn.
import { decode as fromB64u, encode as b64u } from '../webauthn/base64url.ts';
import type { RequestOptionsJSON } from '../webauthn/types.ts';
import type { ErrorJSON } from '../webauthn/errors.ts';
import { bufferSource, convertCreationOptions, convertCredentialOptions, convertRequestOptions, convertSignalOptions } from './webidl.ts';
import { buildCredential } from './results.ts';
import { clientCapabilities } from './capabilities.ts';
import { type CeremonyAnswer, DOOR_EVENT, REQUEST, type ShimRequest, type SignalAnswer, type SignalKind } from '../protocol/window.ts';

type Native = (this: CredentialsContainer, options?: unknown) => Promise<Credential | null>;
const installed = new WeakSet<object>();
/** How long getClientCapabilities() waits for the browser's own answer (hybridTransport) before going without. */
const NATIVE_CAPABILITIES_MS = 300;

/**
 * A CredentialsContainer method runs for its `this`, whatever realm the function came from:
 * `frame.contentWindow.CredentialsContainer.prototype.get.call(navigator.credentials, ...)` is a request
 * of the top document (Chromium answers it as one). For a container of another realm, use that realm's
 * own method, which is its shim where it has one (each frame's shim is a separate script instance, so
 * this one cannot know the others).
 */
function foreignMethod(self: unknown, kind: 'create' | 'get', own: unknown): Native | undefined {
  if (Object.prototype.toString.call(self) !== '[object CredentialsContainer]') return undefined;
  const method = (Object.getPrototypeOf(self) as Record<string, unknown> | null)?.[kind];
  return typeof method === 'function' && method !== own ? (method as Native) : undefined;
}

/**
 * Checks Firefox's own client makes before it asks any authenticator, where Chromium goes on (measured in
 * Firefox 153 and Chromium 156 by tests/e2e/differential.test.mjs): Keyport in Firefox answers as Firefox.
 */
function firefoxRequestChecks(w: typeof globalThis, o: RequestOptionsJSON): void {
  // An allowCredentials list with no "public-key" entry: NotAllowedError (Chromium treats it as empty).
  if (o.allowCredentials?.length && !o.allowCredentials.some((d) => d.type === 'public-key')) {
    throw new w.DOMException('The request is not allowed by the user agent or the platform in the current context.', 'NotAllowedError');
  }
  // credProps, a registration extension, whatever its value: NotSupportedError (Chromium refuses only true).
  if (o.extensions?.credProps !== undefined) throw new w.DOMException('Operation is not supported', 'NotSupportedError');
}

function toError(w: typeof globalThis, e: ErrorJSON): Error {
  if (e.name === 'TypeError') return new w.TypeError(e.message);
  return new w.DOMException(e.message, e.name);
}

/** Sends one request to the bridge of `host` (the window whose content scripts relay for this realm). */
function send<A = CeremonyAnswer>(host: Window, req: Omit<ShimRequest, 'keyport'>, signal?: AbortSignal): Promise<A> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (ev) => {
      port1.close();
      resolve(ev.data as A);
    };
    signal?.addEventListener('abort', () => port1.postMessage({ type: 'cancel' }), { once: true });
    host.postMessage({ keyport: REQUEST, ...req }, '*', [port2]);
  });
}

/**
 * The bridge answers synchronously (preventDefault) when Chromium's proxy door is attached. An event into the
 * bridge's isolated world costs about 5% of a whole sign-in (45 µs, measured in Chromium 156), so an answer is
 * remembered for a second: back-to-back requests ask once. The answer only routes: the bridge decides again for
 * every request that comes to it, and the page could answer this event itself anyway.
 */
const DOOR_MEMORY_MS = 1000;
function doorQuery(host: Window, now: () => number): () => boolean {
  let last: { proxy: boolean; at: number } | undefined;
  return () => {
    const t = now();
    if (last && t - last.at >= 0 && t - last.at < DOOR_MEMORY_MS) return last.proxy;
    const ev = new CustomEvent(DOOR_EVENT, { cancelable: true });
    host.dispatchEvent(ev);
    last = { proxy: ev.defaultPrevented, at: t };
    return last.proxy;
  };
}

/**
 * Whether a request is plainly a modal one: `mediation` absent or a modal enum value, and for get() no `uiMode`. On
 * Chromium's proxy door such a request goes to the browser as the page made it, read only for these two members;
 * anything else (conditional, immediate, a value to convert, a bad one) takes the full conversion (webidl.ts).
 */
function plainlyModal(options: unknown, kind: 'create' | 'get'): boolean {
  if (typeof options !== 'object' || options === null) return false;
  const o = options as { mediation?: unknown; uiMode?: unknown };
  const m = o.mediation;
  if (m !== undefined && m !== 'optional' && m !== 'required' && m !== 'silent') return false;
  return kind === 'create' || o.uiMode === undefined;
}

function abortReason(w: typeof globalThis, signal: AbortSignal): unknown {
  return signal.reason ?? new w.DOMException('The operation was aborted.', 'AbortError');
}

export function installShim(w: typeof globalThis, host: Window = w as unknown as Window): void {
  const CC = (w as unknown as { CredentialsContainer?: { prototype: CredentialsContainer } }).CredentialsContainer;
  if (!CC || installed.has(CC.prototype)) return;
  installed.add(CC.prototype);
  // The page's own performance.now may be replaced later; the shim keeps the original it found at document_start.
  const perf = (w as unknown as { performance: Performance }).performance;
  const proxyAttached = doorQuery(host, perf.now.bind(perf));
  const nativeCreate = CC.prototype.create as Native;
  const nativeGet = CC.prototype.get as Native;

  async function ceremony(self: CredentialsContainer, kind: 'create' | 'get', options: unknown, native: Native): Promise<Credential | null> {
    const parsed = convertCredentialOptions(options, kind);
    if (parsed.publicKey === undefined || parsed.other) return native.call(self, options);
    // Conditional mediation: autofill for get(), an upgrade after a password sign-in for create(). Chromium's
    // proxy carries neither as such (a conditional create reaches it as a modal one: measured), so both take this
    // door always; the background makes the upgrade only where the person allowed it (app/upgrades.ts).
    const conditional = parsed.mediation === 'conditional';
    // Immediate mediation (uiMode 'immediate'): Chromium's proxy receives it as a modal get (measured), so it takes
    // this door always. With conditional mediation it is Chromium's NotSupportedError (measured).
    const immediate = parsed.uiMode === 'immediate';
    if (immediate && conditional) throw new w.DOMException('Immediate uiMode is not compatible with conditional mediation.', 'NotSupportedError');
    if (!conditional && !immediate && proxyAttached()) return proxyDoor(self, options, native);
    const json = kind === 'create' ? convertCreationOptions(parsed.publicKey) : convertRequestOptions(parsed.publicKey);
    if (import.meta.env.FIREFOX && kind === 'get') firefoxRequestChecks(w, json);
    const signal = parsed.signal;
    if (signal?.aborted) throw abortReason(w, signal);
    const reply = await new Promise<CeremonyAnswer>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(abortReason(w, signal)), { once: true });
      send(host, { kind, options: json, ...(conditional ? { conditional } : {}), ...(immediate ? { immediate } : {}) }, signal).then(resolve, reject);
    });
    if (reply.type === 'original') {
      // A conditional get() for which Keyport holds no passkey goes to the browser's own autofill in Firefox. In
      // Chromium a proxy is attached (Keyport's, or another extension's that keeps Keyport on this door), and the
      // browser then refuses conditional requests at once (NotAllowedError in 6 ms, measured), which would tell the
      // page that Keyport is there and holds nothing for it (rule 7). Wait instead, as the browser's own autofill
      // does with nothing to offer, until the page aborts. A conditional create() Keyport did not take (no upgrade
      // allowed for the site) waits the same way: Chromium's own, with nothing to upgrade, stays pending (measured),
      // and with a proxy attached it would become a modal request in another authenticator's window.
      if (conditional && !import.meta.env.FIREFOX) {
        return new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(abortReason(w, signal)), { once: true }));
      }
      return native.call(self, options);
    }
    // Per-site control: Keyport steps aside on this site; the browser's own WebAuthn, untouched.
    if (reply.type === 'aside') return native.call(self, options);
    if (reply.type === 'error') throw toError(w, reply.error);
    return buildCredential(w, reply.credential, kind) as Credential;
  }

  /**
   * Chromium's proxy door: the browser does everything, its own reading of the options and its own errors included;
   * when Keyport steps aside, retry with the original. Only a refusal reads the options again (the browser has
   * already checked them): the challenge names the request to the background.
   */
  async function proxyDoor(self: CredentialsContainer, options: unknown, native: Native) {
    try {
      return await native.call(self, options);
    } catch (e) {
      if (!(e instanceof w.DOMException) || e.name !== 'NotAllowedError') throw e;
      let challenge: string;
      try {
        const o = options as { publicKey?: { challenge?: unknown }; signal?: AbortSignal };
        if (o.signal?.aborted) throw e;
        challenge = b64u(bufferSource(o.publicKey?.challenge, 'challenge'));
      } catch {
        throw e;
      }
      const check = await send(host, { kind: 'fallback-check', challenge });
      if (check.type !== 'original') throw e;
      try {
        return await native.call(self, options);
      } finally {
        // Answered once Keyport is attached again, so that the page's next request (often at once) reaches it.
        await send(host, { kind: 'fallback-done', challenge });
      }
    }
  }

  const methods = {
    // A container of another realm goes to that realm's method; anything else to the original, which
    // throws its "Illegal invocation".
    create(this: CredentialsContainer, options?: unknown): Promise<Credential | null> {
      if (!(this instanceof (CC as unknown as typeof CredentialsContainer))) return (foreignMethod(this, 'create', methods.create) ?? nativeCreate).call(this, options);
      if (plainlyModal(options, 'create') && proxyAttached()) return proxyDoor(this, options, nativeCreate);
      return ceremony(this, 'create', options, nativeCreate);
    },
    get(this: CredentialsContainer, options?: unknown): Promise<Credential | null> {
      if (!(this instanceof (CC as unknown as typeof CredentialsContainer))) return (foreignMethod(this, 'get', methods.get) ?? nativeGet).call(this, options);
      if (plainlyModal(options, 'get') && proxyAttached()) return proxyDoor(this, options, nativeGet);
      return ceremony(this, 'get', options, nativeGet);
    },
  };
  Object.defineProperty(CC.prototype, 'create', { ...Object.getOwnPropertyDescriptor(CC.prototype, 'create'), value: methods.create });
  Object.defineProperty(CC.prototype, 'get', { ...Object.getOwnPropertyDescriptor(CC.prototype, 'get'), value: methods.get });

  const PKC = (w as unknown as { PublicKeyCredential?: Record<string, unknown> }).PublicKeyCredential;
  if (PKC) {
    const nativeUvpaa = PKC.isUserVerifyingPlatformAuthenticatorAvailable as (() => Promise<boolean>) | undefined;
    const nativeCapabilities = PKC.getClientCapabilities as (() => Promise<unknown>) | undefined;
    const nativeConditional = PKC.isConditionalMediationAvailable as (() => Promise<boolean>) | undefined;
    /** Per-site control: whether Keyport steps aside on this site (the bridge answers from its hint). */
    const aside = () => send<CeremonyAnswer | SignalAnswer>(host, { kind: 'site' }).then((r) => r.type === 'aside');
    const statics = {
      // Keyport is a user-verifying authenticator (the master password) wherever it is set up.
      async isUserVerifyingPlatformAuthenticatorAvailable(): Promise<boolean> {
        return (await aside()) && nativeUvpaa ? nativeUvpaa.call(PKC) : true;
      },
      // Keyport answers conditional get() with its own autofill list (or the browser's, before setup).
      async isConditionalMediationAvailable(): Promise<boolean> {
        if (await aside()) return typeof nativeConditional === 'function' ? nativeConditional.call(PKC) : false;
        return true;
      },
      // What Keyport does, merged with what the browser's own authenticators add (capabilities.ts). The browser's
      // answer waits on the proxy's isUvpaa answer while a proxy is attached, which an extension holding it may
      // never give (measured in Chromium 156): wait for it only briefly. On an excluded site, the browser's own.
      async getClientCapabilities(): Promise<Record<string, boolean>> {
        if ((await aside()) && typeof nativeCapabilities === 'function') return nativeCapabilities.call(PKC) as Promise<Record<string, boolean>>;
        const own = typeof nativeCapabilities === 'function'
          ? Promise.race([Promise.resolve(nativeCapabilities.call(PKC)).catch(() => undefined), new Promise((r) => setTimeout(r, NATIVE_CAPABILITIES_MS))])
          : Promise.resolve(undefined);
        return own.then(clientCapabilities);
      },
    };
    installSignals(w, host, PKC);
    if (nativeUvpaa) Object.defineProperty(PKC, 'isUserVerifyingPlatformAuthenticatorAvailable', { configurable: true, writable: true, value: statics.isUserVerifyingPlatformAuthenticatorAvailable });
    Object.defineProperty(PKC, 'isConditionalMediationAvailable', { configurable: true, writable: true, value: statics.isConditionalMediationAvailable });
    Object.defineProperty(PKC, 'getClientCapabilities', { configurable: true, writable: true, value: statics.getClientCapabilities });
    // parseCreationOptionsFromJSON / parseRequestOptionsFromJSON: keep the browser's; provide them where missing.
    if (typeof PKC.parseCreationOptionsFromJSON !== 'function') {
      Object.defineProperty(PKC, 'parseCreationOptionsFromJSON', { configurable: true, writable: true, value: (j: PublicKeyCredentialCreationOptionsJSON) => parseCreationJSON(j) });
      Object.defineProperty(PKC, 'parseRequestOptionsFromJSON', { configurable: true, writable: true, value: (j: PublicKeyCredentialRequestOptionsJSON) => parseRequestJSON(j) });
    }
  }

  // A same-origin child realm (about:blank, srcdoc) created by the page gets the shim before the page
  // can touch its navigator.credentials; its requests go through this window's bridge.
  const IF = (w as unknown as { HTMLIFrameElement?: { prototype: HTMLIFrameElement } }).HTMLIFrameElement;
  if (IF) {
    for (const prop of ['contentWindow', 'contentDocument'] as const) {
      const desc = Object.getOwnPropertyDescriptor(IF.prototype, prop);
      if (!desc?.get) continue;
      const original = desc.get as (this: HTMLIFrameElement) => unknown;
      Object.defineProperty(IF.prototype, prop, {
        ...desc,
        get: {
          [prop](this: HTMLIFrameElement) {
            const value = original.call(this);
            try {
              const child = (prop === 'contentWindow' ? value : (value as Document | null)?.defaultView) as (typeof globalThis & Window) | null;
              if (child && child.location.origin === w.location.origin) installShim(child, host);
            } catch {
              // cross-origin child: its own content scripts cover it
            }
            return value;
          },
        }[prop],
      });
    }
  }
}

/**
 * PublicKeyCredential.signalUnknownCredential, signalAllAcceptedCredentials and signalCurrentUserDetails (WebAuthn
 * L3 §5.1.10), on both doors: Chromium's proxy does not carry them (measured in Chromium 156: with an extension
 * attached, the browser still answers them itself, as without one, and the extension hears nothing). Converted as
 * WebIDL does, validated and applied by the background (app/signals.ts); the page gets Keyport's answer, which
 * never depends on what the vault holds (docs/design.md rule 7). Where the browser has the method, it is called
 * afterwards with the same options so the browser's own passkey manager hears the site too; its answer is
 * not waited for. Firefox 153 has no signal methods: the shim adds them (a site can see that they exist, as it can
 * see getClientCapabilities' answer).
 */
function installSignals(w: typeof globalThis, host: Window, PKC: Record<string, unknown>): void {
  const methods: Record<string, SignalKind> = {
    signalUnknownCredential: 'unknownCredential',
    signalAllAcceptedCredentials: 'allAcceptedCredentials',
    signalCurrentUserDetails: 'currentUserDetails',
  };
  for (const [name, kind] of Object.entries(methods)) {
    const native = PKC[name] as ((this: unknown, options: unknown) => Promise<undefined>) | undefined;
    // A method (not an arrow) named as the browser's, with its length 1; a throw becomes a rejection, as WebIDL's.
    const replacement = {
      async [name](this: unknown, ...args: unknown[]): Promise<undefined> {
        if (args.length === 0) throw new w.TypeError(`Failed to execute '${name}' on 'PublicKeyCredential': 1 argument required, but only 0 present.`);
        const options = convertSignalOptions(kind, args[0]);
        const reply = await send<SignalAnswer>(host, { kind: 'signal', signal: kind, options });
        // An excluded site: the browser's own method (Firefox has none: the signal goes nowhere, as without Keyport's shim).
        if (reply.type === 'aside') return typeof native === 'function' ? native.call(PKC, options) : undefined;
        if (reply.type === 'error') throw toError(w, reply.error);
        // The converted dictionary, not the page's object: its getters run once, as for any call.
        if (typeof native === 'function') void native.call(PKC, options).catch(() => {});
        return undefined;
      },
    }[name]!;
    Object.defineProperty(replacement, 'length', { value: 1 });
    Object.defineProperty(PKC, name, { configurable: true, writable: true, enumerable: true, value: replacement });
  }
}

const bytes = (s: string) => fromB64u(s).buffer;
const descriptors = (list: PublicKeyCredentialDescriptorJSON[] | undefined) => list?.map((d) => ({ ...d, id: bytes(d.id) }));

function parseCreationJSON(j: PublicKeyCredentialCreationOptionsJSON) {
  return { ...j, challenge: bytes(j.challenge), user: { ...j.user, id: bytes(j.user.id) }, excludeCredentials: descriptors(j.excludeCredentials) ?? [] };
}

function parseRequestJSON(j: PublicKeyCredentialRequestOptionsJSON) {
  return { ...j, challenge: bytes(j.challenge), allowCredentials: descriptors(j.allowCredentials) ?? [] };
}
