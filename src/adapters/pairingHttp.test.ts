// @vitest-environment node
// Pairing end to end: both clients (pairingHttp.ts) against the real sync server on a real port. What a person
// would notice: both screens show the same string, the new browser receives the vault's details; a mistyped,
// expired or used code says so; a server that swaps the keys makes the strings differ and its payload unopenable,
// and one that swaps the new browser's key after the commitment is caught before any string is shown.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../server/server.ts';
import { buildApp } from '../server/app.ts';
import { PAIRING_TTL_MS } from '../server/pairings.ts';
import { newPairingKeyPair, type PairingPayload, PairingError, pairingCommitment } from '../sync/pairing.ts';
import { decode as fromB64u, encode as b64u } from '../webauthn/base64url.ts';
import { joinPairing, startPairing } from './pairingHttp.ts';
import { useSyncServer } from '../../tests/vectors/syncServer.ts';

const POLL = { pollMs: 20 };
/** A fetch input's URL (a Request's own, not "[object Request]"). */
const urlOf = (input: RequestInfo | URL) => (input instanceof Request ? input.url : String(input));

const payload = (serverUrl: string): PairingPayload => ({
  vaultId: b64u(crypto.getRandomValues(new Uint8Array(32))),
  token: b64u(crypto.getRandomValues(new Uint8Array(32))),
  vaultKey: crypto.getRandomValues(new Uint8Array(32)),
  serverUrl,
});

/** A rejection with a PairingError of this kind, its message matching `message`. */
async function fails(promise: Promise<unknown>, kind: PairingError['kind'], message?: RegExp) {
  const e = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e, `expected a PairingError '${kind}'`).toBeInstanceOf(PairingError);
  expect((e as PairingError).kind, (e as Error).message).toBe(kind);
  if (message) expect((e as Error).message).toMatch(message);
  return e as PairingError;
}

/** A fetch that lets `edit` rewrite the JSON answers of the pairing routes (a man in the middle at the server). */
function tampering(edit: (url: string, body: Record<string, unknown>) => Record<string, unknown>): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.ok) return res;
    const body = edit(urlOf(input), (await res.json()) as Record<string, unknown>);
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
}

describe('pairing a new browser through the real server', () => {
  const server = useSyncServer();

  it('shows the same string on both browsers, then hands the vault over once', async () => {
    const initiator = await startPairing(server.url, POLL);
    expect(initiator.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(initiator.expiresAt).toBeGreaterThan(Date.now());
    const joinerSees = initiator.waitForJoiner();

    // The person types the code in lower case without the dash.
    const joiner = await joinPairing(server.url, initiator.code.replace('-', '').toLowerCase(), POLL);
    expect(joiner.code).toBe(initiator.code);
    expect(joiner.sas).toMatch(/^\d{3} \d{3}$/);
    expect((await joinerSees).sas).toBe(joiner.sas);

    // Nothing secret has moved yet: the server holds no payload until the approval.
    const vault = payload(server.url);
    const arriving = initiator.waitForPayload();
    await new Promise((r) => setTimeout(r, 100));
    await joiner.approve({ ...vault, vaultKey: vault.vaultKey.slice() });
    const received = await arriving;
    expect(received).toEqual(vault);

    // Once: a second approval, another joiner, another wait.
    await fails(joiner.approve(vault), 'used');
    await fails(joinPairing(server.url, initiator.code, POLL), 'used', new RegExp(`The code ${initiator.code} was used already`));
    await fails(initiator.waitForPayload(), 'used');
  });

  it('commits before it reveals: the start carries no key, the join answer only the commitment', async () => {
    const sent: Array<{ url: string; body?: unknown; answer: unknown }> = [];
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      sent.push({ url: urlOf(input).replace(server.url, ''), body, answer: await res.clone().json() });
      return res;
    };
    const initiator = await startPairing(server.url, { ...POLL, fetch: recording });
    const code = initiator.code.replace('-', '');
    const commitment = (sent[0]!.body as { commitment: string }).commitment;
    expect(Object.keys(sent[0]!.body as object)).toEqual(['commitment']);
    const joinerSees = initiator.waitForJoiner();
    const joiner = await joinPairing(server.url, initiator.code, { ...POLL, fetch: recording });
    expect((await joinerSees).sas).toBe(joiner.sas);

    const join = sent.find((r) => r.url.endsWith('/join'))!;
    expect(Object.keys(join.answer as object).sort()).toEqual(['commitment', 'joinerSecret']);
    expect((join.answer as { commitment: string }).commitment).toBe(commitment);
    // The reveal comes after the initiator's first sight of the joiner's key, and opens the commitment.
    const reveal = sent.findIndex((r) => r.url === `/v1/pairings/${code}/reveal`);
    const sawJoiner = sent.findIndex((r) => r.url.endsWith('?as=initiator') && (r.answer as { joinerPublicKey?: string }).joinerPublicKey !== undefined);
    expect(sawJoiner).toBeGreaterThan(sent.indexOf(join));
    expect(reveal).toBeGreaterThan(sawJoiner);
    const revealed = (sent[reveal]!.body as { publicKey: string }).publicKey;
    expect(b64u(pairingCommitment(fromB64u(revealed)))).toBe(commitment);
    initiator.cancel();
    joiner.cancel();
  });

  it('lets the new browser wait for the payload alone: the join, its reveal and the payload come in one wait', async () => {
    const initiator = await startPairing(server.url, POLL);
    const arriving = initiator.waitForPayload();
    const joinerSees = initiator.waitForJoiner();
    const joiner = await joinPairing(server.url, initiator.code, POLL);
    expect((await joinerSees).sas).toBe(joiner.sas);
    const vault = payload(server.url);
    await joiner.approve({ ...vault, vaultKey: vault.vaultKey.slice() });
    expect(await arriving).toEqual(vault);
  });

  it('says when a code is mistyped, malformed or taken, and when the server or its address is wrong', async () => {
    const initiator = await startPairing(server.url, POLL);
    const other = initiator.code.endsWith('0') ? initiator.code.replace(/0$/, '1') : initiator.code.replace(/.$/, '0');
    await fails(joinPairing(server.url, other, POLL), 'unknown-code', new RegExp(`No pairing has the code ${other}\\. Check it against the new browser's screen`));

    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls += 1;
      return fetch(input, init);
    };
    await fails(joinPairing(server.url, 'ABCD-123', { fetch: counting }), 'malformed-code', /8 characters; this one has 7/);
    await fails(joinPairing(server.url, 'ABCU-1234', { fetch: counting }), 'malformed-code', /"U" is not a character/);
    expect(calls).toBe(0);

    await Promise.all([joinPairing(server.url, initiator.code, POLL), initiator.waitForJoiner()]);
    await fails(joinPairing(server.url, initiator.code, POLL), 'used', /used already\. Start a new pairing on the new browser/);

    await fails(startPairing('http://sync.example'), 'bad-address', /https/);
    await fails(startPairing('not a url'), 'bad-address', /not a web address/);
    const closed = `http://127.0.0.1:${server.port === 1 ? 2 : 1}`;
    await fails(startPairing(closed), 'offline', /cannot be reached/);
    await fails(joinPairing(closed, initiator.code), 'offline', /cannot be reached/);
    initiator.cancel();
  });

  it('makes the strings differ when the server swaps in its own keys and commitment, and the new browser refuses what it then receives', async () => {
    // A server that plays both ends: it must answer the join (with a commitment) and the initiator's poll (with
    // "the joiner's key") before the initiator reveals its key, so it cannot choose them to make the strings agree.
    const mallory1 = newPairingKeyPair(); // committed to and revealed to the joiner as "the initiator's key"
    const mallory2 = newPairingKeyPair(); // the initiator is told this is the joiner's key
    const asJoiner = tampering((url, body) => {
      if (url.endsWith('/join')) return { ...body, commitment: b64u(pairingCommitment(mallory1.publicKey)) };
      if (url.includes('?as=joiner') && body.initiatorPublicKey) return { ...body, initiatorPublicKey: b64u(mallory1.publicKey) };
      return body;
    });
    const asInitiator = tampering((url, body) => (url.includes('?as=initiator') && body.joinerPublicKey ? { ...body, joinerPublicKey: b64u(mallory2.publicKey) } : body));

    const initiator = await startPairing(server.url, { ...POLL, fetch: asInitiator });
    const initiatorSees = initiator.waitForJoiner();
    const joiner = await joinPairing(server.url, initiator.code, { ...POLL, fetch: asJoiner });
    const { sas } = await initiatorSees;
    expect(sas).not.toBe(joiner.sas); // equal with probability 10^-6: the server picked both keys before it saw the initiator's

    // Had the person approved anyway, the payload is sealed to the wrong key: the new browser cannot open it.
    const arriving = initiator.waitForPayload();
    await joiner.approve(payload(server.url));
    await fails(arriving, 'tampered', /could not be opened/);
  });

  it("catches a server that changes the new browser's key after the commitment (as a grinding server must)", async () => {
    // Having seen the key at the reveal, the server hands the joiner another, say one ground to give the
    // initiator's string: the joiner refuses it before it shows any string.
    const ground = newPairingKeyPair();
    const swapReveal = tampering((url, body) => (url.includes('?as=joiner') && body.initiatorPublicKey ? { ...body, initiatorPublicKey: b64u(ground.publicKey) } : body));
    const initiator = await startPairing(server.url, POLL);
    const initiatorSees = initiator.waitForJoiner();
    await fails(joinPairing(server.url, initiator.code, { ...POLL, fetch: swapReveal }), 'tampered', /not the one it committed to/);
    await initiatorSees;
    initiator.cancel();

    // A server that hands out another commitment than the new browser's cannot take the real key at the reveal:
    // here the real server holds a changed commitment, and refuses the reveal (400); the new browser says so.
    const swapCommitment: typeof fetch = (input, init) =>
      fetch(input, urlOf(input).endsWith('/v1/pairings') ? { ...init, body: JSON.stringify({ commitment: b64u(pairingCommitment(ground.publicKey)) }) } : init);
    const second = await startPairing(server.url, { ...POLL, fetch: swapCommitment });
    const abort = new AbortController();
    const joining = joinPairing(server.url, second.code, { ...POLL, signal: abort.signal });
    await fails(second.waitForJoiner(), 'tampered', /refused this browser's key/);
    abort.abort();
    await expect(joining).rejects.toMatchObject({ name: 'AbortError' });
  });

  it("refuses a payload changed on the way, and a joiner's key that changes between polls", async () => {
    const flip = tampering((url, body) => {
      const p = body.payload;
      return typeof p === 'string' ? { ...body, payload: (p[5] === 'A' ? 'B' : 'A') + p.slice(1) } : body;
    });
    const initiator = await startPairing(server.url, { ...POLL, fetch: flip });
    const [joiner] = await Promise.all([joinPairing(server.url, initiator.code, POLL), initiator.waitForJoiner()]);
    await joiner.approve(payload(server.url));
    await fails(initiator.waitForPayload(), 'tampered');

    let polls = 0;
    const drifting = tampering((url, body) => (url.includes('?as=initiator') && body.joinerPublicKey && ++polls > 1 ? { ...body, joinerPublicKey: b64u(newPairingKeyPair().publicKey) } : body));
    const second = await startPairing(server.url, { ...POLL, fetch: drifting });
    await Promise.all([joinPairing(server.url, second.code, POLL), second.waitForJoiner()]);
    await fails(second.waitForPayload(), 'tampered', /changed during the pairing/);
  });

  it('rides out lost answers: polls that fail a few times, a reveal and an approval whose answers never came', async () => {
    let polls = 0;
    let reveals = 0;
    const flaky: typeof fetch = async (input, init) => {
      if (urlOf(input).includes('?as=') && ++polls <= 3) throw new TypeError('fetch failed');
      const res = await fetch(input, init);
      if (urlOf(input).endsWith('/reveal') && ++reveals === 1) throw new TypeError('network changed'); // it arrived; its answer did not
      return res;
    };
    let sends = 0;
    const lostAnswer: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (urlOf(input).endsWith('/payload') && ++sends === 1) throw new TypeError('network changed');
      return res;
    };
    const initiator = await startPairing(server.url, { ...POLL, fetch: flaky });
    const joinerSees = initiator.waitForJoiner();
    const joiner = await joinPairing(server.url, initiator.code, { ...POLL, fetch: lostAnswer });
    expect((await joinerSees).sas).toBe(joiner.sas);
    expect(reveals).toBe(2); // the second got 409: the first had arrived
    const vault = payload(server.url);
    await fails(joiner.approve({ ...vault, vaultKey: vault.vaultKey.slice() }), 'offline', /cannot be reached \(network changed\)/);
    await joiner.approve({ ...vault, vaultKey: vault.vaultKey.slice() }); // the server answers 409: the first send arrived
    expect(sends).toBe(2);
    expect(await initiator.waitForPayload()).toEqual(vault);
  });

  it('cancels cleanly on either side: an aborted wait ends the pairing here, a cancelled joiner sends nothing', async () => {
    const initiator = await startPairing(server.url, POLL);
    const abort = new AbortController();
    const waiting = initiator.waitForJoiner(abort.signal);
    setTimeout(() => abort.abort(), 60);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(initiator.waitForPayload()).rejects.toMatchObject({ name: 'AbortError' });

    // A joiner whose new browser never reveals its key waits until aborted.
    const silent = await startPairing(server.url, POLL);
    const stop = new AbortController();
    const joining = joinPairing(server.url, silent.code, { ...POLL, signal: stop.signal });
    setTimeout(() => stop.abort(), 60);
    await expect(joining).rejects.toMatchObject({ name: 'AbortError' });
    silent.cancel();

    const urls: string[] = [];
    const recording: typeof fetch = (input, init) => {
      urls.push(urlOf(input));
      return fetch(input, init);
    };
    const second = await startPairing(server.url, POLL);
    const [joiner] = await Promise.all([joinPairing(server.url, second.code, { ...POLL, fetch: recording }), second.waitForJoiner()]);
    joiner.cancel();
    await fails(joiner.approve(payload(server.url)), 'cancelled');
    expect(urls.some((url) => url.endsWith('/payload'))).toBe(false);
    second.cancel();
    await fails(second.waitForJoiner(), 'cancelled');
  });
});

describe('pairing against a server whose clock the test moves', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyport-pairing-clock-'));
  const clock = { now: Date.now() };
  let close: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    const store = await openStore({ data: dir });
    const app = buildApp({ store, now: () => clock.now, log: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    close = async () => {
      await app.close();
      await store.close();
    };
  });
  afterAll(async () => {
    await close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says a code expired: to the joiner, to a joiner waiting for the key, to a late approval, to the waiting new browser', async () => {
    const unjoined = await startPairing(url, POLL);
    const joinedLate = await startPairing(url, POLL);
    const [joiner] = await Promise.all([joinPairing(url, joinedLate.code, POLL), joinedLate.waitForJoiner()]);
    // A joiner whose new browser has not revealed its key yet: joined, then polling.
    const silent = await startPairing(url, POLL);
    let polling!: () => void;
    const polled = new Promise<void>((resolve) => (polling = resolve));
    const watching: typeof fetch = (input, init) => {
      if (urlOf(input).includes('?as=joiner')) polling();
      return fetch(input, init);
    };
    const waiting = fails(joinPairing(url, silent.code, { ...POLL, fetch: watching }), 'expired', /expired before the new browser answered/);
    await polled;
    clock.now += PAIRING_TTL_MS + 1;
    await waiting;
    await fails(joinPairing(url, unjoined.code, POLL), 'unknown-code', /a code lasts 5 minutes/);
    await fails(unjoined.waitForJoiner(), 'expired', /expired before another browser approved it/);
    await fails(joiner.approve(payload(url)), 'expired', /expired before the approval/);
    silent.cancel();
  });

  it('says when wrong codes from this network are rate limited, and the new browser waits that out', async () => {
    clock.now += 61_000; // a fresh window: the expired codes above counted as wrong ones
    const statuses: number[] = [];
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      statuses.push(res.status);
      return res;
    };
    const initiator = await startPairing(url, { ...POLL, fetch: recording });
    for (let i = 0; i < 10; i++) await fails(joinPairing(url, `ZZZZ${String(i).padStart(4, '0')}`), 'unknown-code');
    const limited = await fails(joinPairing(url, initiator.code, POLL), 'rate-limited', /Too many wrong pairing codes came from this network; wait 60 seconds/);
    expect(limited.retryAfter).toBe(60);

    // The new browser on the same network is refused too, with a second left: it waits that second, then polls on.
    clock.now += 59_500;
    const joinerSees = initiator.waitForJoiner();
    await new Promise((r) => setTimeout(r, 200));
    expect(statuses.slice(1)).toEqual([429]);
    clock.now += 1000;
    const joiner = await joinPairing(url, initiator.code, POLL);
    expect((await joinerSees).sas).toBe(joiner.sas);
    expect(statuses.slice(1)).toEqual([429, 200, 200]); // the poll that brought the joiner's key, then the reveal
  });
});
