// Pairing a new browser through the sync server (protocol.ts, /v1/pairings): the HTTP client around the pure
// core (src/sync/pairing.ts). Every answer is checked against the protocol's schema, every failure is a
// PairingError with a sentence for the person. Uses fetch only, so it runs in the extension and in Node tests.
//
//   new browser (initiator)                         approving browser (joiner, unlocked)
//   startPairing(url) -> shows code                 joinPairing(url, typed code) -> shows sas
//   waitForJoiner()   -> shows sas                  the person compares both strings, then:
//                                                   approve(payload)  (or cancel())
//   waitForPayload()  -> vault id, token, vault key, server
//
// Underneath, commit then reveal (protocol.ts): the initiator starts with a commitment to its key; the joiner
// joins with its key and gets the commitment; the initiator's poll brings the joiner's key, and the initiator
// then reveals its own (on its own, in whichever wait is polling); joinPairing resolves once the revealed key
// arrived and matched the commitment. So both strings can be on screen before anything secret moves, and the
// server had to choose any keys it substitutes before it saw the initiator's: the strings then differ but by
// a 10^-6 chance. Each side's requests after its first carry the secret the server gave that side. Aborting a
// wait, or cancel(), ends the pairing on that browser and wipes its keys; the server forgets the code after 5
// minutes.
import * as v from 'valibot';
import { clean } from '@noble/hashes/utils.js';
import { checkServerUrl } from './syncHttp.ts';
import {
  type PairingPayload,
  PairingError,
  checkCommitment,
  formatPairingCode,
  newPairingKeyPair,
  openPayload,
  pairingCommitment,
  pairingKeys,
  parsePairingCode,
  sealPayload,
} from '../sync/pairing.ts';
import { ErrorBody, PairingInitiatorState, PairingJoined, PairingJoinerState, PairingStarted } from '../sync/protocol.ts';
import { decode as fromB64u, encode as b64u } from '../webauthn/base64url.ts';

const REQUEST_TIMEOUT_MS = 30_000;
const POLL_MS = 1000;
/** Polls that may fail in a row (no network, a server error) before a wait gives up. */
const MAX_POLL_FAILURES = 10;
/** A wait ends here whatever the server says (a code lives 5 minutes on the server; its clock is not ours). */
const MAX_WAIT_MS = 10 * 60 * 1000;

export interface PairingOptions {
  fetch?: typeof fetch;
  /** Between two polls of a wait. */
  pollMs?: number;
  /** Aborts startPairing's request, or joinPairing's join and its wait for the new browser's key. */
  signal?: AbortSignal;
}

export interface InitiatorPairing {
  /** The code to show, as XXXX-XXXX. */
  readonly code: string;
  /** When the server forgets the code: milliseconds since the epoch by the server's clock. */
  readonly expiresAt: number;
  /** Resolves once a browser has joined and this one revealed its key to it, with the string to show beside the code's place. */
  waitForJoiner(signal?: AbortSignal): Promise<{ sas: string }>;
  /** Resolves with the vault's details once the other browser approved; the pairing is then complete. */
  waitForPayload(signal?: AbortSignal): Promise<PairingPayload>;
  /** Ends the pairing on this browser: keys wiped, waits rejected with PairingError 'cancelled'. */
  cancel(): void;
}

export interface JoinerPairing {
  /** The code joined, as XXXX-XXXX. */
  readonly code: string;
  /** The string to show; the person compares it with the new browser's. */
  readonly sas: string;
  /** Seals the vault's details for the new browser and sends them. Only after the person saw both strings match. */
  approve(payload: PairingPayload, signal?: AbortSignal): Promise<void>;
  /** Ends the pairing on this browser without sending anything (the strings differed, or the person changed their mind). */
  cancel(): void;
}

/** start, join: no secret yet. poll: the initiator's ?as=initiator; reveal: its key. joiner-poll: ?as=joiner, for that key. */
type Step = 'start' | 'join' | 'poll' | 'reveal' | 'joiner-poll' | 'payload';

interface Request {
  method: 'GET' | 'POST';
  body?: unknown;
  /** The role's secret from start or join (protocol.ts PairingSecret), as the bearer token. */
  secret?: string;
}

const Ok = v.object({ ok: v.literal(true) });

/** Seconds from Retry-After (protocol.ts: 429 carries it), or a minute. */
const retryAfterOf = (res: Response) => {
  const n = Number(res.headers.get('retry-after'));
  return Number.isFinite(n) && n > 0 ? n : 60;
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One pairing request, its answer checked; a failure becomes the sentence that fits this step. */
function client(base: string, fetchImpl: typeof fetch) {
  return async function call<T>(step: Step, path: string, { method, body: sent, secret }: Request, schema: v.GenericSchema<unknown, T>, signal?: AbortSignal, shown = ''): Promise<T> {
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, {
        method,
        headers: { ...(sent === undefined ? {} : { 'content-type': 'application/json' }), ...(secret === undefined ? {} : { authorization: `Bearer ${secret}` }) },
        ...(sent === undefined ? {} : { body: JSON.stringify(sent) }),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new PairingError('offline', `The sync server at ${base} cannot be reached (${(e as Error).message}). Check the address and the connection, then try again.`, { cause: e });
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new PairingError('server', `The sync server at ${base} answered something that is not Keyport's protocol (HTTP ${res.status}).`, { cause: e });
    }
    if (!res.ok) {
      const err = v.safeParse(ErrorBody, body);
      const said = err.success ? err.output.error.message : `HTTP ${res.status}`;
      if (res.status === 429) {
        const wait = retryAfterOf(res);
        const what = step === 'start' ? 'Too many pairings were started from this network' : 'Too many wrong pairing codes came from this network';
        throw new PairingError('rate-limited', `${what}; wait ${wait} seconds and try again.`, { retryAfter: wait });
      }
      const gone = res.status === 409 || res.status === 410;
      if (step === 'join' && res.status === 404) throw new PairingError('unknown-code', `No pairing has the code ${shown}. Check it against the new browser's screen (a code lasts 5 minutes).`);
      if (step === 'join' && gone) throw new PairingError('used', `The code ${shown} was used already. Start a new pairing on the new browser.`);
      if (step === 'joiner-poll' && res.status === 404) throw new PairingError('expired', 'The pairing code expired before the new browser answered. Start again on the new browser.');
      if (step === 'joiner-poll' && res.status === 410) throw new PairingError('used', 'This pairing was completed by another request, not this browser. Start again on the new browser.');
      if (step === 'payload' && res.status === 404) throw new PairingError('expired', 'The pairing code expired before the approval. Start again on the new browser.');
      if (step === 'payload' && gone) throw new PairingError('used', `This pairing was approved already (${said}).`);
      if ((step === 'poll' || step === 'reveal') && res.status === 404) throw new PairingError('expired', 'The pairing code expired before another browser approved it. Start again for a new code.');
      if (step === 'poll' && res.status === 410) throw new PairingError('used', 'This pairing was completed by another request, not this browser. Start again for a new code.');
      if (step === 'reveal' && gone) throw new PairingError('used', `This browser's key was revealed already (${said}).`);
      if (step === 'reveal' && res.status === 400) throw new PairingError('tampered', `The sync server refused this browser's key as not the one it committed to (${said}): the server altered the commitment. Start again for a new code.`);
      if (res.status === 401) throw new PairingError('server', `The sync server did not accept this browser's part in the pairing (${said}). Start again.`);
      throw new PairingError('server', `The sync server had a problem with the pairing (${said}). Try again.`);
    }
    const r = v.safeParse(schema, body);
    if (!r.success) throw new PairingError('server', `The sync server at ${base} answered the pairing with an unexpected shape (${r.issues[0].message}).`);
    return r.output;
  };
}

function baseOf(serverUrl: string): string {
  try {
    return checkServerUrl(serverUrl);
  } catch (e) {
    throw new PairingError('bad-address', (e as Error).message, { cause: e });
  }
}

const cancelled = () => new PairingError('cancelled', 'This pairing was cancelled on this browser.');

/** A key or commitment the server relayed from the other browser (already checked to be 43 base64url characters). */
function relayed(text: string): Uint8Array {
  try {
    return fromB64u(text);
  } catch (e) {
    throw new PairingError('tampered', "The other browser's key is not a valid key: the sync server or the network altered it. Start again.", { cause: e });
  }
}

interface Polling {
  pollMs: number;
  /** Date.now() after which the wait fails with `expired()`. */
  deadline: number;
  expired: () => PairingError;
  /** Why the pairing ended on this browser, if it did: thrown as it is, never retried. */
  ended?: () => unknown;
  signal?: AbortSignal;
}

/**
 * Runs `attempt` every pollMs until it returns true. A failure that can pass (no network, a server error, a
 * rate limit) is retried, MAX_POLL_FAILURES in a row at most; any other error, an abort, or the end of the
 * pairing ends the wait.
 */
async function pollUntil({ pollMs, deadline, expired, ended = () => undefined, signal }: Polling, attempt: () => Promise<boolean>): Promise<void> {
  let failures = 0;
  for (;;) {
    if (ended() !== undefined) throw ended();
    if (Date.now() > deadline) throw expired();
    let wait = pollMs;
    try {
      if (await attempt()) return;
      failures = 0;
    } catch (e) {
      if (!(e instanceof PairingError) || ended() !== undefined) throw e;
      if (e.kind === 'rate-limited') wait = Math.max(pollMs, (e.retryAfter ?? 60) * 1000);
      else if (!((e.kind === 'offline' || e.kind === 'server') && ++failures < MAX_POLL_FAILURES)) throw e;
    }
    await sleep(wait, signal);
  }
}

/** The new browser's side: a code to show, then (after the commit-reveal) the joiner's string, then the vault's details. */
export async function startPairing(serverUrl: string, { fetch: fetchImpl = globalThis.fetch.bind(globalThis), pollMs = POLL_MS, signal }: PairingOptions = {}): Promise<InitiatorPairing> {
  const base = baseOf(serverUrl);
  const call = client(base, fetchImpl);
  const own = newPairingKeyPair();
  let started: v.InferOutput<typeof PairingStarted>;
  try {
    // protocol.ts step 1: only the commitment; the key itself waits until the joiner's key is here.
    started = await call('start', '/v1/pairings', { method: 'POST', body: { commitment: b64u(pairingCommitment(own.publicKey)) } }, PairingStarted, signal);
  } catch (e) {
    clean(own.secretKey);
    throw e;
  }
  const { code, expiresAt, initiatorSecret: secret } = started;
  const deadline = Date.now() + MAX_WAIT_MS;
  /** The joiner's key and what it gives: the first key seen is the one (a code joins once). */
  let joined: { joinerPublicKey: string; sas: string; key: Uint8Array } | undefined;
  /** Whether the server took this browser's key (step 4); from then on the joiner can derive the string. */
  let revealed = false;
  /** The sealed payload, once a poll brought it: the server hands it over once, whichever wait was polling. */
  let sealed: string | undefined;
  /** Why the pairing ended on this browser; every later wait fails with it. */
  let ended: unknown;

  function end(reason: unknown) {
    ended ??= reason;
    clean(own.secretKey);
    if (joined) clean(joined.key);
  }

  function see(joinerPublicKey: string) {
    if (joined) {
      if (joined.joinerPublicKey !== joinerPublicKey) throw new PairingError('tampered', "The other browser's key changed during the pairing: the sync server altered it. Start again.");
      return;
    }
    const { sas, key } = pairingKeys(own.secretKey, 'initiator', { code, initiatorPublicKey: own.publicKey, joinerPublicKey: relayed(joinerPublicKey) });
    clean(own.secretKey);
    joined = { joinerPublicKey, sas, key };
  }

  /** protocol.ts step 4, once the joiner's key is here. A 409 is an earlier reveal whose answer was lost (or the other wait's). */
  async function reveal(signal: AbortSignal | undefined) {
    try {
      await call('reveal', `/v1/pairings/${code}/reveal`, { method: 'POST', body: { publicKey: b64u(own.publicKey) }, secret }, Ok, signal);
    } catch (e) {
      if (!(e instanceof PairingError && e.kind === 'used')) throw e;
    }
    revealed = true;
  }

  /**
   * Polls ?as=initiator until `until()` holds. Every poll records what it brings (the join, the payload) and
   * reveals this browser's key right after the join. Any error that ends the wait ends the pairing, an abort too.
   */
  async function poll(signal: AbortSignal | undefined, until: () => boolean): Promise<void> {
    const expired = () => new PairingError('expired', 'The pairing code expired before another browser approved it. Start again for a new code.');
    try {
      await pollUntil({ pollMs, deadline, expired, ended: () => ended, signal }, async () => {
        if (until()) return true;
        if (!joined || revealed) {
          let state: v.InferOutput<typeof PairingInitiatorState>;
          try {
            state = await call('poll', `/v1/pairings/${code}?as=initiator`, { method: 'GET', secret }, PairingInitiatorState, signal);
          } catch (e) {
            if (e instanceof PairingError && e.kind === 'used' && sealed !== undefined) return until(); // the other wait collected it
            throw e;
          }
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- end()'s reason as given (unknown narrowed to {}), as in pollUntil
          if (ended !== undefined) throw ended;
          if (state.joinerPublicKey !== undefined) see(state.joinerPublicKey);
          if (state.payload !== undefined) {
            if (!joined) throw new PairingError('server', 'The sync server handed over vault details without the key of the browser that sent them. Start again.');
            sealed = state.payload;
            revealed = true; // the joiner only sends after the reveal
          }
        }
        if (joined && !revealed) await reveal(signal);
        return until();
      });
    } catch (e) {
      end(e);
      throw e;
    }
  }

  return {
    code: formatPairingCode(code),
    expiresAt,
    async waitForJoiner(signal) {
      await poll(signal, () => joined !== undefined && revealed);
      return { sas: joined!.sas };
    },
    async waitForPayload(signal) {
      await poll(signal, () => sealed !== undefined && joined !== undefined);
      try {
        const payload = await openPayload(joined!.key, code, sealed!);
        try {
          payload.serverUrl = checkServerUrl(payload.serverUrl);
        } catch (e) {
          clean(payload.vaultKey);
          throw new PairingError('bad-address', `The other browser named a sync server this one cannot use: ${(e as Error).message}`, { cause: e });
        }
        end(new PairingError('used', 'This pairing is complete already.'));
        return payload;
      } catch (e) {
        end(e);
        throw e;
      }
    },
    cancel: () => end(cancelled()),
  };
}

/**
 * The approving browser's side: join with the code the person typed, wait for the new browser's key and check
 * it against the commitment, then show the string and send on approval.
 */
export async function joinPairing(serverUrl: string, code: string, { fetch: fetchImpl = globalThis.fetch.bind(globalThis), pollMs = POLL_MS, signal }: PairingOptions = {}): Promise<JoinerPairing> {
  const base = baseOf(serverUrl);
  const canonical = parsePairingCode(code); // a typo in the length or the alphabet is caught before any network call
  const shown = formatPairingCode(canonical);
  const call = client(base, fetchImpl);
  const own = newPairingKeyPair();
  let key: Uint8Array;
  let sas: string;
  let secret: string;
  try {
    // protocol.ts step 2: this browser's key goes out, the new browser's commitment comes back.
    const joined = await call('join', `/v1/pairings/${canonical}/join`, { method: 'POST', body: { publicKey: b64u(own.publicKey) } }, PairingJoined, signal, shown);
    secret = joined.joinerSecret;
    const commitment = relayed(joined.commitment);
    // Step 4, seen from here: the new browser reveals its key once it has this one's.
    let initiatorPublicKey: Uint8Array | undefined;
    const expired = () => new PairingError('expired', 'The pairing code expired before the new browser answered. Start again on the new browser.');
    await pollUntil({ pollMs, deadline: Date.now() + MAX_WAIT_MS, expired, signal }, async () => {
      const state = await call('joiner-poll', `/v1/pairings/${canonical}?as=joiner`, { method: 'GET', secret }, PairingJoinerState, signal);
      if (state.initiatorPublicKey === undefined) return false;
      initiatorPublicKey = relayed(state.initiatorPublicKey);
      return true;
    });
    // Step 5: the key must be the one committed to before this browser's key was sent, or no string is shown.
    checkCommitment(commitment, initiatorPublicKey!);
    ({ sas, key } = pairingKeys(own.secretKey, 'joiner', { code: canonical, initiatorPublicKey: initiatorPublicKey!, joinerPublicKey: own.publicKey }));
  } finally {
    clean(own.secretKey);
  }
  let state: 'open' | 'sending' | 'done' | 'cancelled' = 'open';
  /** An earlier send whose answer never came: the server may hold the payload already. */
  let uncertain = false;

  return {
    code: shown,
    sas,
    async approve(payload, signal) {
      if (state === 'cancelled') throw cancelled();
      if (state !== 'open') throw new PairingError('used', 'This pairing was approved already.');
      state = 'sending';
      try {
        const sealed = await sealPayload(key, canonical, payload);
        await call('payload', `/v1/pairings/${canonical}/payload`, { method: 'POST', body: { payload: sealed }, secret }, Ok, signal);
      } catch (e) {
        // 409 after a send whose answer was lost: most likely that send arrived. Were it anyone else's, the new
        // browser could not open it and would say so.
        if (uncertain && e instanceof PairingError && e.kind === 'used') {
          state = 'done';
          clean(key);
          return;
        }
        const retry = e instanceof PairingError ? e.kind === 'offline' || e.kind === 'server' || e.kind === 'rate-limited' : signal?.aborted === true;
        if (retry) {
          uncertain ||= !(e instanceof PairingError && e.kind === 'rate-limited');
          state = 'open';
        } else {
          state = 'done';
          clean(key);
        }
        throw e;
      }
      state = 'done';
      clean(key);
    },
    cancel() {
      if (state === 'open') state = 'cancelled';
      clean(key);
    },
  };
}
