// Who may create a vault (--registration): open (anyone who reaches the server), invite (a new vault needs an
// invite an operator made with `npm run server -- invite`), or closed (no new vaults). An invite is 100 random
// bits as 20 Crockford base32 characters (protocol.ts Invite), printed once; the store keeps only its SHA-256
// and uses it once, in the transaction that creates the vault. A vault that exists is never refused for the
// policy: pairing, restore and a repeated PUT with the same token keep working.
import { createHash, randomBytes } from 'node:crypto';
import { normalizeInvite } from '../sync/protocol.ts';
import type { Store } from './store.ts';

export const REGISTRATION_POLICIES = ['open', 'invite', 'closed'] as const;
export type Registration = (typeof REGISTRATION_POLICIES)[number];

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** What the store keeps of an invite: SHA-256 of its canonical form. */
export const hashInvite = (canonical: string): Uint8Array => createHash('sha256').update(`keyport/invite/v1:${canonical}`, 'utf8').digest();

/** Makes an invite, stores its hash, and returns it for printing (XXXXX-XXXXX-XXXXX-XXXXX): the only copy. */
export async function createInvite(store: Store, { now, expiresInMs }: { now: number; expiresInMs?: number }): Promise<{ invite: string; expiresAt?: number }> {
  // 256 is a multiple of 32: the low five bits of a random byte are uniform.
  const canonical = Array.from(randomBytes(20), (b) => CROCKFORD[b & 31]!).join('');
  const expiresAt = expiresInMs === undefined ? undefined : now + expiresInMs;
  await store.transaction((tx) => tx.insertInvite(hashInvite(canonical), now, expiresAt));
  return { invite: canonical.match(/.{5}/g)!.join('-'), ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

/** The invite's hash, or undefined when the text cannot be an invite (a typo). */
export function inviteHashOf(typed: string): Uint8Array | undefined {
  const canonical = normalizeInvite(typed);
  return canonical === undefined ? undefined : hashInvite(canonical);
}

/** A host that only this computer can reach: there the default policy is open, elsewhere invite. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}
