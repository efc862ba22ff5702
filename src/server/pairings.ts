// The pairing half of the sync protocol (protocol.ts, POST /v1/pairings ...): a rendezvous where two browsers
// swap X25519 public keys and then one sealed payload, under a short code. Pairings are ephemeral, so they
// live in this process's memory, whatever the store (a deployment with several server processes must send
// one pairing's requests to one process). The server sees public keys and a payload sealed under the key
// the two browsers agree on; it cannot read or usefully change either (the people compare a short string).
//
// One pairing, in order:
//   new browser (initiator):  start(its key)         -> code, shown to the person
//   approving browser (joiner): join(code, its key)  -> the initiator's key; a code joins once
//   joiner:                   deposit(code, payload) -> once, after the join
//   initiator:                state(code, 'initiator') -> the joiner's key, then the payload; handing
//                             the payload over completes the pairing, and the code then answers 410
// A code lives PAIRING_TTL_MS; after that, as for a code never issued, 404.
import { randomBytes } from 'node:crypto';
import { conflict, gone, notFound, rateLimited } from './errors.ts';

export const PAIRING_TTL_MS = 5 * 60 * 1000;

/** Crockford base32 (no I, L, O, U), as protocol.ts PairingCode expects. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

interface Pairing {
  initiatorKey: string;
  joinerKey?: string;
  payload?: string;
  expiresAt: number;
  done: boolean;
}

export type PairingRole = 'initiator' | 'joiner';

export interface PairingState {
  joinerPublicKey?: string;
  payload?: string;
  expiresAt: number;
}

export interface Pairings {
  start(publicKey: string, now: number): { code: string; expiresAt: number };
  join(code: string, publicKey: string, now: number): { publicKey: string };
  deposit(code: string, payload: string, now: number): { ok: true };
  state(code: string, role: PairingRole, now: number): PairingState;
  readonly size: number;
}

function newCode(): string {
  // 256 is a multiple of 32: the low five bits of a random byte are uniform.
  return Array.from(randomBytes(8), (b) => CROCKFORD[b & 31]!).join('');
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

  return {
    start(publicKey, now) {
      sweep(now);
      if (live.size >= maxLive) throw rateLimited('too many pairings in progress; try again in a minute', 60);
      let code = newCode();
      while (live.has(code)) code = newCode();
      const expiresAt = now + ttlMs;
      live.set(code, { initiatorKey: publicKey, expiresAt, done: false });
      return { code, expiresAt };
    },
    join(code, publicKey, now) {
      const pairing = find(code, now);
      if (pairing.joinerKey !== undefined) throw conflict('this pairing code was used already');
      pairing.joinerKey = publicKey;
      return { publicKey: pairing.initiatorKey };
    },
    deposit(code, payload, now) {
      const pairing = find(code, now);
      if (pairing.joinerKey === undefined) throw conflict('nobody has joined this pairing yet');
      if (pairing.payload !== undefined) throw conflict('the payload of this pairing was sent already');
      pairing.payload = payload;
      return { ok: true };
    },
    state(code, role, now) {
      const pairing = find(code, now);
      const state: PairingState = { expiresAt: pairing.expiresAt };
      if (pairing.joinerKey !== undefined) state.joinerPublicKey = pairing.joinerKey;
      if (role === 'initiator' && pairing.payload !== undefined) {
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
