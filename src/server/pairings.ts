// The pairing half of the sync protocol (protocol.ts, POST /v1/pairings ...): a rendezvous where two browsers
// swap X25519 public keys, the initiator's behind a commitment, and then one sealed payload, under a short
// code. Pairings are ephemeral, so they live in this process's memory, whatever the store (a deployment with
// several server processes must send one pairing's requests to one process). The server sees public keys, a
// commitment and a payload sealed under the key the two browsers agree on; it cannot read or usefully change
// any of them (the people compare a short string, and the commitment keeps the server from choosing its keys
// to make the two strings agree: src/sync/pairing.ts).
//
// One pairing, in order:
//   new browser (initiator):    start(commitment)           -> code, initiator's secret
//   approving browser (joiner): join(code, its key B)       -> the commitment, joiner's secret; a code joins once
//   initiator:                  state(code, 'initiator')    -> B
//   initiator:                  reveal(code, its key A)     -> once, after the join; A must hash to the commitment
//   joiner:                     state(code, 'joiner')       -> A
//   joiner:                     deposit(code, payload)      -> once, after the reveal
//   initiator:                  state(code, 'initiator')    -> the payload; handing it over completes the
//                                                              pairing, and the code then answers 410
// Every step but start and join carries that role's secret; the server keeps SHA-256 of each and compares in
// constant time. A code lives PAIRING_TTL_MS; after that, as for a code never issued, 404.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as v from 'valibot';
import { PAIRING_COMMIT_LABEL, type PairingInitiatorState, type PairingJoinerState } from '../sync/protocol.ts';
import { badRequest, conflict, gone, notFound, rateLimited, unauthorized } from './errors.ts';

export const PAIRING_TTL_MS = 5 * 60 * 1000;

/** Crockford base32 (no I, L, O, U), as protocol.ts PairingCode expects. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type PairingRole = 'initiator' | 'joiner';

interface Pairing {
  /** SHA-256(PAIRING_COMMIT_LABEL || A), as sent. */
  commitment: string;
  /** SHA-256 of each role's secret; the joiner's from its join. */
  secretHashes: { initiator: Buffer; joiner?: Buffer };
  joinerKey?: string;
  initiatorKey?: string;
  payload?: string;
  expiresAt: number;
  done: boolean;
}

export type PairingState = v.InferOutput<typeof PairingInitiatorState> | v.InferOutput<typeof PairingJoinerState>;

export interface Pairings {
  start(commitment: string, now: number): { code: string; expiresAt: number; initiatorSecret: string };
  join(code: string, publicKey: string, now: number): { commitment: string; joinerSecret: string };
  reveal(code: string, secret: string, publicKey: string, now: number): { ok: true };
  deposit(code: string, secret: string, payload: string, now: number): { ok: true };
  state(code: string, role: PairingRole, secret: string, now: number): PairingState;
  readonly size: number;
}

function newCode(): string {
  // 256 is a multiple of 32: the low five bits of a random byte are uniform.
  return Array.from(randomBytes(8), (b) => CROCKFORD[b & 31]!).join('');
}

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** A role's secret: 32 random bytes as base64url (protocol.ts PairingSecret), and what the server keeps of it. */
function newSecret(): { secret: string; hash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: sha256(Buffer.from(secret, 'ascii')) };
}

/** Whether `publicKey` (43 base64url characters, schema-checked) is the canonical encoding of a key that hashes to `commitment`. */
function opens(commitment: string, publicKey: string): boolean {
  const key = Buffer.from(publicKey, 'base64url');
  if (key.toString('base64url') !== publicKey) return false; // non-zero trailing bits: another spelling of some key
  return sha256(Buffer.from(PAIRING_COMMIT_LABEL, 'ascii'), key).equals(Buffer.from(commitment, 'base64url'));
}

export function createPairings({ ttlMs = PAIRING_TTL_MS, maxLive = 1000 } = {}): Pairings {
  // Every pairing lives ttlMs from its start, so insertion order is expiry order.
  const live = new Map<string, Pairing>();

  function sweep(now: number) {
    for (const [code, p] of live) {
      if (p.expiresAt > now) break;
      live.delete(code);
    }
  }

  function find(code: string, now: number): Pairing {
    sweep(now);
    const pairing = live.get(code);
    if (!pairing) throw notFound('no pairing with this code (mistyped or expired)', true);
    if (pairing.done) throw gone('this pairing is complete');
    return pairing;
  }

  /** The pairing, if `secret` is this role's: compared as SHA-256 digests, in constant time. */
  function authorized(code: string, role: PairingRole, secret: string, now: number): Pairing {
    const pairing = find(code, now);
    const expected = pairing.secretHashes[role];
    const given = sha256(Buffer.from(secret, 'ascii'));
    if (expected === undefined || !timingSafeEqual(given, expected)) throw unauthorized(`this is not the ${role}'s secret for this pairing`);
    return pairing;
  }

  return {
    start(commitment, now) {
      sweep(now);
      if (live.size >= maxLive) throw rateLimited('too many pairings in progress; try again in a minute', 60);
      let code = newCode();
      while (live.has(code)) code = newCode();
      const expiresAt = now + ttlMs;
      const initiator = newSecret();
      live.set(code, { commitment, secretHashes: { initiator: initiator.hash }, expiresAt, done: false });
      return { code, expiresAt, initiatorSecret: initiator.secret };
    },
    join(code, publicKey, now) {
      const pairing = find(code, now);
      if (pairing.joinerKey !== undefined) throw conflict('this pairing code was used already');
      const joiner = newSecret();
      pairing.joinerKey = publicKey;
      pairing.secretHashes.joiner = joiner.hash;
      return { commitment: pairing.commitment, joinerSecret: joiner.secret };
    },
    reveal(code, secret, publicKey, now) {
      const pairing = authorized(code, 'initiator', secret, now);
      if (pairing.joinerKey === undefined) throw conflict("nobody has joined this pairing yet: the key is revealed after the joiner's");
      if (pairing.initiatorKey !== undefined) throw conflict('the key of this pairing was revealed already');
      if (!opens(pairing.commitment, publicKey)) throw badRequest('body.publicKey: its SHA-256 is not the commitment this pairing started with');
      pairing.initiatorKey = publicKey;
      return { ok: true };
    },
    deposit(code, secret, payload, now) {
      const pairing = authorized(code, 'joiner', secret, now);
      if (pairing.initiatorKey === undefined) throw conflict('the new browser has not revealed its key yet');
      if (pairing.payload !== undefined) throw conflict('the payload of this pairing was sent already');
      pairing.payload = payload;
      return { ok: true };
    },
    state(code, role, secret, now) {
      const pairing = authorized(code, role, secret, now);
      if (role === 'joiner') {
        const state: v.InferOutput<typeof PairingJoinerState> = { expiresAt: pairing.expiresAt };
        if (pairing.initiatorKey !== undefined) state.initiatorPublicKey = pairing.initiatorKey;
        return state;
      }
      const state: v.InferOutput<typeof PairingInitiatorState> = { expiresAt: pairing.expiresAt };
      if (pairing.joinerKey !== undefined) state.joinerPublicKey = pairing.joinerKey;
      if (pairing.payload !== undefined) {
        state.payload = pairing.payload;
        pairing.done = true;
      }
      return state;
    },
    get size() {
      return live.size;
    },
  };
}
