// The pairing half of the sync protocol (protocol.ts, POST /v1/pairings ...): a rendezvous where two browsers
// swap X25519 public keys, the initiator's behind a commitment, and then one sealed payload, under a short
// code. Pairings live in the store (store.ts PairingRow), each step one transaction that holds the pairing's
// row, so any server process on the same database may answer any step. The server sees public keys, a
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
import type { PairingRow, Store, Tx } from './store.ts';

export const PAIRING_TTL_MS = 5 * 60 * 1000;

/** Crockford base32 (no I, L, O, U), as protocol.ts PairingCode expects. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type PairingRole = 'initiator' | 'joiner';

export type PairingState = v.InferOutput<typeof PairingInitiatorState> | v.InferOutput<typeof PairingJoinerState>;

export interface Pairings {
  start(commitment: string, now: number): Promise<{ code: string; expiresAt: number; initiatorSecret: string }>;
  join(code: string, publicKey: string, now: number): Promise<{ commitment: string; joinerSecret: string }>;
  reveal(code: string, secret: string, publicKey: string, now: number): Promise<{ ok: true }>;
  deposit(code: string, secret: string, payload: string, now: number): Promise<{ ok: true }>;
  state(code: string, role: PairingRole, secret: string, now: number): Promise<PairingState>;
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

/** The live pairing under `code`, held until the transaction ends: an expired or unknown code is 404, a complete one 410. */
async function find(tx: Tx, code: string, now: number): Promise<PairingRow> {
  const pairing = await tx.findPairing(code, { lock: true });
  if (!pairing || pairing.expiresAt <= now) throw notFound('no pairing with this code (mistyped or expired)', true);
  if (pairing.done) throw gone('this pairing is complete');
  return pairing;
}

/** The pairing, if `secret` is this role's: compared as SHA-256 digests, in constant time. */
async function authorized(tx: Tx, code: string, role: PairingRole, secret: string, now: number): Promise<PairingRow> {
  const pairing = await find(tx, code, now);
  const expected = role === 'initiator' ? pairing.initiatorHash : pairing.joinerHash;
  const given = sha256(Buffer.from(secret, 'ascii'));
  if (expected === undefined || !timingSafeEqual(given, expected)) throw unauthorized(`this is not the ${role}'s secret for this pairing`);
  return pairing;
}

/** Pairings over `store`; at most `maxLive` at a time (every process on the store together). */
export function createPairings(store: Store, { ttlMs = PAIRING_TTL_MS, maxLive = 1000 } = {}): Pairings {
  return {
    start(commitment, now) {
      return store.transaction(async (tx) => {
        if ((await tx.livePairings(now)) >= maxLive) throw rateLimited('too many pairings in progress; try again in a minute', 60);
        const expiresAt = now + ttlMs;
        const initiator = newSecret();
        // 40 bits: a code still taken (live, or expired and not yet swept) is drawn again.
        let code = newCode();
        while (!(await tx.insertPairing({ code, commitment, initiatorHash: initiator.hash, expiresAt, done: false }))) code = newCode();
        return { code, expiresAt, initiatorSecret: initiator.secret };
      });
    },
    join(code, publicKey, now) {
      return store.transaction(async (tx) => {
        const pairing = await find(tx, code, now);
        if (pairing.joinerKey !== undefined) throw conflict('this pairing code was used already');
        const joiner = newSecret();
        await tx.updatePairing({ ...pairing, joinerKey: publicKey, joinerHash: joiner.hash });
        return { commitment: pairing.commitment, joinerSecret: joiner.secret };
      });
    },
    reveal(code, secret, publicKey, now) {
      return store.transaction(async (tx) => {
        const pairing = await authorized(tx, code, 'initiator', secret, now);
        if (pairing.joinerKey === undefined) throw conflict("nobody has joined this pairing yet: the key is revealed after the joiner's");
        if (pairing.initiatorKey !== undefined) throw conflict('the key of this pairing was revealed already');
        if (!opens(pairing.commitment, publicKey)) throw badRequest('body.publicKey: its SHA-256 is not the commitment this pairing started with');
        await tx.updatePairing({ ...pairing, initiatorKey: publicKey });
        return { ok: true } as const;
      });
    },
    deposit(code, secret, payload, now) {
      return store.transaction(async (tx) => {
        const pairing = await authorized(tx, code, 'joiner', secret, now);
        if (pairing.initiatorKey === undefined) throw conflict('the new browser has not revealed its key yet');
        if (pairing.payload !== undefined) throw conflict('the payload of this pairing was sent already');
        await tx.updatePairing({ ...pairing, payload });
        return { ok: true } as const;
      });
    },
    state(code, role, secret, now) {
      return store.transaction(async (tx) => {
        const pairing = await authorized(tx, code, role, secret, now);
        if (role === 'joiner') {
          const state: v.InferOutput<typeof PairingJoinerState> = { expiresAt: pairing.expiresAt };
          if (pairing.initiatorKey !== undefined) state.initiatorPublicKey = pairing.initiatorKey;
          return state;
        }
        const state: v.InferOutput<typeof PairingInitiatorState> = { expiresAt: pairing.expiresAt };
        if (pairing.joinerKey !== undefined) state.joinerPublicKey = pairing.joinerKey;
        if (pairing.payload !== undefined) {
          state.payload = pairing.payload;
          // Handed over once: the payload is dropped as the pairing completes.
          const { payload: _handedOver, ...rest } = pairing;
          await tx.updatePairing({ ...rest, done: true });
        }
        return state;
      });
    },
  };
}
