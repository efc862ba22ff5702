// Request variants for the differential suite (tests/e2e/differential.test.mjs).
//
// Every variant is a function `async (H) => outcome` that is serialized with toString() and run in a
// page on the relying party's origin, so it must not close over anything in this module. `H` is the
// in-page harness built by makeHarness() below (also serialized). A variant builds its options in the
// page realm (typed-array views with offsets, DataViews, getters, Symbols, iframe realms, ...), calls
// navigator.credentials.create/get through H.create / H.get (or directly through H.call) and returns
// H's normalized outcome:
//   {ok: true, kind: 'PublicKeyCredential', ...shape checks}   a credential
//   {ok: true, kind: 'null' | 'PasswordCredential' | ...}      another answer
//   {ok: false, name}                                           an error (TypeError for a TypeError)
//   {ok: false, name: 'pending'}                                still waiting for a person after
//                                                               ctx.pendingMs (the harness aborted it)
// A credential outcome carries `id`; the runner replaces it with `fromTarget` (whether the id belongs
// to the target's own authenticator: Keyport's vault, or the DevTools virtual authenticator).

/**
 * The in-page harness. Serialized and called as makeHarness(ctx) in the page.
 * ctx: {credId: base64url id of a discoverable credential registered on this target for 'localhost',
 *       pendingMs: how long a request may wait before it counts as 'pending'}
 */
export function makeHarness(ctx) {
  const tagOf = (v) => Object.prototype.toString.call(v).slice(8, -1);
  const b64u = (bytes) => {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const fromB64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  /** The bytes WebIDL takes from a BufferSource (a view's own bytes), or null if it is none. */
  const viewBytes = (v) => {
    try {
      if (tagOf(v) === 'ArrayBuffer') return new Uint8Array(v).slice();
      if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
    } catch { /* fall through */ }
    return null;
  };
  const flatKeys = (o, prefix = '') => {
    const out = [];
    if (!o || typeof o !== 'object' || tagOf(o) === 'ArrayBuffer') return out;
    for (const k of Object.keys(o)) {
      out.push(prefix + k);
      out.push(...flatKeys(o[k], `${prefix}${k}.`));
    }
    return out.sort();
  };
  const sha256 = async (text) => new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  const H = {
    ctx,
    tagOf,
    b64u,
    fromB64u,
    viewBytes,
    rnd: (n) => crypto.getRandomValues(new Uint8Array(n)),
    credId: () => fromB64u(ctx.credId),
    rp: (over = {}) => ({ name: 'Keyport differential RP', ...over }),
    user: (over = {}) => ({ id: H.rnd(16), name: 'diff@example.test', displayName: 'Diff User', ...over }),
    creation: (over = {}) => ({
      rp: H.rp(), user: H.user(), challenge: H.rnd(32), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], ...over,
    }),
    request: (over = {}) => ({ challenge: H.rnd(32), ...over }),

    /** A same-origin about:blank iframe's window (a fresh realm). */
    frame() {
      const f = document.createElement('iframe');
      document.body.append(f);
      return f.contentWindow;
    },

    /** Normalize an error. */
    error(e) {
      if (e && e.name === 'HarnessTimeout') return { ok: false, name: 'pending' };
      const message = String(e?.message ?? e); // for the report only, never compared
      if (e instanceof TypeError || (tagOf(e) === 'Error' && e?.name === 'TypeError')) return { ok: false, name: 'TypeError', message };
      return { ok: false, name: e?.name ?? String(e), message };
    },

    /**
     * Normalize a result. `W` is the window whose navigator.credentials answered (for instanceof),
     * `expectChallenge` the bytes the page passed as challenge (or null when unknown).
     */
    async describe(cred, { W = window, expectChallenge = null, values = false } = {}) {
      if (cred === null) return { ok: true, kind: 'null' };
      if (cred === undefined) return { ok: true, kind: 'undefined' };
      const kind = tagOf(cred);
      if (kind !== 'PublicKeyCredential') return { ok: true, kind, type: cred.type };
      const realm = cred instanceof window.PublicKeyCredential ? 'top' : cred instanceof W.PublicKeyCredential ? 'frame' : 'none';
      const R = cred.response;
      const RW = realm === 'frame' ? W : window;
      const json = cred.toJSON();
      const cd = JSON.parse(new TextDecoder().decode(R.clientDataJSON));
      const authData = new Uint8Array(R.authenticatorData ?? R.getAuthenticatorData());
      /** @type {Record<string, unknown>} */
      const out = {
        ok: true,
        kind,
        realm,
        type: cred.type,
        idIsRawId: cred.id === b64u(new Uint8Array(cred.rawId)),
        rawId: tagOf(cred.rawId),
        response: tagOf(R),
        responseInstanceof: R instanceof RW.AuthenticatorAttestationResponse || R instanceof RW.AuthenticatorAssertionResponse,
        attachment: cred.authenticatorAttachment,
        extensions: flatKeys(cred.getClientExtensionResults()),
        toJSON: Object.keys(json).sort(),
        toJSONResponse: Object.keys(json.response).sort(),
        clientData: {
          type: cd.type,
          origin: cd.origin === location.origin,
          challenge: expectChallenge ? cd.challenge === b64u(expectChallenge) : 'unchecked',
          crossOrigin: cd.crossOrigin ?? false,
        },
        rpIdHash: same(authData.slice(0, 32), await sha256('localhost')),
        // The extension outputs' values, buffers by size: only where the variant asks (prf results are random).
        ...(values ? { extensionValues: JSON.stringify(cred.getClientExtensionResults(), (k, v) => (tagOf(v) === 'ArrayBuffer' ? `ArrayBuffer(${v.byteLength})` : v)) } : {}),
        up: (authData[32] & 1) === 1,
        id: cred.id,
      };
      if (tagOf(R) === 'AuthenticatorAttestationResponse') {
        out.attestationObject = tagOf(R.attestationObject);
        out.publicKeyLength = R.getPublicKey()?.byteLength ?? null;
        out.publicKeyAlgorithm = R.getPublicKeyAlgorithm();
        out.authenticatorData = tagOf(R.getAuthenticatorData());
        out.transportsIsArray = Array.isArray(R.getTransports());
      } else {
        out.signature = tagOf(R.signature);
        out.userHandle = R.userHandle === null ? 'null' : tagOf(R.userHandle);
      }
      return out;
    },

    /**
     * Call `container[method](options)` (or `call()` when given) with a harness timer: a request still
     * waiting after ctx.pendingMs is aborted (through a signal added to the options when they are an
     * object without one) and reported as {ok: false, name: 'pending'}.
     */
    /**
     * @param {'create' | 'get'} method
     * @param {any} options
     * @param {{ W?: typeof window, addSignal?: boolean, call?: () => Promise<unknown>, expectChallenge?: Uint8Array, values?: boolean }} [how]
     */
    async call(method, options, { W = window, addSignal = true, call, expectChallenge, values = false } = {}) {
      const controller = new AbortController();
      const reason = new DOMException('the harness stopped waiting', 'HarnessTimeout');
      if (expectChallenge === undefined) {
        try {
          expectChallenge = viewBytes(options?.publicKey?.challenge);
        } catch {
          expectChallenge = null;
        }
      }
      if (addSignal && options && typeof options === 'object' && !('signal' in options)) options.signal = controller.signal;
      let timer;
      const backstop = new Promise((resolve) => {
        timer = setTimeout(() => {
          controller.abort(reason);
          // A request that ignores the signal still counts as pending.
          setTimeout(() => resolve({ ok: false, name: 'pending' }), 1000);
        }, ctx.pendingMs);
      });
      const run = (async () => {
        try {
          const cred = await (call ? call() : W.navigator.credentials[method](options));
          return await H.describe(cred, { W, expectChallenge, values });
        } catch (e) {
          return H.error(e);
        }
      })();
      try {
        return await Promise.race([run, backstop]);
      } finally {
        clearTimeout(timer);
      }
    },
    create: (publicKey, extra = {}) => H.call('create', { publicKey, ...extra }),
    get: (publicKey, extra = {}) => H.call('get', { publicKey, ...extra }),
    /** As create/get, and the outcome carries the extension outputs' values (extensionValues). */
    createWithValues: (publicKey) => H.call('create', { publicKey }, { values: true }),
    getWithValues: (publicKey) => H.call('get', { publicKey }, { values: true }),
  };
  return H;
}

/**
 * @typedef {object} Variant
 * @property {string} name
 * @property {(H: any) => Promise<any>} fn  runs in the page
 */

/** @type {Variant[]} */
export const VARIANTS = [
  // ---------------------------------------------------------------- create: buffers
  { name: 'create: minimal valid', fn: async (H) => H.create(H.creation()) },
  {
    name: 'create: Uint8Array subarray views with byteOffset (challenge, user.id)',
    fn: async (H) => {
      const big = H.rnd(200);
      return H.create(H.creation({ challenge: big.subarray(7, 39), user: H.user({ id: big.subarray(100, 116) }) }));
    },
  },
  {
    name: 'create: user.id a 64-byte view into a 200-byte buffer',
    fn: async (H) => H.create(H.creation({ user: H.user({ id: new Uint8Array(H.rnd(200).buffer, 50, 64) }) })),
  },
  {
    name: 'create: DataView with offset (challenge, user.id)',
    fn: async (H) => {
      const buf = H.rnd(100).buffer;
      return H.create(H.creation({ challenge: new DataView(buf, 3, 32), user: H.user({ id: new DataView(buf, 60, 20) }) }));
    },
  },
  { name: 'create: ArrayBuffer (challenge, user.id)', fn: async (H) => H.create(H.creation({ challenge: H.rnd(32).buffer, user: H.user({ id: H.rnd(16).buffer }) })) },
  {
    name: 'create: Int16Array view with offset as challenge',
    fn: async (H) => H.create(H.creation({ challenge: new Int16Array(H.rnd(80).buffer, 4, 16) })),
  },
  {
    name: 'create: Float64Array user.id, BigInt64Array challenge',
    fn: async (H) => H.create(H.creation({ challenge: new BigInt64Array(H.rnd(32).buffer), user: H.user({ id: new Float64Array(H.rnd(16).buffer) }) })),
  },
  {
    name: 'create: SharedArrayBuffer-backed challenge',
    fn: async (H) => {
      let sab;
      try {
        sab = typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(32) : new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer;
      } catch {
        return { ok: true, kind: 'no SharedArrayBuffer here' };
      }
      return H.create(H.creation({ challenge: new Uint8Array(sab, 0, 32) }));
    },
  },
  {
    name: 'create: buffers from an iframe realm (user.id, challenge)',
    fn: async (H) => {
      const W = H.frame();
      return H.create(H.creation({ challenge: new W.Uint8Array(32).fill(9), user: H.user({ id: new W.Uint8Array(16).fill(3) }) }));
    },
  },
  { name: 'create: plain array challenge', fn: async (H) => H.create(H.creation({ challenge: Array.from(H.rnd(32)) })) },
  { name: 'create: string challenge', fn: async (H) => H.create(H.creation({ challenge: 'Y2hhbGxlbmdlY2hhbGxlbmdl' })) },
  { name: 'create: string user.id', fn: async (H) => H.create(H.creation({ user: H.user({ id: 'dXNlcg' }) })) },

  // ---------------------------------------------------------------- create: required members
  // Built from source text so that the member's name is inlined: a variant runs in the page from its toString().
  ...['challenge', 'rp', 'user', 'pubKeyCredParams'].map((m) => ({
    name: `create: missing ${m}`,
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- source text on purpose (above)
    fn: /** @type {Variant['fn']} */ (new Function('H', `return (async () => { const o = H.creation(); delete o.${m}; return H.create(o); })()`)),
  })),
  ...['id', 'name', 'displayName'].map((m) => ({
    name: `create: missing user.${m}`,
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- source text on purpose (above)
    fn: /** @type {Variant['fn']} */ (new Function('H', `return (async () => { const o = H.creation(); delete o.user.${m}; return H.create(o); })()`)),
  })),
  { name: 'create: missing rp.name', fn: async (H) => H.create(H.creation({ rp: { id: 'localhost' } })) },
  { name: 'create: rp = {} ', fn: async (H) => H.create(H.creation({ rp: {} })) },
  { name: 'create: user.id null', fn: async (H) => H.create(H.creation({ user: H.user({ id: null }) })) },
  { name: 'create: user.name null (ToString "null")', fn: async (H) => H.create(H.creation({ user: H.user({ name: null }) })) },
  { name: 'create: user.displayName number', fn: async (H) => H.create(H.creation({ user: H.user({ displayName: 42 }) })) },

  // ---------------------------------------------------------------- create: pubKeyCredParams
  { name: 'create: pubKeyCredParams [] (defaults)', fn: async (H) => H.create(H.creation({ pubKeyCredParams: [] })) },
  { name: 'create: pubKeyCredParams only an unknown type', fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ type: 'x-unknown', alg: -7 }] })) },
  {
    name: 'create: pubKeyCredParams unknown type + public-key',
    fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ type: 'x-unknown', alg: -7 }, { type: 'public-key', alg: -7 }] })),
  },
  { name: 'create: pubKeyCredParams only alg -999', fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ type: 'public-key', alg: -999 }] })) },
  {
    name: 'create: pubKeyCredParams -999 then -257 (RS256)',
    fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ type: 'public-key', alg: -999 }, { type: 'public-key', alg: -257 }] })),
  },
  { name: "create: alg as string '-7'", fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ type: 'public-key', alg: '-7' }] })) },
  { name: 'create: alg 1.5 (long → 1)', fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ type: 'public-key', alg: 1.5 }] })) },
  { name: 'create: alg -7.9 (long → -7)', fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ type: 'public-key', alg: -7.9 }] })) },
  { name: 'create: pubKeyCredParams entry without alg', fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ type: 'public-key' }] })) },
  { name: 'create: pubKeyCredParams entry without type', fn: async (H) => H.create(H.creation({ pubKeyCredParams: [{ alg: -7 }] })) },
  { name: 'create: pubKeyCredParams not iterable ({})', fn: async (H) => H.create(H.creation({ pubKeyCredParams: {} })) },
  { name: 'create: pubKeyCredParams a string', fn: async (H) => H.create(H.creation({ pubKeyCredParams: 'public-key' })) },

  // ---------------------------------------------------------------- create: timeout and enums
  { name: "create: timeout as string '5000'", fn: async (H) => H.create(H.creation({ timeout: '5000' })) },
  { name: 'create: timeout negative', fn: async (H) => H.create(H.creation({ timeout: -1 })) },
  { name: 'create: timeout NaN', fn: async (H) => H.create(H.creation({ timeout: NaN })) },
  { name: 'create: timeout 0', fn: async (H) => H.create(H.creation({ timeout: 0 })) },
  { name: 'create: unknown attestation', fn: async (H) => H.create(H.creation({ attestation: 'bogus' })) },
  { name: 'create: unknown attestationFormats', fn: async (H) => H.create(H.creation({ attestationFormats: ['bogus'] })) },
  { name: 'create: unknown residentKey', fn: async (H) => H.create(H.creation({ authenticatorSelection: { residentKey: 'bogus' } })) },
  { name: 'create: unknown userVerification', fn: async (H) => H.create(H.creation({ authenticatorSelection: { userVerification: 'bogus' } })) },
  // Keyport is a platform authenticator: a cross-platform request is for the browser's own (security keys, phones),
  // which wait for the person; Chromium's virtual authenticator (internal) is not offered either.
  { name: "create: authenticatorAttachment 'cross-platform'", fn: async (H) => H.create(H.creation({ authenticatorSelection: { authenticatorAttachment: 'cross-platform' } })) },
  { name: 'create: unknown authenticatorAttachment', fn: async (H) => H.create(H.creation({ authenticatorSelection: { authenticatorAttachment: 'bogus' } })) },
  {
    name: 'create: residentKey required + userVerification required + platform',
    fn: async (H) => H.create(H.creation({ authenticatorSelection: { residentKey: 'required', userVerification: 'required', authenticatorAttachment: 'platform' } })),
  },
  { name: 'create: requireResidentKey true (legacy)', fn: async (H) => H.create(H.creation({ authenticatorSelection: { requireResidentKey: true } })) },
  { name: 'create: authenticatorSelection a number', fn: async (H) => H.create(H.creation({ authenticatorSelection: 5 })) },
  { name: 'create: unknown hints', fn: async (H) => H.create(H.creation({ hints: ['bogus', 'client-device'] })) },

  // ---------------------------------------------------------------- create: extensions
  { name: 'create: unknown extension {foo: 1}', fn: async (H) => H.create(H.creation({ extensions: { foo: 1 } })) },
  { name: 'create: extensions credProps true', fn: async (H) => H.create(H.creation({ extensions: { credProps: true } })) },
  {
    name: 'create: extensions credProps true, residentKey required',
    fn: async (H) => H.create(H.creation({ authenticatorSelection: { residentKey: 'required' }, extensions: { credProps: true } })),
  },
  { name: 'create: extensions credProps false', fn: async (H) => H.create(H.creation({ extensions: { credProps: false } })) },
  { name: 'create: extensions prf {}', fn: async (H) => H.create(H.creation({ extensions: { prf: {} } })) },
  { name: 'create: extensions prf eval first', fn: async (H) => H.create(H.creation({ extensions: { prf: { eval: { first: H.rnd(32) } } } })) },
  { name: 'create: extensions a string', fn: async (H) => H.create(H.creation({ extensions: 'credProps' })) },
  // appid is for get() only (§10.1.1); largeBlob read/write are for get() only (§10.1.5).
  { name: 'create: extensions appid (a URL)', fn: async (H) => H.create(H.creation({ extensions: { appid: location.origin } })) },
  { name: "create: extensions appid ''", fn: async (H) => H.create(H.creation({ extensions: { appid: '' } })) },
  { name: 'create: extensions appid null', fn: async (H) => H.create(H.creation({ extensions: { appid: null } })) },
  { name: 'create: extensions largeBlob read', fn: async (H) => H.create(H.creation({ extensions: { largeBlob: { read: true } } })) },
  { name: 'create: extensions largeBlob write', fn: async (H) => H.create(H.creation({ extensions: { largeBlob: { write: H.rnd(8) } } })) },
  { name: "create: extensions largeBlob support 'preferred'", fn: async (H) => H.createWithValues(H.creation({ extensions: { largeBlob: { support: 'preferred' } } })) },
  { name: 'create: extensions largeBlob {}', fn: async (H) => H.createWithValues(H.creation({ extensions: { largeBlob: {} } })) },
  { name: "create: extensions largeBlob support 'required'", fn: async (H) => H.create(H.creation({ extensions: { largeBlob: { support: 'required' } } })) },
  // CTAP 2.1 gives large blobs to discoverable credentials only: with residentKey required, every authenticator that stores them can.
  {
    name: "create: extensions largeBlob support 'preferred', residentKey required",
    fn: async (H) => H.createWithValues(H.creation({ authenticatorSelection: { residentKey: 'required' }, extensions: { largeBlob: { support: 'preferred' } } })),
  },
  {
    name: "create: extensions largeBlob support 'required', residentKey required",
    fn: async (H) => H.createWithValues(H.creation({ authenticatorSelection: { residentKey: 'required' }, extensions: { largeBlob: { support: 'required' } } })),
  },
  { name: 'create: extensions credBlob', fn: async (H) => H.createWithValues(H.creation({ authenticatorSelection: { residentKey: 'required' }, extensions: { credBlob: H.rnd(16) } })) },
  { name: 'create: extensions credBlob of 32 bytes', fn: async (H) => H.createWithValues(H.creation({ authenticatorSelection: { residentKey: 'required' }, extensions: { credBlob: H.rnd(32) } })) },
  // CTAP 2.1 §12.2: a credBlob longer than the authenticator keeps is not stored (credBlob: false), and the credential is made.
  { name: 'create: extensions credBlob of 33 bytes', fn: async (H) => H.createWithValues(H.creation({ authenticatorSelection: { residentKey: 'required' }, extensions: { credBlob: H.rnd(33) } })) },
  { name: 'create: extensions getCredBlob (an authentication input)', fn: async (H) => H.createWithValues(H.creation({ extensions: { getCredBlob: true } })) },

  // ---------------------------------------------------------------- create: excludeCredentials
  {
    name: 'create: excludeCredentials with an unknown type',
    fn: async (H) => H.create(H.creation({ excludeCredentials: [{ type: 'x-unknown', id: H.credId() }] })),
  },
  { name: 'create: excludeCredentials with a non-buffer id', fn: async (H) => H.create(H.creation({ excludeCredentials: [{ type: 'public-key', id: 'abc' }] })) },
  { name: 'create: excludeCredentials entry a number', fn: async (H) => H.create(H.creation({ excludeCredentials: [5] })) },
  {
    name: 'create: excludeCredentials holds the existing credential (view with offset)',
    fn: async (H) => {
      const id = H.credId();
      const big = new Uint8Array(id.length + 9);
      big.set(id, 5);
      return H.create(H.creation({ excludeCredentials: [{ type: 'public-key', id: big.subarray(5, 5 + id.length) }] }));
    },
  },
  {
    name: 'create: excludeCredentials unrelated ids + unknown transports',
    fn: async (H) => H.create(H.creation({ excludeCredentials: [{ type: 'public-key', id: H.rnd(16), transports: ['bogus', 'usb'] }] })),
  },

  // ---------------------------------------------------------------- create: user.id size, rp.id
  { name: 'create: user.id 64 bytes', fn: async (H) => H.create(H.creation({ user: H.user({ id: H.rnd(64) }) })) },
  { name: 'create: user.id 65 bytes', fn: async (H) => H.create(H.creation({ user: H.user({ id: H.rnd(65) }) })) },
  { name: 'create: user.id 0 bytes', fn: async (H) => H.create(H.creation({ user: H.user({ id: new Uint8Array(0) }) })) },
  { name: "create: rp.id 'localhost'", fn: async (H) => H.create(H.creation({ rp: H.rp({ id: 'localhost' }) })) },
  { name: "create: rp.id 'example.com' (other site)", fn: async (H) => H.create(H.creation({ rp: H.rp({ id: 'example.com' }) })) },
  { name: "create: rp.id ''", fn: async (H) => H.create(H.creation({ rp: H.rp({ id: '' }) })) },
  { name: "create: rp.id 'LOCALHOST'", fn: async (H) => H.create(H.creation({ rp: H.rp({ id: 'LOCALHOST' }) })) },
  { name: "create: rp.id 'localhost.'", fn: async (H) => H.create(H.creation({ rp: H.rp({ id: 'localhost.' }) })) },
  { name: "create: rp.id 'sub.localhost' (a subdomain)", fn: async (H) => H.create(H.creation({ rp: H.rp({ id: 'sub.localhost' }) })) },
  { name: 'create: rp.id null (ToString "null")', fn: async (H) => H.create(H.creation({ rp: H.rp({ id: null }) })) },
  { name: 'create: rp.id a Symbol', fn: async (H) => H.create(H.creation({ rp: H.rp({ id: Symbol('x') }) })) },
  { name: 'create: user.name a Symbol', fn: async (H) => H.create(H.creation({ user: H.user({ name: Symbol('x') }) })) },

  // ---------------------------------------------------------------- create: outer options
  {
    name: 'create: password-only options (passes through)',
    fn: async (H) => H.call('create', { password: { id: 'diff-user', password: 'hunter2', origin: location.origin } }),
  },
  { name: 'create: no publicKey ({})', fn: async (H) => H.call('create', {}) },
  { name: 'create: options null', fn: async (H) => H.call('create', null) },
  { name: 'create: options undefined', fn: async (H) => H.call('create', undefined) },
  { name: 'create: options a number', fn: async (H) => H.call('create', 5) },
  { name: 'create: publicKey null', fn: async (H) => H.call('create', { publicKey: null }) },
  { name: "create: mediation 'bogus'", fn: async (H) => H.create(H.creation(), { mediation: 'bogus' }) },
  // CredentialCreationOptions has no uiMode: create() never reads it.
  { name: "create: uiMode 'bogus' (not a creation member)", fn: async (H) => H.create(H.creation(), { uiMode: 'bogus' }) },
  {
    name: 'create: signal already aborted',
    fn: async (H) => {
      const c = new AbortController();
      c.abort();
      return H.create(H.creation(), { signal: c.signal });
    },
  },
  { name: 'create: signal not an AbortSignal', fn: async (H) => H.create(H.creation(), { signal: { aborted: false } }) },
  {
    name: 'create: members defined as getters',
    fn: async (H) => {
      const plain = H.creation();
      const o = {};
      for (const k of Object.keys(plain)) Object.defineProperty(o, k, { get: () => plain[k], enumerable: false });
      return H.call('create', { get publicKey() { return o; } }, { expectChallenge: plain.challenge });
    },
  },
  {
    name: 'create: options inherited through the prototype chain',
    fn: async (H) => H.create(Object.create(H.creation())),
  },
  {
    name: 'create: parseCreationOptionsFromJSON round trip',
    fn: async (H) => {
      /** @type {PublicKeyCredentialCreationOptionsJSON} */
      const json = {
        rp: { name: 'JSON RP', id: 'localhost' },
        user: { id: H.b64u(H.rnd(16)), name: 'json', displayName: 'JSON' },
        challenge: H.b64u(H.rnd(32)),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
        excludeCredentials: [{ type: 'public-key', id: H.b64u(H.rnd(16)), transports: ['internal'] }],
        extensions: { credProps: true },
        attestation: 'none',
      };
      return H.create(PublicKeyCredential.parseCreationOptionsFromJSON(json));
    },
  },
  {
    name: 'create: via CredentialsContainer.prototype.create.call',
    fn: async (H) => {
      const options = { publicKey: H.creation() };
      return H.call('create', options, { call: () => CredentialsContainer.prototype.create.call(navigator.credentials, options) });
    },
  },
  {
    name: "create: through a fresh iframe's navigator.credentials",
    fn: async (H) => {
      const W = H.frame();
      return H.call('create', { publicKey: H.creation() }, { W });
    },
  },

  // ---------------------------------------------------------------- get
  { name: 'get: minimal discoverable', fn: async (H) => H.get(H.request()) },
  { name: 'get: allowCredentials (ArrayBuffer id)', fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'public-key', id: H.credId().buffer }] })) },
  {
    name: 'get: allowCredentials with views with offsets, challenge DataView',
    fn: async (H) => {
      const id = H.credId();
      const big = new Uint8Array(id.length + 20);
      big.set(id, 11);
      const cbuf = H.rnd(64).buffer;
      return H.get(H.request({ challenge: new DataView(cbuf, 16, 32), allowCredentials: [{ type: 'public-key', id: new Uint8Array(big.buffer, 11, id.length) }] }));
    },
  },
  {
    name: 'get: allowCredentials id as DataView with offset',
    fn: async (H) => {
      const id = H.credId();
      const big = new Uint8Array(id.length + 3);
      big.set(id, 3);
      return H.get(H.request({ allowCredentials: [{ type: 'public-key', id: new DataView(big.buffer, 3) }] }));
    },
  },
  { name: 'get: allowCredentials only an unknown type', fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'x-unknown', id: H.credId() }] })) },
  {
    name: 'get: allowCredentials unknown type + the credential',
    fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'x-unknown', id: H.rnd(16) }, { type: 'public-key', id: H.credId() }] })),
  },
  {
    name: 'get: allowCredentials with unknown transports',
    fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'public-key', id: H.credId(), transports: ['bogus'] }] })),
  },
  { name: 'get: allowCredentials with no matching credential', fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'public-key', id: H.rnd(16) }] })) },
  { name: 'get: allowCredentials with a non-buffer id', fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'public-key', id: [1, 2, 3] }] })) },
  { name: 'get: allowCredentials entry without type', fn: async (H) => H.get(H.request({ allowCredentials: [{ id: H.credId() }] })) },
  { name: "get: rpId 'localhost'", fn: async (H) => H.get(H.request({ rpId: 'localhost' })) },
  { name: "get: rpId 'example.com' (other site)", fn: async (H) => H.get(H.request({ rpId: 'example.com' })) },
  { name: "get: rpId ''", fn: async (H) => H.get(H.request({ rpId: '' })) },
  { name: "get: rpId 'LOCALHOST'", fn: async (H) => H.get(H.request({ rpId: 'LOCALHOST' })) },
  { name: 'get: rpId a Symbol', fn: async (H) => H.get(H.request({ rpId: Symbol('x') })) },
  { name: "get: userVerification 'required'", fn: async (H) => H.get(H.request({ userVerification: 'required' })) },
  { name: "get: userVerification 'discouraged'", fn: async (H) => H.get(H.request({ userVerification: 'discouraged' })) },
  { name: 'get: unknown userVerification', fn: async (H) => H.get(H.request({ userVerification: 'bogus' })) },
  { name: 'get: unknown hints', fn: async (H) => H.get(H.request({ hints: ['bogus'] })) },
  { name: 'get: timeout 0', fn: async (H) => H.get(H.request({ timeout: 0 })) },
  { name: "get: timeout '7000' (string)", fn: async (H) => H.get(H.request({ timeout: '7000' })) },
  { name: 'get: missing challenge', fn: async (H) => H.get({ allowCredentials: [] }) },
  { name: 'get: string challenge', fn: async (H) => H.get(H.request({ challenge: 'abc' })) },
  { name: 'get: unknown extension {foo: 1}', fn: async (H) => H.get(H.request({ extensions: { foo: 1 } })) },
  { name: 'get: extensions credProps (create-only)', fn: async (H) => H.get(H.request({ extensions: { credProps: true } })) },
  { name: 'get: extensions credProps false (create-only)', fn: async (H) => H.get(H.request({ extensions: { credProps: false } })) },
  { name: 'get: extensions prf eval first', fn: async (H) => H.get(H.request({ extensions: { prf: { eval: { first: H.rnd(32) } } } })) },
  {
    name: 'get: prf evalByCredential without allowCredentials',
    fn: async (H) => H.get(H.request({ extensions: { prf: { evalByCredential: { [H.ctx.credId]: { first: H.rnd(32) } } } } })),
  },
  {
    name: 'get: prf evalByCredential with a key that is not base64url',
    fn: async (H) => H.get(H.request({
      allowCredentials: [{ type: 'public-key', id: H.credId() }],
      extensions: { prf: { evalByCredential: { 'not base64url!': { first: H.rnd(32) } } } },
    })),
  },
  {
    name: 'get: prf evalByCredential keyed by the allowed credential',
    fn: async (H) => H.get(H.request({
      allowCredentials: [{ type: 'public-key', id: H.credId() }],
      extensions: { prf: { evalByCredential: { [H.ctx.credId]: { first: H.rnd(32) } } } },
    })),
  },
  {
    name: 'get: prf eval without first',
    fn: async (H) => H.get(H.request({ extensions: { prf: { eval: {} } } })),
  },
  { name: "get: extensions largeBlob support 'preferred' (create-only)", fn: async (H) => H.get(H.request({ extensions: { largeBlob: { support: 'preferred' } } })) },
  {
    name: 'get: extensions largeBlob read and write',
    fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'public-key', id: H.credId() }], extensions: { largeBlob: { read: true, write: H.rnd(8) } } })),
  },
  { name: 'get: extensions largeBlob read', fn: async (H) => H.getWithValues(H.request({ extensions: { largeBlob: { read: true } } })) },
  {
    name: 'get: extensions largeBlob write, one allowed credential',
    fn: async (H) => H.getWithValues(H.request({ allowCredentials: [{ type: 'public-key', id: H.credId() }], extensions: { largeBlob: { write: H.rnd(8) } } })),
  },
  // Chromium refuses a blob over 2 KiB before any authenticator (NotSupportedError); 2 KiB itself is written.
  {
    name: 'get: extensions largeBlob write of 2049 bytes',
    fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'public-key', id: H.credId() }], extensions: { largeBlob: { write: new Uint8Array(2049) } } })),
  },
  {
    name: 'get: extensions largeBlob write of 64 KiB',
    fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'public-key', id: H.credId() }], extensions: { largeBlob: { write: H.rnd(65536) } } })),
  },
  {
    name: 'get: extensions largeBlob write, then read it back',
    fn: async (H) => {
      const blob = H.rnd(300);
      const allowCredentials = [{ type: 'public-key', id: H.credId() }];
      const written = await H.getWithValues(H.request({ allowCredentials, extensions: { largeBlob: { write: blob } } }));
      if (!written.ok) return written;
      const late = new Promise((resolve) => setTimeout(() => resolve(null), H.ctx.pendingMs));
      try {
        const cred = await Promise.race([navigator.credentials.get({ publicKey: H.request({ allowCredentials, extensions: { largeBlob: { read: true } } }) }), late]);
        if (!cred) return { ok: false, name: 'pending' };
        const got = cred.getClientExtensionResults().largeBlob?.blob;
        return { ...written, readBack: H.tagOf(got), same: !!got && H.b64u(new Uint8Array(got)) === H.b64u(blob) };
      } catch (e) {
        return H.error(e);
      }
    },
  },
  { name: 'get: extensions largeBlob write without allowCredentials', fn: async (H) => H.get(H.request({ extensions: { largeBlob: { write: H.rnd(8) } } })) },
  { name: 'get: extensions getCredBlob', fn: async (H) => H.getWithValues(H.request({ extensions: { getCredBlob: true } })) },
  {
    name: 'get: members defined as getters',
    fn: async (H) => {
      const plain = H.request({ allowCredentials: [{ type: 'public-key', id: H.credId() }] });
      const o = Object.create(null);
      for (const k of Object.keys(plain)) Object.defineProperty(o, k, { get: () => plain[k] });
      return H.call('get', { publicKey: o }, { expectChallenge: plain.challenge });
    },
  },
  { name: 'get: no publicKey ({})', fn: async (H) => H.call('get', {}) },
  { name: 'get: options null', fn: async (H) => H.call('get', null) },
  { name: 'get: options a number', fn: async (H) => H.call('get', 5) },
  { name: 'get: publicKey null', fn: async (H) => H.call('get', { publicKey: null }) },
  { name: "get: password with mediation 'silent' (passes through)", fn: async (H) => H.call('get', { password: true, mediation: 'silent' }) },
  { name: "get: mediation 'bogus'", fn: async (H) => H.get(H.request(), { mediation: 'bogus' }) },
  { name: "get: mediation 'required'", fn: async (H) => H.get(H.request(), { mediation: 'required' }) },
  // Immediate mediation is uiMode 'immediate' in Chromium 156; the page's call carries transient activation here.
  { name: "get: mediation 'immediate' (not a mediation value)", fn: async (H) => H.get(H.request(), { mediation: 'immediate' }) },
  { name: "get: uiMode 'immediate' with a discoverable passkey", fn: async (H) => H.get(H.request(), { uiMode: 'immediate' }) },
  { name: "get: uiMode 'immediate' with mediation 'required'", fn: async (H) => H.get(H.request(), { uiMode: 'immediate', mediation: 'required' }) },
  {
    name: "get: uiMode 'immediate' with allowCredentials",
    fn: async (H) => H.get(H.request({ allowCredentials: [{ type: 'public-key', id: H.credId() }] }), { uiMode: 'immediate' }),
  },
  { name: "get: uiMode 'immediate' with conditional mediation", fn: async (H) => H.get(H.request(), { uiMode: 'immediate', mediation: 'conditional' }) },
  { name: "get: uiMode 'bogus'", fn: async (H) => H.get(H.request(), { uiMode: 'bogus' }) },
  {
    name: 'get: signal already aborted',
    fn: async (H) => {
      const c = new AbortController();
      c.abort();
      return H.get(H.request(), { signal: c.signal });
    },
  },
  {
    name: 'get: signal already aborted with a reason',
    fn: async (H) => {
      const c = new AbortController();
      c.abort(new DOMException('mine', 'TimeoutError'));
      return H.get(H.request(), { signal: c.signal });
    },
  },
  { name: 'get: signal not an AbortSignal', fn: async (H) => H.get(H.request(), { signal: {} }) },
  {
    name: 'get: via CredentialsContainer.prototype.get.call',
    fn: async (H) => {
      const options = { publicKey: H.request() };
      return H.call('get', options, { call: () => CredentialsContainer.prototype.get.call(navigator.credentials, options) });
    },
  },
  {
    name: "get: through a fresh iframe's navigator.credentials",
    fn: async (H) => {
      const W = H.frame();
      return H.call('get', { publicKey: H.request() }, { W });
    },
  },
  {
    name: "get: an iframe realm's CredentialsContainer.prototype.get on the top navigator.credentials",
    fn: async (H) => {
      const W = H.frame();
      const options = { publicKey: H.request() };
      return H.call('get', options, { W, call: () => W.CredentialsContainer.prototype.get.call(navigator.credentials, options) });
    },
  },
  {
    name: 'get: parseRequestOptionsFromJSON round trip',
    fn: async (H) => H.get(PublicKeyCredential.parseRequestOptionsFromJSON({
      challenge: H.b64u(H.rnd(32)),
      rpId: 'localhost',
      allowCredentials: [{ type: 'public-key', id: H.ctx.credId, transports: ['internal', 'hybrid'] }],
      userVerification: 'preferred',
    })),
  },
  // The Signal API (§5.1.10): each resolves undefined whether or not anything matched; random ids here, so that
  // no credential of the run is hidden. What Keyport does with them is tests/e2e/signals.test.mjs.
  {
    name: 'signal: unknown credential',
    fn: async (H) => {
      try {
        return { ok: true, kind: String(await /** @type {any} */ (PublicKeyCredential).signalUnknownCredential({ rpId: 'localhost', credentialId: H.b64u(H.rnd(16)) })) };
      } catch (e) {
        return { ok: false, name: e instanceof TypeError ? 'TypeError' : e.name };
      }
    },
  },
  {
    name: 'signal: all accepted credentials',
    fn: async (H) => {
      try {
        return { ok: true, kind: String(await /** @type {any} */ (PublicKeyCredential).signalAllAcceptedCredentials({ rpId: 'localhost', userId: H.b64u(H.rnd(16)), allAcceptedCredentialIds: [] })) };
      } catch (e) {
        return { ok: false, name: e instanceof TypeError ? 'TypeError' : e.name };
      }
    },
  },
  {
    name: 'signal: current user details',
    fn: async (H) => {
      try {
        return { ok: true, kind: String(await /** @type {any} */ (PublicKeyCredential).signalCurrentUserDetails({ rpId: 'localhost', userId: H.b64u(H.rnd(16)), name: 'n', displayName: 'd' })) };
      } catch (e) {
        return { ok: false, name: e instanceof TypeError ? 'TypeError' : e.name };
      }
    },
  },
  {
    name: 'signal: another site\'s rpId',
    fn: async (H) => {
      try {
        return { ok: true, kind: String(await /** @type {any} */ (PublicKeyCredential).signalUnknownCredential({ rpId: 'example.com', credentialId: H.b64u(H.rnd(16)) })) };
      } catch (e) {
        return { ok: false, name: e instanceof TypeError ? 'TypeError' : e.name };
      }
    },
  },
];

