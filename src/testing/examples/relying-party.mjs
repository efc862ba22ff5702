// A tiny relying party for the examples: node:http and @simplewebauthn/server, users kept in memory. Its page has
// a user name field, "Register" and "Sign in" buttons, and a #status line with the server's answer or the error.
// Yours is your own site; start it the way your tests do (a fixture here, or a `webServer` in playwright.config).
import http from 'node:http';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

const page = `<!doctype html><meta charset="utf-8"><title>Example relying party</title>
<input id="username" autocomplete="username webauthn"> <button id="register">Register</button> <button id="login">Sign in</button>
<pre id="status"></pre>
<script>
const post = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
async function register(userName) {
  const options = await post('/register/options', { userName });
  const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
  return post('/register/verify', { userName, response: credential.toJSON() });
}
async function signIn(userName) {
  const options = await post('/login/options', { userName });
  const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
  return post('/login/verify', { response: credential.toJSON() });
}
const $ = (id) => document.getElementById(id);
const show = (p) => {
  $('status').textContent = '…';
  p.then((r) => { $('status').textContent = JSON.stringify(r); }, (e) => { $('status').textContent = 'Error: ' + e.name; });
};
$('register').onclick = () => show(register($('username').value));
$('login').onclick = () => show(signIn($('username').value || undefined));
</script>`;

/**
 * Starts the relying party on a free port of localhost.
 * @returns {Promise<{ origin: string, rpId: string, users: Map<string, any>, addPasskey: (p: { userName: string, id: string, userHandle: string, cosePublicKey: string, signCount?: number }) => void, close: () => Promise<void> }>}
 */
export async function startRelyingParty() {
  const rpID = 'localhost';
  const users = new Map(); // userName -> { id, passkeys: [{ id, publicKey, counter }] }
  const challenges = new Map(); // challenge -> userName ('' for a sign-in)
  let origin = '';
  const user = (userName) => users.get(userName) ?? users.set(userName, { id: crypto.getRandomValues(new Uint8Array(16)), passkeys: [] }).get(userName);
  const take = (userName) => (challenge) => challenges.get(challenge) === userName && challenges.delete(challenge);

  const routes = {
    async '/register/options'({ userName }) {
      const options = await generateRegistrationOptions({ rpName: 'Example', rpID, userName, userID: user(userName).id, authenticatorSelection: { residentKey: 'required' } });
      challenges.set(options.challenge, userName);
      return options;
    },
    async '/register/verify'({ userName, response }) {
      const { verified, registrationInfo } = await verifyRegistrationResponse({ response, expectedChallenge: take(userName), expectedOrigin: origin, expectedRPID: rpID });
      if (verified) user(userName).passkeys.push(registrationInfo.credential);
      return { verified, userName, credentialId: registrationInfo?.credential.id, userVerified: registrationInfo?.userVerified };
    },
    async '/login/options'({ userName }) {
      const allowCredentials = userName ? user(userName).passkeys.map((p) => ({ id: p.id })) : [];
      const options = await generateAuthenticationOptions({ rpID, allowCredentials });
      challenges.set(options.challenge, '');
      return options;
    },
    async '/login/verify'({ response }) {
      const [userName, credential] = [...users].flatMap(([name, u]) => u.passkeys.filter((p) => p.id === response.id).map((p) => [name, p]))[0] ?? [];
      if (!credential) return { verified: false, error: `unknown passkey ${response.id}` };
      const { verified, authenticationInfo } = await verifyAuthenticationResponse({ response, expectedChallenge: take(''), expectedOrigin: origin, expectedRPID: rpID, credential });
      if (verified) credential.counter = authenticationInfo.newCounter;
      return { verified, userName, credentialId: credential.id, signCount: authenticationInfo.newCounter };
    },
  };

  async function serve(req, res) {
    const answer = (status, type, body) => res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method === 'GET' && req.url === '/') return answer(200, 'text/html', page);
    const route = req.method === 'POST' ? routes[req.url] : undefined;
    if (!route) return answer(404, 'text/plain', 'not found');
    try {
      let body = '';
      for await (const chunk of req) body += chunk;
      answer(200, 'application/json', JSON.stringify(await route(JSON.parse(body))));
    } catch (e) {
      answer(400, 'application/json', JSON.stringify({ verified: false, error: String(e?.message ?? e) }));
    }
  }
  // serve() answers every error itself: no request leaves a rejected promise behind.
  const server = http.createServer((req, res) => void serve(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://localhost:${server.address().port}`;
  return {
    origin,
    rpId: rpID,
    users,
    /** A passkey the user registered earlier (e.g. one from makePasskey()), as the site's database holds it. */
    addPasskey({ userName, id, userHandle, cosePublicKey, signCount = 0 }) {
      const u = user(userName);
      u.id = Buffer.from(userHandle, 'base64url');
      u.passkeys.push({ id, publicKey: Buffer.from(cosePublicKey, 'base64url'), counter: signCount });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
