// The vault half of the sync protocol (src/sync/protocol.ts), once for both stores: who may open a vault,
// sequence numbers, baseSeq conflicts, idempotent retries, rotation. Inputs are already validated against
// the protocol's schemas (app.ts); the store sees only opaque ids, sealed blobs and SHA-256 of the token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type PullResponse, type PushRequest, type PushResponse, type ServerRecord, TOMBSTONE_MIN_AGE_MS } from '../sync/protocol.ts';
import { badRequest, conflict, gone, inviteInvalid, inviteRequired, notFound, registrationClosed, unauthorized, vaultFull } from './errors.ts';
import { type Registration, inviteHashOf } from './invites.ts';
import type { Store, Tx, Vault } from './store.ts';

/** How long a push answer is kept for a retry with the same requestId. */
export const PUSH_RETENTION_MS = 24 * 60 * 60 * 1000;
/**
 * How many push answers a vault keeps at most (its newest). A client retries within seconds, so 200 spans
 * days of normal use and over a minute of the write limit; with conflicts kept as {id, seq}, an answer is at
 * most LIMITS.pushChanges ids and seqs (about 25 KB), so a vault's answers stay under about 5 MB.
 */
export const PUSH_ANSWERS_PER_VAULT = 200;

/** What one vault may hold (the sealed blobs' characters, which are bytes: base64url is ASCII). */
export interface Quota {
  records: number;
  bytes: number;
}

/** 10,000 records (passkeys, settings and tombstones) and 50 MB; a passkey is about 1.4 KB sealed. */
export const DEFAULT_QUOTA: Quota = { records: 10_000, bytes: 50_000_000 };

export interface Credentials {
  vaultId: string;
  token: string;
}

const sha256 = (text: string): Uint8Array => createHash('sha256').update(text, 'utf8').digest();

/** What the server keeps of a token (protocol.ts Token): SHA-256 of its base64url text. */
export const hashToken = sha256;

const sameHash = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

async function openVault(tx: Tx, { vaultId, token }: Credentials, lock: boolean): Promise<Vault> {
  const vault = await tx.findVault(vaultId, { lock });
  if (!vault) {
    if (await tx.isGone(vaultId)) throw gone('this vault id was rotated away; use the new recovery code');
    throw notFound('no vault with this id', true);
  }
  if (!sameHash(vault.tokenHash, hashToken(token))) throw unauthorized();
  return vault;
}

/** Who may create a vault, and the invite the request carries (invites.ts). */
export interface Admission {
  registration: Registration;
  invite?: string;
  now: number;
}

/**
 * PUT /v1/vaults/:vaultId: the first writer creates; the same token again changes nothing, whatever the
 * registration policy. A new vault under the invite policy uses its invite in the same transaction, so a
 * refused or failed create leaves the invite unused.
 */
export function createVault(store: Store, vaultId: string, token: string, key: string, admission: Admission = { registration: 'open', now: 0 }): Promise<{ created: boolean }> {
  const tokenHash = hashToken(token);
  return store.transaction(async (tx) => {
    if (await tx.isGone(vaultId)) throw gone('this vault id was rotated away and cannot be used again');
    // Twice at most: when a concurrent create wins the insert, the second look finds its vault.
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await tx.findVault(vaultId, { lock: false });
      if (existing) {
        if (sameHash(existing.tokenHash, tokenHash)) return { created: false };
        throw conflict('a vault with this id exists with another token', true);
      }
      admit(admission);
      if (await tx.insertVault(vaultId, tokenHash, key)) {
        if (admission.registration === 'invite' && !(await tx.useInvite(inviteHashOf(admission.invite!)!, admission.now))) {
          throw inviteInvalid('this invite is unknown, used already or expired; ask whoever runs the sync server for a new one');
        }
        return { created: true };
      }
    }
    throw conflict('a vault with this id is being created');
  });
}

/** The policy's answer before a new vault is written: closed refuses, invite needs a well-formed invite. */
function admit({ registration, invite }: Admission) {
  if (registration === 'closed') throw registrationClosed('this sync server does not accept new vaults; existing vaults keep working');
  if (registration !== 'invite') return;
  if (invite === undefined || invite.trim() === '') throw inviteRequired('this sync server needs an invite to create a vault; ask whoever runs it for one');
  if (inviteHashOf(invite) === undefined) throw inviteInvalid('this is not an invite: it has 20 letters and digits, like ABCDE-12345-FGHJK-67890');
}

export function getKey(store: Store, credentials: Credentials): Promise<{ key: string }> {
  return store.transaction(async (tx) => ({ key: (await openVault(tx, credentials, false)).key }), { readOnly: true });
}

export function putKey(store: Store, credentials: Credentials, key: string): Promise<{ ok: true }> {
  return store.transaction(async (tx) => {
    const vault = await openVault(tx, credentials, true);
    await tx.setKey(vault.pk, key);
    return { ok: true } as const;
  });
}

/**
 * GET .../records: records with seq > since in seq order. `latest` is the last record's seq while `more`,
 * else the vault's own seq, so a client that pulls until !more has seen everything up to `latest`. With a
 * replica id, the server notes that this replica holds everything up to `since` (protocol.ts, tombstone
 * collection); every answer says up to which seq records were collected, and the horizon of collection.
 */
export async function pull(store: Store, credentials: Credentials, since: number, limit: number, seen?: { replica: string; now: number }): Promise<PullResponse> {
  const { pk, page } = await store.transaction(
    async (tx) => {
      const vault = await openVault(tx, credentials, false);
      const rows = await tx.records(vault.pk, since, limit + 1);
      const more = rows.length > limit;
      const records = more ? rows.slice(0, limit) : rows;
      const horizon = await tx.horizon(vault.pk, (seen?.now ?? Date.now()) - TOMBSTONE_MIN_AGE_MS);
      const page: PullResponse = { records, latest: more ? records[records.length - 1]!.seq : vault.seq, more };
      if (vault.collected > 0) page.collected = vault.collected;
      if (horizon !== undefined) page.horizon = Math.min(horizon, seen ? since : horizon);
      return { pk: vault.pk, page };
    },
    { readOnly: true },
  );
  if (seen) await store.seen(pk, seen.replica, since, seen.now);
  return page;
}

/**
 * POST .../collect: drops the named records that are at or below every active replica's cursor (the
 * horizon; none known: nothing is dropped) and were written at least TOMBSTONE_MIN_AGE_MS ago. The client
 * names only tombstones (it alone can read them). The vault's usage goes down, and `collected` up to the
 * highest seq dropped, so a replica that was away restores instead of pushing a deleted passkey back.
 */
export function collect(store: Store, credentials: Credentials, ids: readonly string[], now: number): Promise<{ collected: string[] }> {
  return store.transaction(async (tx) => {
    const vault = await openVault(tx, credentials, true);
    const horizon = await tx.horizon(vault.pk, now - TOMBSTONE_MIN_AGE_MS);
    if (horizon === undefined) return { collected: [] };
    const gone = (await tx.recordTimes(vault.pk, [...new Set(ids)])).filter((r) => r.seq <= horizon && r.at <= now - TOMBSTONE_MIN_AGE_MS);
    if (gone.length === 0) return { collected: [] };
    await tx.deleteRecords(vault.pk, gone.map((r) => r.id));
    await tx.setCounters(vault.pk, { seq: vault.seq, records: vault.records - gone.length, bytes: vault.bytes - gone.reduce((n, r) => n + r.bytes, 0) });
    await tx.setCollected(vault.pk, Math.max(vault.collected, ...gone.map((r) => r.seq)));
    return { collected: gone.map((r) => r.id) };
  });
}

/**
 * POST .../records. A change applies when the record's seq on the server equals its baseSeq, and gets the
 * vault's next seq; otherwise the server's version comes back in `conflicts`. The applied changes, the new
 * vault seq and the answer kept for retries are one transaction: a push with some conflicts still applies
 * the others. Deviation: a change to a record the server does not have applies whatever its baseSeq,
 * since there is no version to conflict with and nothing is lost (the server deletes a record only when
 * every active replica has seen it, collect()).
 */
export function push(store: Store, credentials: Credentials, request: PushRequest, now: number, quota: Quota = DEFAULT_QUOTA): Promise<PushResponse> {
  const seen = new Set<string>();
  for (const [i, change] of request.changes.entries()) {
    if (seen.has(change.id)) throw badRequest(`changes[${i}]: a record appears twice in one push`);
    seen.add(change.id);
  }
  // The validated changes have their keys in schema order, so equal changes give equal JSON.
  const requestHash = sha256(JSON.stringify(request.changes));
  return store.transaction(async (tx) => {
    const vault = await openVault(tx, credentials, true);
    const prior = await tx.findPush(vault.pk, request.requestId, now - PUSH_RETENTION_MS);
    if (prior) {
      if (!sameHash(prior.requestHash, requestHash)) throw conflict('this requestId was used for other changes');
      return repeated(tx, vault.pk, prior.response);
    }
    const current = new Map((await tx.recordsById(vault.pk, [...seen])).map((r) => [r.id, r]));
    let { seq, records, bytes } = vault;
    const writes: ServerRecord[] = [];
    const response: PushResponse = { applied: [], conflicts: [], latest: 0 };
    for (const change of request.changes) {
      const server = current.get(change.id);
      if (server && server.seq !== change.baseSeq) {
        response.conflicts.push(server);
        continue;
      }
      seq += 1;
      if (!server) records += 1;
      bytes += change.blob.length - (server?.blob.length ?? 0);
      writes.push({ id: change.id, seq, blob: change.blob });
      response.applied.push({ id: change.id, seq });
    }
    // Over quota: refused whole, before anything is written. A push that does not grow the vault (edits,
    // deletes) still goes through, so a vault over a lowered quota can shrink.
    const overRecords = records > quota.records && records > vault.records;
    const overBytes = bytes > quota.bytes && bytes > vault.bytes;
    if (overRecords || overBytes) throw vaultFull(fullSentence(quota, { records, bytes }));
    if (writes.length > 0) {
      await tx.putRecords(vault.pk, writes, now);
      await tx.setCounters(vault.pk, { seq, records, bytes });
    }
    response.latest = seq;
    const kept = { ...response, conflicts: response.conflicts.map(({ id, seq: at }) => ({ id, seq: at })) };
    await tx.putPush(vault.pk, request.requestId, { requestHash, response: JSON.stringify(kept) }, now);
    await tx.trimPushes(vault.pk, PUSH_ANSWERS_PER_VAULT);
    return response;
  });
}

const megabytes = (bytes: number) => `${Math.round(bytes / 100_000) / 10} MB`;

/** The sentence of a 507, which the extension shows as it is ("The sync server is full for this vault: ..."). */
function fullSentence(quota: Quota, after: { records: number; bytes: number }): string {
  return (
    `the sync server is full for this vault: it keeps at most ${quota.records} records (passkeys, settings and markers of deleted passkeys) ` +
    `and ${megabytes(quota.bytes)} per vault, and this push would bring it to ${after.records} records and ${megabytes(after.bytes)}. Nothing was written.`
  );
}

/**
 * A stored answer given again. Its conflicts were kept as {id, seq}: each comes back with the record's
 * current version (the one stored then, or a newer one), `latest` raised to cover it.
 */
async function repeated(tx: Tx, pk: number, stored: string): Promise<PushResponse> {
  const answer = JSON.parse(stored) as { applied: PushResponse['applied']; conflicts: { id: string; seq: number; blob?: string }[]; latest: number };
  // Answers stored before conflicts were kept short still carry their blobs.
  const short = answer.conflicts.filter((c) => c.blob === undefined);
  const now = new Map((short.length > 0 ? await tx.recordsById(pk, short.map((c) => c.id)) : []).map((r) => [r.id, r]));
  const conflicts: ServerRecord[] = [];
  for (const c of answer.conflicts) {
    const record = c.blob === undefined ? now.get(c.id) : (c as ServerRecord);
    if (record) conflicts.push(record);
  }
  return { applied: answer.applied, conflicts, latest: Math.max(answer.latest, ...conflicts.map((c) => c.seq)) };
}

/**
 * POST .../rotate: the vault (records, seq, key) moves to newVaultId under the new token in one
 * transaction; the old id answers 410 from then on and the old token opens nothing.
 */
export function rotate(
  store: Store,
  credentials: Credentials,
  next: { newVaultId: string; newToken: string; key: string },
  now: number,
): Promise<{ ok: true }> {
  if (next.newVaultId === credentials.vaultId) throw badRequest('newVaultId: must differ from the current vault id');
  const newHash = hashToken(next.newToken);
  return store.transaction(async (tx) => {
    const vault = await openVault(tx, credentials, true);
    if ((await tx.isGone(next.newVaultId)) || !(await tx.renameVault(vault.pk, next.newVaultId, newHash, next.key))) {
      throw conflict('newVaultId: a vault with this id exists or existed');
    }
    await tx.markGone(credentials.vaultId, now);
    return { ok: true } as const;
  });
}

/** DELETE /v1/vaults/:vaultId: the vault and its records are removed; the id may be created again. */
export function deleteVault(store: Store, credentials: Credentials): Promise<{ ok: true }> {
  return store.transaction(async (tx) => {
    const vault = await openVault(tx, credentials, true);
    await tx.deleteVault(vault.pk);
    return { ok: true } as const;
  });
}
