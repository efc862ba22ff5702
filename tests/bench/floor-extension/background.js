// The benchmark's floor: a bare authenticator behind chrome.webAuthenticationProxy. It holds ONE
// ES256 key in memory (made by the first create request), answers create with a 'none' attestation
// and get with a valid assertion, and does nothing else: no vault, no consent, no validation beyond
// what the browser already did. Answers use the credential's toJSON() form (absent members omitted).
const api = chrome.webAuthenticationProxy;
const subtle = crypto.subtle;
const enc = new TextEncoder();

/** @type {{ privateKey: CryptoKey, id: string, userHandle: string, rpId: string, rpIdHash: Uint8Array } | undefined} */
let credential;

const b64u = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const sha256 = async (bytes) => new Uint8Array(await subtle.digest('SHA-256', bytes));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/** The caller's origin comes from the browser (the proxy's override), never from the page. */
function originOf(request) {
  const o = request.extensions?.remoteDesktopClientOverride;
  if (typeof o?.origin !== 'string') throw new Error('no origin');
  return { origin: o.origin, crossOrigin: o.sameOriginWithAncestors === false };
}

const clientData = (type, challenge, { origin, crossOrigin }) =>
  enc.encode(JSON.stringify({ type, challenge, origin, crossOrigin }));

/** authData: rpIdHash | flags (UP, UV, BE) | counter 0 [| attested credential data]. */
const authData = (rpIdHash, attested) => concat(rpIdHash, Uint8Array.of(attested ? 0x4d : 0x0d, 0, 0, 0, 0), attested ?? new Uint8Array());

/** WebCrypto's IEEE P1363 r|s to the DER SEQUENCE WebAuthn ES256 uses. */
function der(sig) {
  const int = (b) => {
    let i = 0;
    while (i < 31 && b[i] === 0) i++;
    b = b.subarray(i);
    return b[0] & 0x80 ? [0x02, b.length + 1, 0, ...b] : [0x02, b.length, ...b];
  };
  const body = [...int(sig.subarray(0, 32)), ...int(sig.subarray(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

async function create(request) {
  const caller = originOf(request);
  const rpId = request.rp.id ?? new URL(caller.origin).hostname;
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey)); // 04 | x | y
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const id = crypto.getRandomValues(new Uint8Array(16));
  credential = { privateKey: pair.privateKey, id: b64u(id), userHandle: request.user.id, rpId, rpIdHash: await sha256(enc.encode(rpId)) };

  // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
  const cose = concat(Uint8Array.of(0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20), raw.subarray(1, 33), Uint8Array.of(0x22, 0x58, 0x20), raw.subarray(33));
  const aaguid = new Uint8Array(16);
  const data = authData(credential.rpIdHash, concat(aaguid, Uint8Array.of(0, id.length), id, cose));
  // {"fmt": "none", "attStmt": {}, "authData": bytes(data)} — data is under 256 bytes.
  const attestationObject = concat(
    Uint8Array.of(0xa3, 0x63), enc.encode('fmt'), Uint8Array.of(0x64), enc.encode('none'),
    Uint8Array.of(0x67), enc.encode('attStmt'), Uint8Array.of(0xa0),
    Uint8Array.of(0x68), enc.encode('authData'), Uint8Array.of(0x58, data.length), data,
  );
  return {
    id: credential.id, rawId: credential.id, type: 'public-key', authenticatorAttachment: 'platform',
    clientExtensionResults: request.extensions?.credProps ? { credProps: { rk: true } } : {},
    response: {
      clientDataJSON: b64u(clientData('webauthn.create', request.challenge, caller)),
      attestationObject: b64u(attestationObject),
      authenticatorData: b64u(data),
      transports: ['internal'],
      publicKey: b64u(spki),
      publicKeyAlgorithm: -7,
    },
  };
}

async function get(request) {
  const caller = originOf(request);
  const rpId = request.rpId ?? new URL(caller.origin).hostname;
  const allowed = !request.allowCredentials?.length || request.allowCredentials.some((d) => d.id === credential?.id);
  if (!credential || credential.rpId !== rpId || !allowed) throw new Error('no credential');
  const data = authData(credential.rpIdHash);
  const cd = clientData('webauthn.get', request.challenge, caller);
  const sig = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, credential.privateKey, concat(data, await sha256(cd))));
  return {
    id: credential.id, rawId: credential.id, type: 'public-key', authenticatorAttachment: 'platform',
    clientExtensionResults: {},
    response: { clientDataJSON: b64u(cd), authenticatorData: b64u(data), signature: b64u(der(sig)), userHandle: credential.userHandle },
  };
}

const answer = (handler, complete) => async ({ requestId, requestDetailsJson }) => {
  try {
    const responseJson = JSON.stringify(await handler(JSON.parse(requestDetailsJson)));
    await complete({ requestId, responseJson });
  } catch (e) {
    await complete({ requestId, error: { name: 'NotAllowedError', message: String(e?.message ?? e) } });
  }
};

api.onCreateRequest.addListener(answer(create, (d) => api.completeCreateRequest(d)));
api.onGetRequest.addListener(answer(get, (d) => api.completeGetRequest(d)));
api.onIsUvpaaRequest.addListener(({ requestId }) => api.completeIsUvpaaRequest({ requestId, isUvpaa: true }));
globalThis.attached = api.attach().then((error) => error ?? 'attached');
