// Pages an attacker (or a site's own untrusted content) would serve, for the red-team E2E suite
// (tests/e2e/redteam.test.mjs): one https relying party (rp.mjs, verified by @simplewebauthn/server) that
// also serves, on every host name the certificate covers, pages with hostile headers and frames.
//
// Every page carries the same in-page harness (window.rt, HARNESS below): the test drives a request in the
// page or in any frame below it by a path of frame indexes, relayed by postMessage, so the same code reaches
// sandboxed, opaque-origin, data: and cross-origin frames in Chromium and Firefox alike.
//
// Pages (GET; any host of the certificate):
//   /probe                     the harness alone
//   /probe?csp=sandbox         served with `Content-Security-Policy: sandbox allow-scripts` (an opaque origin)
//   /probe?pp=deny             served with `Permissions-Policy: publickey-credentials-get=(), publickey-credentials-create=()`
//   /embed?src=&sandbox=&allow=  the harness and one <iframe> (attributes present only when given); src=data
//                              embeds a data: document carrying the harness, src=srcdoc a srcdoc one
//   /autofill-probe            a sign-in form with an `autocomplete="username webauthn"` field and window.observe()
//                              (see OBSERVE below)
//   ?csp=sandbox, ?pp=deny give any of these pages those headers; ?csp=sandbox-same-origin adds allow-same-origin
//   to the sandbox, ?pp=self serves `publickey-credentials-get=(self), publickey-credentials-create=(self)`

import { startRelyingParty } from './rp.mjs';

/** Headers of the hostile pages. */
export const CSP_SANDBOX = 'sandbox allow-scripts';
export const PP_DENY = 'publickey-credentials-get=(), publickey-credentials-create=()';
export const PP_SELF = 'publickey-credentials-get=(self), publickey-credentials-create=(self)';

/**
 * The in-page harness, installed as window.rt in every page and frame:
 *   rt.call(path, msg)  run msg in the window at `path` (frame indexes from this window: [] = here, [0, 0] = the
 *                       first frame's first frame; 'popup' = the window it opened), relayed by postMessage; resolves
 *                       with the answer
 *   msg {cmd: 'open', url}, {cmd: 'close'}              opens (window.open) or closes the window of the step 'popup'
 *   msg {cmd: 'ping'}                                   -> {origin: window.origin, href}
 *   msg {cmd: 'start', slot, kind, rpId?, mediation?}   starts a create()/get() (ES256, discoverable, a random
 *                                                       challenge; rpId omitted when undefined)
 *   msg {cmd: 'button', slot, kind, ...}                a button #rt-<slot> that starts it when clicked (the
 *                                                       person's activation)
 *   msg {cmd: 'result', slot, waitMs}                   its outcome: {ok: true, type, id, clientData} or
 *                                                       {ok: false, name}; {ok: false, name: 'pending'} when it
 *                                                       has not settled after waitMs (it is then aborted)
 */
export const HARNESS = `(() => {
  const rand = (n) => crypto.getRandomValues(new Uint8Array(n));
  const pending = {};
  const local = {
    ping: () => ({ origin: window.origin, href: location.href }),
    start({ slot, kind, rpId, mediation }) {
      const ctl = new AbortController();
      const publicKey = kind === 'create'
        ? { rp: { name: 'Red team', ...(rpId !== undefined ? { id: rpId } : {}) },
            user: { id: rand(16), name: 'mallory', displayName: 'Mallory' }, challenge: rand(32),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' } }
        : { challenge: rand(32), userVerification: 'discouraged', ...(rpId !== undefined ? { rpId } : {}) };
      let p;
      try {
        p = navigator.credentials[kind]({ publicKey, signal: ctl.signal, ...(mediation ? { mediation } : {}) });
      } catch (e) {
        p = Promise.reject(e);
      }
      const outcome = Promise.resolve(p).then((c) => {
        if (!c) return { ok: true, type: null };
        let clientData = null;
        try { clientData = JSON.parse(new TextDecoder().decode(c.response.clientDataJSON)); } catch {}
        return { ok: true, type: c.type, id: c.id, clientData };
      }, (e) => ({ ok: false, name: e?.name ?? String(e), message: String(e?.message ?? e) }));
      pending[slot] = { outcome, ctl };
      return { started: true };
    },
    // A button that starts the request when clicked: a request with the person's activation.
    button(msg) {
      const b = document.createElement('button');
      b.id = 'rt-' + msg.slot;
      b.textContent = 'Go';
      b.onclick = () => local.start(msg);
      document.body.prepend(b);
      return { button: b.id };
    },
    // A window this one opens (it inherits a sandbox's flags): reached as the path step 'popup'.
    open({ url }) {
      window.__popup = window.open(url, '_blank');
      return { opened: !!window.__popup };
    },
    close() {
      window.__popup?.close();
      return { closed: true };
    },
    async result({ slot, waitMs }) {
      const s = pending[slot];
      if (!s) return { ok: false, name: 'no such request' };
      const r = await Promise.race([s.outcome, new Promise((res) => setTimeout(() => res(null), waitMs))]);
      if (r) return r;
      s.ctl.abort();
      return { ok: false, name: 'pending' };
    },
  };
  let next = 0;
  const waiting = {};
  const call = (path, msg) => {
    if (!path.length) return Promise.resolve(local[msg.cmd](msg));
    const id = 'rt' + (next++) + Math.random();
    const target = path[0] === 'popup' ? window.__popup : window.frames[path[0]];
    if (!target) return Promise.resolve({ ok: false, name: 'no frame ' + path[0] });
    return new Promise((resolve) => {
      waiting[id] = resolve;
      target.postMessage({ rt: id, path: path.slice(1), msg }, '*');
    });
  };
  window.addEventListener('message', async (ev) => {
    const d = ev.data;
    if (!d || typeof d.rt !== 'string') return;
    if ('answer' in d) {
      waiting[d.rt]?.(d.answer);
      delete waiting[d.rt];
      return;
    }
    let answer;
    try {
      answer = await call(d.path, d.msg);
    } catch (e) {
      answer = { ok: false, name: 'harness: ' + String(e?.message ?? e) };
    }
    ev.source.postMessage({ rt: d.rt, answer }, '*');
  });
  window.rt = { call };
})();`;

/**
 * The autofill probe, in a page with `<input id=field autocomplete="username webauthn">`: window.observe(opts)
 * focuses the field from script (unless opts.noFocus), starts a conditional get() for opts.rpId, presses, clicks and
 * types on the field by script (untrusted events) and records for opts.ms (default 1500) everything a page can see: mutations of the document (the documentElement's children
 * included), element counts, every element's box, the focus and window blur/focus events, what is under the
 * field, and whether the request settled. window.hostBox() gives the box of an element Keyport added to the
 * documentElement (or null); window.abortProbe() ends the request.
 */
const OBSERVE = `
(() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height].map(Math.round).join(','); };
  const name = (n) => n.nodeName + (n.id ? '#' + n.id : '');
  let ctl;
  window.abortProbe = () => ctl?.abort();
  window.hostBox = () => {
    const extra = [...document.documentElement.children].filter((e) => e !== document.head && e !== document.body);
    return extra.length ? { count: extra.length, box: box(extra[0]), tag: extra[0].tagName } : null;
  };
  window.observe = async ({ rpId, ms = 1500, noFocus = false } = {}) => {
    const field = document.getElementById('field');
    const log = [];
    const seen = [];
    const mo = new MutationObserver((records) => {
      for (const r of records) {
        seen.push([r.type, name(r.target), [...r.addedNodes].map(name).join('+'), [...r.removedNodes].map(name).join('+'), r.attributeName ?? ''].join(' '));
      }
    });
    mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    mo.observe(document.documentElement, { childList: true, attributes: true });
    const on = (target, label) => ['focus', 'blur', 'focusin', 'focusout', 'visibilitychange'].forEach((t) =>
      target.addEventListener(t, () => log.push(label + ':' + t), true));
    on(window, 'window');
    on(field, 'field');
    const before = { elements: document.querySelectorAll('*').length };
    if (!noFocus) field.focus();
    ctl = new AbortController();
    let settled = 'pending';
    navigator.credentials.get({ mediation: 'conditional', signal: ctl.signal,
      publicKey: { challenge: crypto.getRandomValues(new Uint8Array(32)), rpId, userVerification: 'preferred' } })
      .then((c) => { settled = 'credential ' + c?.type; }, (e) => { if (settled === 'pending') settled = e.name; });
    // The page's own presses, clicks and keys on the field: events it makes are untrusted, and must open nothing.
    await new Promise((r) => setTimeout(r, 200));
    for (const type of ['pointerdown', 'mousedown', 'pointerup', 'mouseup']) field.dispatchEvent(new PointerEvent(type, { bubbles: true, composed: true }));
    field.click();
    for (const key of ['a', 'ArrowDown', 'Enter']) field.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, composed: true }));
    await new Promise((r) => setTimeout(r, ms - 200));
    mo.disconnect();
    const r = field.getBoundingClientRect();
    const under = document.elementFromPoint(r.left + 10, r.bottom + 12);
    return {
      settled,
      mutations: seen,
      events: log,
      elements: [before.elements, document.querySelectorAll('*').length],
      htmlChildren: document.documentElement.childElementCount,
      bodyChildren: document.body.childElementCount,
      boxes: [...document.querySelectorAll('*')].map((e) => name(e) + '@' + box(e)),
      active: document.activeElement ? name(document.activeElement) : null,
      hasFocus: document.hasFocus(),
      under: under ? name(under) : null,
      host: window.hostBox(),
    };
  };
})();`;

const page = (title, body, headers = {}) => ({
  headers,
  body: `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body>
<h1>${title}</h1>
${body}
<script>${HARNESS}</script>
</body></html>`,
});

/** @param {string} s */
const esc = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A data: document carrying the harness (an opaque origin by definition). */
export const DATA_DOCUMENT = `data:text/html,${encodeURIComponent(`<!doctype html><title>data</title><p>data: document</p><script>${HARNESS}</script>`)}`;

/** A srcdoc document carrying the harness (its origin is its embedder's, or opaque in a sandbox). */
const SRCDOC = `<!doctype html><title>srcdoc</title><p>srcdoc document</p><script>${HARNESS}</script>`;

/**
 * @param {URL} url
 * @returns {{headers?: Record<string, string>, body: string} | undefined}
 */
function hostilePages(url) {
  const q = url.searchParams;
  const headers = {};
  if (q.get('csp') === 'sandbox') headers['content-security-policy'] = CSP_SANDBOX;
  if (q.get('csp') === 'sandbox-same-origin') headers['content-security-policy'] = `${CSP_SANDBOX} allow-same-origin`;
  if (q.get('pp') === 'deny') headers['permissions-policy'] = PP_DENY;
  if (q.get('pp') === 'self') headers['permissions-policy'] = PP_SELF;
  if (url.pathname === '/probe') return page(`probe ${q}`, '<p>probe</p>', headers);
  if (url.pathname === '/embed') {
    const src = q.get('src') ?? '/probe';
    const attrs = [src === 'srcdoc' ? `srcdoc="${esc(SRCDOC)}"` : `src="${esc(src === 'data' ? DATA_DOCUMENT : src)}"`];
    for (const a of ['sandbox', 'allow']) if (q.has(a)) attrs.push(`${a}="${esc(q.get(a) ?? '')}"`);
    return page(`embed ${q}`, `<iframe ${attrs.join(' ')} width="500" height="200"></iframe>`, headers);
  }
  if (url.pathname === '/autofill-probe') {
    return page('sign in', `<form onsubmit="return false">
<label>Username <input id="field" name="username" autocomplete="username webauthn"></label>
<label>Password <input id="password" type="password" autocomplete="current-password"></label>
<button id="submit">Sign in</button>
</form>
<p id="tail">Forgot your password?</p>
<script>${OBSERVE}</script>`, headers);
  }
  return undefined;
}

/**
 * The relying party (rp.mjs: `/`, the demo page with window.rp; `/login/*`, `/register/*` verified by
 * @simplewebauthn/server) with the hostile pages above, on `host` (its origin) and every other host the
 * certificate names (the server does not look at the Host header).
 * @param {object} opts
 * @param {{key: string, cert: string}} opts.cert
 * @param {string} opts.host   e.g. 'mail.example.test'
 * @param {string} opts.rpID   e.g. 'example.test'
 */
export function startHostileSite({ cert, host, rpID }) {
  return startRelyingParty({ https: cert, host, rpID, pages: hostilePages });
}
