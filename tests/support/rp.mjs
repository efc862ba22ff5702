// A real WebAuthn relying party for end-to-end tests: plain node:http plus
// @simplewebauthn/server, users and credentials kept in memory.
//
//   const rp = await startRelyingParty();            // http://localhost:<port>
//   await page.goto(rp.origin + '/');
//   await page.evaluate(() => rp.register('alice')); // in the page: window.rp
//   await rp.close();
//
// Endpoints (JSON POST unless noted):
//   /register/options {userName, residentKey?, excludeCredentials?, attestation?, userVerification?, timeout?}
//   /register/verify  {userName, response}  -> {verified, credentialId, userName, fmt, aaguid,
//                                               userVerified, counter, origin, topOrigin, ...}
//   /login/options    {userName?, userVerification?, timeout?}  (no userName: discoverable)
//   /login/verify     {response}            -> {verified, userName, credentialId, newCounter,
//                                               userVerified, origin, topOrigin}
//   GET /             demo page exposing window.rp (see PAGE_SCRIPT)
//   GET /strict       the demo page under a strict CSP (frame-src 'none')
//   GET /blank        empty HTML page
//   GET /frame?src=URL&allow=...   page embedding <iframe id=frame src=URL allow=...>; see frameUrl()
//   GET /state        {users: [{userName, credentials: [{id, counter}]}]} (for assertions)
//   GET anything else: the `pages` option, if given (e.g. pages served with hostile headers)
// Errors answer HTTP 400 {verified: false, error}.

import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';

/**
 * @typedef {object} RelyingParty
 * @property {string} origin  e.g. "http://localhost:41234" (no trailing slash)
 * @property {number} port
 * @property {string} rpID
 * @property {Map<string, User>} users  live in-memory store, for assertions
 * @property {(c: {userName: string, userId?: Uint8Array, credentialId: string, publicKey: Uint8Array,
 *            counter?: number}) => void} seedCredential
 *           a passkey the user registered earlier elsewhere (another manager): credentialId base64url,
 *           publicKey a COSE_Key
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} User
 * @property {string} userName
 * @property {Uint8Array<ArrayBuffer>} id
 * @property {Array<import('@simplewebauthn/server').WebAuthnCredential>} credentials
 */

/**
 * Start a relying party.
 * @param {object} [opts]
 * @param {number} [opts.port=0]            0 = pick a free port
 * @param {string} [opts.host='localhost']  host name used in the origin
 * @param {string} [opts.rpID=host]         WebAuthn RP ID (e.g. 'example.test' for host 'login.example.test')
 * @param {string} [opts.listenHost='127.0.0.1'] address actually bound
 * @param {{key: string, cert: string}} [opts.https]  serve HTTPS with this key/cert (see certs.mjs)
 * @param {string[]} [opts.extraOrigins=[]]  further origins accepted in clientDataJSON
 *                                           (e.g. a page on another port calling this RP)
 * @param {string[]} [opts.topOrigins]  top origins accepted for sign-ins from cross-origin
 *                                      iframes; default: any
 * @param {string} [opts.rpName='Keyport Test RP']
 * @param {(url: URL, req: import('node:http').IncomingMessage) =>
 *          ({headers?: Record<string, string>, body: string} | undefined)} [opts.pages]
 *        further GET pages on the same origins: an HTML body with its own response headers, or undefined (404)
 * @returns {Promise<RelyingParty>}
 */
export async function startRelyingParty({
  port = 0,
  host = 'localhost',
  rpID = host,
  listenHost = '127.0.0.1',
  https: tls,
  extraOrigins = [],
  topOrigins,
  rpName = 'Keyport Test RP',
  pages,
} = {}) {
  /** @type {Map<string, User>} */
  /** @type {Map<string, User>} */
  const users = new Map();
  const regChallenges = new Map(); // challenge -> userName
  const loginChallenges = new Set();
  let origin = '';
  const expectedOrigins = () => [origin, ...extraOrigins];

  const getUser = (userName) => {
    if (!users.has(userName)) {
      users.set(userName, { userName, id: Uint8Array.from(randomBytes(16)), credentials: [] });
    }
    return users.get(userName);
  };
  const findCredential = (id) => {
    for (const user of users.values()) {
      const credential = user.credentials.find((c) => c.id === id);
      if (credential) return { user, credential };
    }
    return {};
  };

  /** @type {Record<string, (body: any) => Promise<any>>} */
  const api = {
    async '/register/options'({ userName, residentKey = 'preferred', excludeCredentials = false,
      attestation = 'none', userVerification = 'preferred', timeout }) {
      if (!userName) throw new Error('userName required');
      const user = getUser(userName);
      const options = await generateRegistrationOptions({
        rpName, rpID, userName, userID: user.id, userDisplayName: userName,
        attestationType: attestation,
        authenticatorSelection: { residentKey, userVerification },
        ...(timeout !== undefined ? { timeout } : {}),
        excludeCredentials: excludeCredentials
          ? user.credentials.map((c) => ({ id: c.id, transports: c.transports }))
          : [],
      });
      regChallenges.set(options.challenge, userName);
      return options;
    },

    async '/register/verify'({ userName, response, conditional = false }) {
      const user = users.get(userName);
      if (!user) throw new Error(`unknown user ${userName}`);
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge: (c) => regChallenges.get(c) === userName && regChallenges.delete(c),
        expectedOrigin: expectedOrigins(),
        expectedRPID: rpID,
        requireUserVerification: false,
        // A conditional create (an upgrade after a password sign-in) is made without a gesture (§5.1.3).
        requireUserPresence: !conditional,
      });
      if (!result.verified) return { verified: false };
      const info = result.registrationInfo;
      user.credentials.push(info.credential);
      return {
        verified: true,
        userName,
        credentialId: info.credential.id,
        fmt: info.fmt,
        aaguid: info.aaguid,
        userVerified: info.userVerified,
        credentialDeviceType: info.credentialDeviceType,
        credentialBackedUp: info.credentialBackedUp,
        // The UP flag (bit 0 of authenticatorData's flags byte, after the 32-byte rpIdHash).
        userPresent: (Buffer.from(response.response.authenticatorData, 'base64url')[32] & 1) === 1,
        counter: info.credential.counter,
        transports: info.credential.transports,
        origin: info.origin,
        topOrigin: clientData(response).topOrigin,
      };
    },

    async '/login/options'({ userName, userVerification = 'preferred', timeout } = {}) {
      let allowCredentials = [];
      if (userName) {
        const user = users.get(userName);
        if (!user) throw new Error(`unknown user ${userName}`);
        allowCredentials = user.credentials.map((c) => ({ id: c.id, transports: c.transports }));
      }
      const options = await generateAuthenticationOptions({ rpID, allowCredentials, userVerification, ...(timeout !== undefined ? { timeout } : {}) });
      loginChallenges.add(options.challenge);
      return options;
    },

    async '/login/verify'({ response }) {
      const { user, credential } = findCredential(response?.id);
      if (!credential) throw new Error(`unknown credential ${response?.id}`);
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (c) => loginChallenges.delete(c),
        expectedOrigin: expectedOrigins(),
        expectedRPID: rpID,
        credential,
        expectedTopOrigin: topOrigins ?? clientData(response).topOrigin,
        requireUserVerification: false,
      });
      if (!result.verified) return { verified: false };
      const info = result.authenticationInfo;
      credential.counter = info.newCounter;
      return {
        verified: true,
        userName: user.userName,
        credentialId: credential.id,
        newCounter: info.newCounter,
        userVerified: info.userVerified,
        origin: info.origin,
        topOrigin: clientData(response).topOrigin,
      };
    },
  };

  const handler = async (req, res) => {
    const url = new URL(req.url, origin);
    const send = (status, type, body) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'content-type',
      });
      res.end(body);
    };
    try {
      if (req.method === 'OPTIONS') return send(204, 'text/plain', '');
      if (req.method === 'POST' && api[url.pathname]) {
        let raw = '';
        for await (const chunk of req) raw += chunk;
        const result = await api[url.pathname](raw ? JSON.parse(raw) : {});
        return send(200, 'application/json', JSON.stringify(result));
      }
      if (req.method === 'GET') {
        if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', demoPage(rpID));
        // The demo page under a strict Content-Security-Policy (no frames, scripts of its own only but inline).
        if (url.pathname === '/strict') {
          res.setHeader('content-security-policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-src 'none'; child-src 'none'; style-src 'self'");
          return send(200, 'text/html; charset=utf-8', demoPage(rpID));
        }
        if (url.pathname === '/blank') return send(200, 'text/html; charset=utf-8', '<!doctype html><title>blank</title>');
        if (url.pathname === '/frame') {
          const allow = url.searchParams.get('allow') ?? DEFAULT_ALLOW;
          const src = url.searchParams.get('src') ?? '/';
          return send(200, 'text/html; charset=utf-8', `<!doctype html><title>frame</title>
<iframe id="frame" src="${esc(src)}" allow="${esc(allow)}" width="600" height="400"></iframe>`);
        }
        if (url.pathname === '/state') {
          const state = [...users.values()].map((u) => ({
            userName: u.userName,
            credentials: u.credentials.map((c) => ({ id: c.id, counter: c.counter })),
          }));
          return send(200, 'application/json', JSON.stringify({ users: state }));
        }
        const page = pages?.(url, req);
        if (page) {
          for (const [name, value] of Object.entries(page.headers ?? {})) res.setHeader(name, value);
          return send(200, 'text/html; charset=utf-8', page.body);
        }
      }
      send(404, 'text/plain', 'not found');
    } catch (err) {
      send(400, 'application/json', JSON.stringify({ verified: false, error: String(err?.message ?? err) }));
    }
  };

  const serve = (req, res) => void handler(req, res);
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, serve) : http.createServer(serve);
  await /** @type {Promise<void>} */ (new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listenHost, resolve);
  }));
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  origin = `${tls ? 'https' : 'http'}://${host}:${actualPort}`;

  return {
    origin,
    port: actualPort,
    rpID,
    users,
    seedCredential({ userName, userId, credentialId, publicKey, counter = 0 }) {
      const user = getUser(userName);
      if (userId) user.id = Uint8Array.from(userId);
      user.credentials.push({ id: credentialId, publicKey: new Uint8Array(publicKey), counter, transports: ['internal', 'hybrid'] });
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

/**
 * Permissions-Policy delegating WebAuthn to an iframe. Directives are separated by ';':
 * "publickey-credentials-get publickey-credentials-create" (space) would mean
 * "get, allowed for the origin named 'publickey-credentials-create'" and delegates nothing.
 */
export const DEFAULT_ALLOW = 'publickey-credentials-get; publickey-credentials-create';

/**
 * URL of a page on `rpOrigin` that embeds `src` in an iframe (id "frame").
 * @param {string} rpOrigin  origin of the embedding (top-level) RP server
 * @param {string} src       URL to embed (e.g. another RP's origin + '/')
 * @param {string} [allow=DEFAULT_ALLOW]  iframe allow attribute, verbatim ('' = none)
 */
export const frameUrl = (rpOrigin, src, allow = DEFAULT_ALLOW) =>
  `${rpOrigin}/frame?${new URLSearchParams({ src, allow })}`;

/** Decoded clientDataJSON of a credential response (JSON form). */
const clientData = (response) =>
  JSON.parse(Buffer.from(response?.response?.clientDataJSON ?? 'e30', 'base64url').toString());

/** @param {string} s */
const esc = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * In-page helper, installed as window.rp:
 *   rp.register(userName, opts?) opts = {residentKey, excludeCredentials, attestation, userVerification, timeout}
 *   rp.login(userName?, opts?)   no userName: discoverable credential request; opts = {userVerification, timeout}
 * Both resolve to the JSON of the /verify endpoint (which may be {verified:false, error})
 * or reject with a plain {name, message} (e.g. {name:'NotAllowedError', ...}).
 * rp.base ('' = same origin) can point the API at another RP origin (CORS is open).
 */
const PAGE_SCRIPT = `
const plain = (e) => ({ name: e?.name ?? 'Error', message: String(e?.message ?? e) });
const post = async (path, body) => {
  const res = await fetch(rp.base + path, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok && path.endsWith('/options')) throw { name: 'ServerError', message: json.error };
  return json;
};
const wrap = (fn) => (...args) => fn(...args).catch((e) => { throw plain(e); });
window.rp = {
  base: '',
  register: wrap(async (userName, opts = {}) => {
    const json = await post('/register/options', { userName, ...opts });
    const cred = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json),
    });
    return post('/register/verify', { userName, response: cred.toJSON() });
  }),
  login: wrap(async (userName, opts = {}) => {
    const json = await post('/login/options', userName ? { userName, ...opts } : opts);
    const cred = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json),
    });
    return post('/login/verify', { response: cred.toJSON() });
  }),
  // Immediate mediation (Chromium's uiMode 'immediate'), as a "Sign in" button starts it: a discoverable get that
  // shows the passkeys here at once or fails at once. rp.immediateState is 'pending', then the /login/verify answer
  // or {name, message}; rp.immediateMs how long the browser took to answer.
  immediate(opts = {}) {
    rp.immediateState = 'pending';
    wrap(async () => {
      const json = await post('/login/options', opts);
      const t0 = performance.now();
      const cred = await navigator.credentials
        .get({ uiMode: 'immediate', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) })
        .finally(() => (rp.immediateMs = performance.now() - t0));
      return post('/login/verify', { response: cred.toJSON() });
    })().then((r) => (rp.immediateState = r), (e) => (rp.immediateState = e));
    return true;
  },
  // Passkey autofill, as sites start it on load: a conditional get() that waits for the person's choice.
  // rp.autofillState is 'pending', then the /login/verify answer or {name, message}; rp.abortAutofill() aborts.
  autofill(opts = {}) {
    const ctl = new AbortController();
    rp.abortAutofill = () => ctl.abort();
    rp.autofillState = 'pending';
    wrap(async () => {
      const json = await post('/login/options', opts);
      const cred = await navigator.credentials.get({
        mediation: 'conditional', signal: ctl.signal,
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json),
      });
      return post('/login/verify', { response: cred.toJSON() });
    })().then((r) => (rp.autofillState = r), (e) => (rp.autofillState = e));
    return true;
  },
};
const $ = (id) => document.getElementById(id);
const show = (p) => {
  $('status').textContent = '…';
  p.then((r) => { $('status').textContent = JSON.stringify(r); },
         (e) => { $('status').textContent = 'Error: ' + e.name + ': ' + e.message; });
};
$('register').onclick = () => show(rp.register($('username').value));
$('login').onclick = () => show(rp.login($('username').value || undefined));
`;

/** @param {string} rpID */
const demoPage = (rpID) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Keyport test RP (${esc(rpID)})</title></head>
<body>
<h1>Test relying party: ${esc(rpID)}</h1>
<label>Username <input id="username" autocomplete="username webauthn" value="alice"></label>
<button id="register">Register</button>
<button id="login">Sign in</button>
<pre id="status"></pre>
<script>{${PAGE_SCRIPT}}</script>
</body></html>`;
