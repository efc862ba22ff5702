// @vitest-environment node
// The sync protocol (src/sync/protocol.ts) end to end through the HTTP app, once per store: the same
// behaviour from the embedded SQLite store and from PostgreSQL.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorBody, LIMITS, PAIRING_COMMIT_LABEL, PairingCode, PairingSecret, PullResponse, PushResponse } from '../sync/protocol.ts';
import { buildApp } from './app.ts';
import { createInvite } from './invites.ts';
import { PAIRING_TTL_MS } from './pairings.ts';
import { type TestStore, describeEachStore } from '../../tests/vectors/serverStores.ts';
import { PUSH_RETENTION_MS } from './vaults.ts';

const b64u = (bytes: number) => randomBytes(bytes).toString('base64url');
const newVault = () => ({ id: b64u(32), token: b64u(32), key: b64u(60) });
const recordId = () => b64u(16);
const blob = () => b64u(200);

interface Call {
  token?: string;
  body?: unknown;
  ip?: string;
  headers?: Record<string, string>;
}

describeEachStore('sync server', (kind) => {
  let db: TestStore;
  let app: FastifyInstance;
  let clock: { now: number };
  let logs: string[];
  let injected: number;
  // Rate-limit counters live in the store, shared by the suite's tests: each test starts two days after the
  // last, past every window and every kept push answer.
  let days = 0;

  beforeAll(async () => {
    db = await kind.open();
  });
  afterAll(async () => {
    await db?.dispose();
  });
  beforeEach(async () => {
    clock = { now: 1_800_000_000_000 + (days += 2) * 86_400_000 };
    logs = [];
    injected = 0;
    app = buildApp({
      store: db.store,
      now: () => clock.now,
      // Many vaults come from one test address; the creation budget has its own test.
      limits: { creations: { max: 10_000, windowMs: 60_000 } },
      log: { stream: { write: (line) => void logs.push(line) } },
    });
    await app.ready();
  });

  async function call(method: InjectOptions['method'], url: string, { token, body, ip, headers = {} }: Call = {}) {
    injected += 1;
    const res = await app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(ip ? { remoteAddress: ip } : {}),
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.statusCode, headers: res.headers, json: res.body ? (JSON.parse(res.body) as unknown) : undefined };
  }

  /** An error answer: the status, and a body that is an ErrorBody with this code. */
  function expectError(res: { status: number; json: unknown }, status: number, code: string) {
    expect(res.status, JSON.stringify(res.json)).toBe(status);
    const body = v.parse(ErrorBody, res.json);
    expect(body.error.code).toBe(code);
    return body.error.message;
  }

  async function created(vault = newVault()) {
    const res = await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: vault.token, key: vault.key } });
    expect(res.status).toBe(201);
    return vault;
  }

  async function pushChanges(vault: { id: string; token: string }, changes: Array<{ id: string; baseSeq: number; blob: string }>, requestId = randomUUID()) {
    const res = await call('POST', `/v1/vaults/${vault.id}/records`, { token: vault.token, body: { requestId, changes } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return v.parse(PushResponse, res.json);
  }

  async function pullAll(vault: { id: string; token: string }, query = '') {
    const res = await call('GET', `/v1/vaults/${vault.id}/records${query}`, { token: vault.token });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return v.parse(PullResponse, res.json);
  }

  it('GET /v1/health names the protocol and the store', async () => {
    const res = await call('GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, protocol: 1, store: kind.name });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  describe('vault creation', () => {
    it('the first writer creates (201), the same token again changes nothing (200), another token is 409', async () => {
      const vault = newVault();
      const first = await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: vault.token, key: vault.key } });
      expect(first.status).toBe(201);
      expect(first.json).toEqual({ created: true });
      const again = await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: vault.token, key: b64u(60) } });
      expect(again.status).toBe(200);
      expect(again.json).toEqual({ created: false });
      expectError(await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: b64u(32), key: vault.key } }), 409, 'Conflict');
      // The key is the first writer's: an idempotent create does not replace it.
      expect((await call('GET', `/v1/vaults/${vault.id}/key`, { token: vault.token })).json).toEqual({ key: vault.key });
    });

    it('concurrent creates of one id: exactly one 201', async () => {
      const vault = newVault();
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => call('PUT', `/v1/vaults/${vault.id}`, { body: { token: vault.token, key: vault.key } })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    });

    it('PUT key replaces the wrapped vault key', async () => {
      const vault = await created();
      const key = b64u(70);
      expect((await call('PUT', `/v1/vaults/${vault.id}/key`, { token: vault.token, body: { key } })).json).toEqual({ ok: true });
      expect((await call('GET', `/v1/vaults/${vault.id}/key`, { token: vault.token })).json).toEqual({ key });
    });

    it('refuses malformed ids and bodies with 400 naming the field', async () => {
      expect(expectError(await call('PUT', '/v1/vaults/short', { body: { token: b64u(32), key: 'k' } }), 400, 'BadRequest')).toMatch(/^path\.vaultId: /);
      const vault = newVault();
      expect(expectError(await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: 'a+b', key: 'k' } }), 400, 'BadRequest')).toMatch(/body\.token: /);
      expect(expectError(await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: vault.token } }), 400, 'BadRequest')).toMatch(/body\.key: /);
    });

    it('creations per address are budgeted', async () => {
      const limited = buildApp({ store: db.store, now: () => clock.now, limits: { creations: { max: 2, windowMs: 60_000 } }, log: false });
      const put = (vault = newVault()) =>
        limited.inject({ method: 'PUT', url: `/v1/vaults/${vault.id}`, payload: { token: vault.token, key: vault.key }, remoteAddress: '10.1.1.1' });
      expect((await put()).statusCode).toBe(201);
      expect((await put()).statusCode).toBe(201);
      const third = await put();
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      clock.now += 60_000;
      expect((await put()).statusCode).toBe(201);
    });
  });

  describe('authentication', () => {
    it('needs the bearer token: missing or malformed 401, wrong 401, unknown vault 404', async () => {
      const vault = await created();
      const url = `/v1/vaults/${vault.id}/records`;
      expectError(await call('GET', url), 401, 'Unauthorized');
      expectError(await call('GET', url, { headers: { authorization: vault.token } }), 401, 'Unauthorized');
      expectError(await call('GET', url, { headers: { authorization: `Basic ${vault.token}` } }), 401, 'Unauthorized');
      expectError(await call('GET', url, { token: b64u(32) }), 401, 'Unauthorized');
      expectError(await call('GET', `/v1/vaults/${b64u(32)}/records`, { token: vault.token }), 404, 'NotFound');
      expect((await call('GET', url, { token: vault.token })).status).toBe(200);
    });

    it('the store keeps SHA-256 of the token, never the token; only ids and sealed blobs are stored', async () => {
      const vault = await created();
      const record = { id: recordId(), baseSeq: 0, blob: blob() };
      await pushChanges(vault, [record]);
      const dump = await db.dump();
      expect(dump).toContain(vault.id);
      expect(dump).toContain(record.blob);
      expect(dump).not.toContain(vault.token);
      expect(dump).not.toContain(Buffer.from(vault.token, 'base64url').toString('hex'));
      expect(dump).toContain(`hex:${createHash('sha256').update(vault.token).digest('hex')}`);
    });

    it('10 failures a minute from one address: then 429 with Retry-After, even for the right token', async () => {
      const vault = await created();
      const other = await created();
      const ip = '192.0.2.7';
      for (let i = 0; i < 10; i++) expectError(await call('GET', `/v1/vaults/${vault.id}/key`, { token: b64u(32), ip }), 401, 'Unauthorized');
      const limited = await call('GET', `/v1/vaults/${other.id}/key`, { token: other.token, ip });
      expectError(limited, 429, 'RateLimited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      // Another address is not affected by this one's failures.
      expect((await call('GET', `/v1/vaults/${other.id}/key`, { token: other.token, ip: '192.0.2.8' })).status).toBe(200);
      clock.now += 60_000;
      expect((await call('GET', `/v1/vaults/${other.id}/key`, { token: other.token, ip })).status).toBe(200);
    });

    it('10 failures a minute against one vault id, from any addresses: then 429 for that vault', async () => {
      const vault = await created();
      for (let i = 0; i < 10; i++) expectError(await call('GET', `/v1/vaults/${vault.id}/key`, { token: b64u(32), ip: `198.51.100.${i}` }), 401, 'Unauthorized');
      expectError(await call('GET', `/v1/vaults/${vault.id}/key`, { token: vault.token, ip: '198.51.100.99' }), 429, 'RateLimited');
      clock.now += 60_000;
      expect((await call('GET', `/v1/vaults/${vault.id}/key`, { token: vault.token, ip: '198.51.100.99' })).status).toBe(200);
    });

    it('a create with another token counts as a failure', async () => {
      const vault = await created();
      const ip = '203.0.113.5';
      for (let i = 0; i < 10; i++) expectError(await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: b64u(32), key: 'k' }, ip }), 409, 'Conflict');
      expectError(await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: vault.token, key: 'k' }, ip }), 429, 'RateLimited');
    });
  });

  describe('pull', () => {
    it('pages in seq order: limit, more, latest; then nothing new', async () => {
      const vault = await created();
      const ids = Array.from({ length: 25 }, recordId);
      await pushChanges(vault, ids.map((id) => ({ id, baseSeq: 0, blob: blob() })));
      const seen: string[] = [];
      let since = 0;
      const pages: Array<{ n: number; latest: number; more: boolean }> = [];
      for (;;) {
        const page = await pullAll(vault, `?since=${since}&limit=10`);
        pages.push({ n: page.records.length, latest: page.latest, more: page.more });
        for (const r of page.records) {
          expect(r.seq).toBeGreaterThan(since);
          seen.push(r.id);
        }
        since = page.latest;
        if (!page.more) break;
      }
      expect(pages).toEqual([
        { n: 10, latest: 10, more: true },
        { n: 10, latest: 20, more: true },
        { n: 5, latest: 25, more: false },
      ]);
      expect(seen).toEqual(ids);
      expect(await pullAll(vault, '?since=25')).toEqual({ records: [], latest: 25, more: false });
      // The defaults: since 0, limit LIMITS.pullRecords.
      expect((await pullAll(vault)).records).toHaveLength(25);
    });

    it('a record changed again moves to the end; latest is the vault seq when nothing more', async () => {
      const vault = await created();
      const [a, b] = [recordId(), recordId()];
      await pushChanges(vault, [
        { id: a, baseSeq: 0, blob: 'AAAA' },
        { id: b, baseSeq: 0, blob: 'BBBB' },
      ]);
      await pushChanges(vault, [{ id: a, baseSeq: 1, blob: 'CCCC' }]);
      expect(await pullAll(vault)).toEqual({
        records: [
          { id: b, seq: 2, blob: 'BBBB' },
          { id: a, seq: 3, blob: 'CCCC' },
        ],
        latest: 3,
        more: false,
      });
      expect(await pullAll(vault, '?since=2')).toEqual({ records: [{ id: a, seq: 3, blob: 'CCCC' }], latest: 3, more: false });
    });

    it('refuses bad queries with 400', async () => {
      const vault = await created();
      for (const query of ['?limit=0', `?limit=${LIMITS.pullRecords + 1}`, '?since=-1', '?since=abc', '?since=1.5', '?since=01', '?since=1&since=2']) {
        expect(expectError(await call('GET', `/v1/vaults/${vault.id}/records${query}`, { token: vault.token }), 400, 'BadRequest')).toMatch(/^query\./);
      }
    });
  });

  describe('push', () => {
    it('applies a change whose baseSeq matches; returns the server version when it does not', async () => {
      const vault = await created();
      const id = recordId();
      expect(await pushChanges(vault, [{ id, baseSeq: 0, blob: 'v1' }])).toEqual({ applied: [{ id, seq: 1 }], conflicts: [], latest: 1 });
      expect(await pushChanges(vault, [{ id, baseSeq: 1, blob: 'v2' }])).toEqual({ applied: [{ id, seq: 2 }], conflicts: [], latest: 2 });
      // A stale base, and a "new" record the server has: both conflict, nothing changes.
      expect(await pushChanges(vault, [{ id, baseSeq: 1, blob: 'v3' }])).toEqual({ applied: [], conflicts: [{ id, seq: 2, blob: 'v2' }], latest: 2 });
      expect(await pushChanges(vault, [{ id, baseSeq: 0, blob: 'v3' }])).toEqual({ applied: [], conflicts: [{ id, seq: 2, blob: 'v2' }], latest: 2 });
      expect((await pullAll(vault)).records).toEqual([{ id, seq: 2, blob: 'v2' }]);
    });

    it('one push with a conflict still applies its other changes, in one transaction and in order', async () => {
      const vault = await created();
      const [a, b, c] = [recordId(), recordId(), recordId()];
      await pushChanges(vault, [{ id: a, baseSeq: 0, blob: 'a1' }]);
      const res = await pushChanges(vault, [
        { id: b, baseSeq: 0, blob: 'b1' },
        { id: a, baseSeq: 0, blob: 'a-stale' },
        { id: c, baseSeq: 0, blob: 'c1' },
      ]);
      expect(res).toEqual({
        applied: [
          { id: b, seq: 2 },
          { id: c, seq: 3 },
        ],
        conflicts: [{ id: a, seq: 1, blob: 'a1' }],
        latest: 3,
      });
    });

    it('Deviation: a change to a record the server lacks applies whatever its baseSeq', async () => {
      const vault = await created();
      const id = recordId();
      expect(await pushChanges(vault, [{ id, baseSeq: 7, blob: 'x' }])).toEqual({ applied: [{ id, seq: 1 }], conflicts: [], latest: 1 });
    });

    it('a retry with the same requestId gets the first answer and applies nothing twice', async () => {
      const vault = await created();
      const id = recordId();
      const requestId = randomUUID();
      const changes = [{ id, baseSeq: 0, blob: 'first' }];
      const first = await pushChanges(vault, changes, requestId);
      await pushChanges(vault, [{ id, baseSeq: 1, blob: 'second' }]);
      expect(await pushChanges(vault, changes, requestId)).toEqual(first);
      expect(await pullAll(vault)).toEqual({ records: [{ id, seq: 2, blob: 'second' }], latest: 2, more: false });
      // The same requestId with other changes is a client bug: refused.
      const other = await call('POST', `/v1/vaults/${vault.id}/records`, { token: vault.token, body: { requestId, changes: [{ id, baseSeq: 2, blob: 'x' }] } });
      expectError(other, 409, 'Conflict');
      // After 24 h the answer is forgotten: the same request is a new push (and now conflicts).
      clock.now += PUSH_RETENTION_MS + 1;
      expect(await pushChanges(vault, changes, requestId)).toEqual({ applied: [], conflicts: [{ id, seq: 2, blob: 'second' }], latest: 2 });
    });

    it('concurrent pushes to one vault get distinct, gapless seqs', async () => {
      const vault = await created();
      const answers = await Promise.all(Array.from({ length: 12 }, () => pushChanges(vault, [{ id: recordId(), baseSeq: 0, blob: blob() }])));
      expect(answers.map((a) => a.applied[0]!.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect((await pullAll(vault)).latest).toBe(12);
    });

    it('refuses duplicates, empty and oversized pushes with 400', async () => {
      const vault = await created();
      const id = recordId();
      const post = (body: unknown) => call('POST', `/v1/vaults/${vault.id}/records`, { token: vault.token, body });
      expect(
        expectError(
          await post({
            requestId: randomUUID(),
            changes: [
              { id, baseSeq: 0, blob: 'a' },
              { id, baseSeq: 0, blob: 'b' },
            ],
          }),
          400,
          'BadRequest',
        ),
      ).toMatch(/appears twice/);
      expectError(await post({ requestId: randomUUID(), changes: [] }), 400, 'BadRequest');
      expectError(await post({ requestId: 'not-a-uuid', changes: [{ id, baseSeq: 0, blob: 'a' }] }), 400, 'BadRequest');
      const big = 'A'.repeat(LIMITS.blobChars + 1);
      expect(expectError(await post({ requestId: randomUUID(), changes: [{ id, baseSeq: 0, blob: big }] }), 400, 'BadRequest')).toMatch(/^body\.changes\.0\.blob: /);
      const many = Array.from({ length: LIMITS.pushChanges + 1 }, () => ({ id: recordId(), baseSeq: 0, blob: 'a' }));
      expect(expectError(await post({ requestId: randomUUID(), changes: many }), 400, 'BadRequest')).toMatch(/^body\.changes: /);
      expect(expectError(await post({ requestId: randomUUID(), changes: [{ id, baseSeq: -1, blob: 'a' }] }), 400, 'BadRequest')).toMatch(/baseSeq/);
      expect((await pullAll(vault)).records).toEqual([]);
    });

    it('a body over LIMITS.bodyBytes is 413; garbage, non-JSON and poisoned bodies are 400', async () => {
      const vault = await created();
      const url = `/v1/vaults/${vault.id}/records`;
      const huge = JSON.stringify({ requestId: randomUUID(), changes: [{ id: recordId(), baseSeq: 0, blob: 'A'.repeat(LIMITS.bodyBytes) }] });
      expectError(await call('POST', url, { token: vault.token, body: huge }), 413, 'TooLarge');
      expect(expectError(await call('POST', url, { token: vault.token, body: '{"requestId": ' }), 400, 'BadRequest')).toBe('body: not valid JSON');
      expectError(await call('POST', url, { token: vault.token, body: 'requestId=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'BadRequest');
      expectError(await call('POST', url, { token: vault.token, body: '{"__proto__": {"x": 1}}' }), 400, 'BadRequest');
      expect(expectError(await call('POST', url, { token: vault.token, body: 'null' }), 400, 'BadRequest')).toMatch(/^body: /);
      expect(expectError(await call('POST', url, { token: vault.token }), 400, 'BadRequest')).toMatch(/^body: /);
    });
  });

  describe('quotas, write limits and bounded push answers', () => {
    /** The app again, with these options, an hour later (past every rate-limit window; the same store). */
    async function rebuilt(options: Pick<Parameters<typeof buildApp>[0], 'quota' | 'limits'>) {
      await app.close();
      clock.now += 60 * 60_000;
      app = buildApp({ store: db.store, now: () => clock.now, log: false, ...options, limits: { creations: { max: 10_000, windowMs: 60_000 }, ...options.limits } });
      await app.ready();
    }
    const post = (vault: { id: string; token: string }, changes: Array<{ id: string; baseSeq: number; blob: string }>, ip?: string) =>
      call('POST', `/v1/vaults/${vault.id}/records`, { token: vault.token, body: { requestId: randomUUID(), changes }, ...(ip ? { ip } : {}) });

    it('a push over the record quota is refused whole with 507 and a sentence; nothing is half-written', async () => {
      await rebuilt({ quota: { records: 3 } });
      const vault = await created();
      const ids = [recordId(), recordId(), recordId()];
      await pushChanges(vault, ids.map((id) => ({ id, baseSeq: 0, blob: 'v1' })));
      const before = await db.dump();
      // An edit and a new record: the new one would make 4.
      const res = await post(vault, [{ id: ids[0]!, baseSeq: 1, blob: 'v2' }, { id: recordId(), baseSeq: 0, blob: 'new' }]);
      const message = expectError(res, 507, 'VaultFull');
      expect(message).toBe(
        'the sync server is full for this vault: it keeps at most 3 records (passkeys, settings and markers of deleted passkeys) and 50 MB per vault, and this push would bring it to 4 records and 0 MB. Nothing was written.',
      );
      expect(await db.dump()).toBe(before);
      // Edits that do not add records still go through.
      expect((await pushChanges(vault, [{ id: ids[0]!, baseSeq: 1, blob: 'v2' }])).applied).toHaveLength(1);
    });

    it('the byte quota counts sealed blobs; a vault over a lowered quota can still shrink', async () => {
      await rebuilt({ quota: { bytes: 1_000 } });
      const vault = await created();
      const [a, b] = [recordId(), recordId()];
      await pushChanges(vault, [{ id: a, baseSeq: 0, blob: 'A'.repeat(600) }]);
      expect(expectError(await post(vault, [{ id: b, baseSeq: 0, blob: 'B'.repeat(500) }]), 507, 'VaultFull')).toMatch(/^the sync server is full for this vault: /);
      // A replaced record counts once, at its new size.
      await pushChanges(vault, [{ id: a, baseSeq: 1, blob: 'A'.repeat(900) }]);
      await rebuilt({ quota: { bytes: 500 } });
      expectError(await post(vault, [{ id: a, baseSeq: 2, blob: 'A'.repeat(950) }]), 507, 'VaultFull');
      expect((await pushChanges(vault, [{ id: a, baseSeq: 2, blob: 'A'.repeat(700) }])).applied).toEqual([{ id: a, seq: 3 }]);
      expect(await pullAll(vault)).toMatchObject({ records: [{ id: a, seq: 3 }], latest: 3 });
    });

    it('writes are limited per vault and per address, and only writes that succeed count', async () => {
      await rebuilt({ limits: { writes: { max: 3, windowMs: 60_000 } } });
      const vault = await created();
      const other = await created();
      // Someone without the token spends nothing of the vault's budget.
      for (let i = 0; i < 5; i++) expectError(await post({ id: vault.id, token: b64u(32) }, [{ id: recordId(), baseSeq: 0, blob: 'x' }], `203.0.113.${i}`), 401, 'Unauthorized');
      for (let i = 0; i < 3; i++) expect((await post(vault, [{ id: recordId(), baseSeq: 0, blob: 'x' }], '198.51.100.1')).status).toBe(200);
      const limited = await post(vault, [{ id: recordId(), baseSeq: 0, blob: 'x' }], '198.51.100.2'); // per vault, from anywhere
      expect(expectError(limited, 429, 'RateLimited')).toMatch(/too many writes/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expectError(await post(other, [{ id: recordId(), baseSeq: 0, blob: 'x' }], '198.51.100.1'), 429, 'RateLimited'); // per address
      expect((await post(other, [{ id: recordId(), baseSeq: 0, blob: 'x' }], '198.51.100.3')).status).toBe(200);
      expect((await call('GET', `/v1/vaults/${vault.id}/records`, { token: vault.token, ip: '198.51.100.1' })).status).toBe(200); // pulls are not writes
      clock.now += 60_000;
      expect((await post(vault, [{ id: recordId(), baseSeq: 0, blob: 'x' }], '198.51.100.1')).status).toBe(200);
    });

    it('push answers kept for retries are bounded: the newest 200 per vault, conflicts kept as ids', async () => {
      const vault = await created();
      const big = recordId();
      const sealed = 'S'.repeat(LIMITS.blobChars);
      await pushChanges(vault, [{ id: big, baseSeq: 0, blob: sealed }]);
      const first = randomUUID();
      const conflictAnswer = await pushChanges(vault, [{ id: big, baseSeq: 0, blob: 'stale' }], first);
      expect(conflictAnswer.conflicts).toEqual([{ id: big, seq: 1, blob: sealed }]);
      const pushes = async () => (JSON.parse(await db.dump()) as { vault: number; response: string }[][])[2]!;
      const stored = (await pushes()).map((p) => p.response);
      expect(stored.join('')).not.toContain(sealed.slice(0, 100)); // the answer names the record, not its blob
      // A retry gets the conflict with the record's blob, rebuilt.
      expect(await pushChanges(vault, [{ id: big, baseSeq: 0, blob: 'stale' }], first)).toEqual(conflictAnswer);
      for (let i = 0; i < 200; i++) {
        clock.now += 1_000; // within the write limit
        await pushChanges(vault, [{ id: recordId(), baseSeq: 0, blob: 'x' }]);
      }
      const vaultPk = (await pushes()).at(-1)!.vault;
      expect((await pushes()).filter((p) => p.vault === vaultPk)).toHaveLength(200);
      // The first answer is gone: the same request is a new push (it conflicts again, and is kept anew).
      const again = await pushChanges(vault, [{ id: big, baseSeq: 0, blob: 'stale' }], first);
      expect(again).toEqual({ applied: [], conflicts: [{ id: big, seq: 1, blob: sealed }], latest: 201 });
    });
  });

  describe('tombstone collection', () => {
    const DAY = 86_400_000;
    const pullAs = (vault: { id: string; token: string }, replica: string, since: number) => pullAll(vault, `?since=${since}&replica=${replica}`);
    const collect = (vault: { id: string; token: string }, ids: string[]) => call('POST', `/v1/vaults/${vault.id}/collect`, { token: vault.token, body: { ids } });

    it('drops a tombstone every active replica has seen, 90 days after it was written; an away replica is told', async () => {
      const vault = await created();
      const [r1, r2] = [recordId(), recordId()];
      const [t, kept] = [recordId(), recordId()];
      expect(await pullAs(vault, r1, 0)).toEqual({ records: [], latest: 0, more: false });
      await pullAs(vault, r2, 0);
      await pushChanges(vault, [{ id: t, baseSeq: 0, blob: 'tomb' }, { id: kept, baseSeq: 0, blob: 'K'.repeat(100) }]);
      // No replica has seen seq 1 yet: the horizon is 0, nothing goes.
      expect((await pullAs(vault, r1, 2)).horizon).toBe(0);
      expect((await collect(vault, [t])).json).toEqual({ collected: [] });
      await pullAs(vault, r2, 2);
      expect((await pullAs(vault, r1, 2)).horizon).toBe(2);
      // Seen by both, but written less than 90 days ago.
      clock.now += 89 * DAY;
      expect((await collect(vault, [t])).json).toEqual({ collected: [] });
      // Old enough, and at or below the horizon: dropped (an id the vault does not hold is ignored), usage
      // down, and every pull says up to which seq records were collected.
      clock.now += 2 * DAY;
      await pullAs(vault, r1, 2);
      expect((await collect(vault, [t, recordId()])).json).toEqual({ collected: [t] });
      expect(await pullAs(vault, r1, 0)).toEqual({ records: [{ id: kept, seq: 2, blob: 'K'.repeat(100) }], latest: 2, more: false, collected: 1, horizon: 0 });
      expect(await db.store.transaction((tx) => tx.findVault(vault.id, { lock: false }))).toMatchObject({ records: 1, bytes: 100, collected: 1 });
    });

    it('an active replica behind holds collection back until it has been away 90 days; then it learns to restore', async () => {
      const vault = await created();
      const [fast, slow] = [recordId(), recordId()];
      await pullAs(vault, slow, 0);
      const t = recordId();
      await pushChanges(vault, [{ id: t, baseSeq: 0, blob: 'tomb' }]);
      await pullAs(vault, fast, 1);
      clock.now += 91 * DAY;
      await pullAs(vault, fast, 1);
      // slow was seen 91 days ago: no longer active, so it holds nothing back.
      expect((await collect(vault, [t])).json).toEqual({ collected: [t] });
      // slow comes back from cursor 0, below collected: it must pull everything and drop what is gone.
      expect(await pullAs(vault, slow, 0)).toMatchObject({ records: [], collected: 1 });
      // Without any replica known, nothing is ever collected.
      const other = await created();
      await pushChanges(other, [{ id: t, baseSeq: 0, blob: 'tomb' }]);
      clock.now += 100 * DAY;
      expect((await collect(other, [t])).json).toEqual({ collected: [] });
      expectError(await collect(other, []), 400, 'BadRequest');
      expectError(await call('POST', `/v1/vaults/${other.id}/collect`, { token: b64u(32), body: { ids: [t] } }), 401, 'Unauthorized');
    });
  });

  describe('registration: who may create a vault', () => {
    async function withPolicy(registration: 'open' | 'invite' | 'closed') {
      await app.close();
      app = buildApp({ store: db.store, now: () => clock.now, log: false, registration, limits: { creations: { max: 10_000, windowMs: 60_000 } } });
      await app.ready();
    }
    const put = (vault: { id: string; token: string; key: string }, invite?: string) =>
      call('PUT', `/v1/vaults/${vault.id}`, { body: { token: vault.token, key: vault.key, ...(invite !== undefined ? { invite } : {}) } });

    it('invite: a new vault needs an invite, used once, typed loosely; an expired one is refused', async () => {
      const existing = await created(); // made while open
      await withPolicy('invite');
      const vault = newVault();
      expect(expectError(await put(vault), 403, 'InviteRequired')).toMatch(/needs an invite/);
      expect(expectError(await put(vault, 'not-an-invite'), 403, 'InviteInvalid')).toMatch(/not an invite/);
      expect(expectError(await put(vault, 'ABCDE-FGHJK-MNPQR-STVWX'), 403, 'InviteInvalid')).toMatch(/unknown, used already or expired/);
      const { invite } = await createInvite(db.store, { now: clock.now });
      expect(invite).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
      expect(await db.dump()).not.toContain(invite.replaceAll('-', '')); // only its hash is kept
      const before = await db.dump();
      // A refused create writes nothing and leaves the invite unused.
      expectError(await put({ ...vault, key: '' }, invite), 400, 'BadRequest');
      expect(await db.dump()).toBe(before);
      const typed = ` ${invite.toLowerCase().replaceAll('-', ' ').replaceAll('1', 'l').replaceAll('0', 'o')} `;
      expect((await put(vault, typed)).status).toBe(201);
      expectError(await put(newVault(), invite), 403, 'InviteInvalid'); // once
      // The vault that exists keeps working, invite or not: the same token's PUT, a pull, a push.
      expect((await put(vault)).status).toBe(200);
      expect((await put(existing)).status).toBe(200);
      await pushChanges(vault, [{ id: recordId(), baseSeq: 0, blob: blob() }]);
      expect((await pullAll(vault)).records).toHaveLength(1);
      // An invite past its expiry opens nothing.
      const short = await createInvite(db.store, { now: clock.now, expiresInMs: 60_000 });
      clock.now += 60_001;
      expectError(await put(newVault(), short.invite), 403, 'InviteInvalid');
    });

    it('closed: no new vaults; existing ones push, pull, rotate and pair as before', async () => {
      const existing = await created();
      await withPolicy('closed');
      expect(expectError(await put(newVault()), 403, 'RegistrationClosed')).toMatch(/does not accept new vaults/);
      const { invite } = await createInvite(db.store, { now: clock.now });
      expectError(await put(newVault(), invite), 403, 'RegistrationClosed');
      expect((await put(existing)).status).toBe(200);
      await pushChanges(existing, [{ id: recordId(), baseSeq: 0, blob: blob() }]);
      const next = newVault();
      const rotated = await call('POST', `/v1/vaults/${existing.id}/rotate`, { token: existing.token, body: { newVaultId: next.id, newToken: next.token, key: next.key } });
      expect(rotated.status).toBe(200);
      expect((await pullAll(next)).records).toHaveLength(1);
      expect((await call('POST', '/v1/pairings', { body: { commitment: b64u(32) } })).status).toBe(200);
    });
  });

  describe('rotate and delete', () => {
    it('rotate moves records, seq and key to the new id and token; the old id is 410, the old token opens nothing', async () => {
      const vault = await created();
      const id = recordId();
      await pushChanges(vault, [{ id, baseSeq: 0, blob: 'kept' }]);
      const next = newVault();
      const res = await call('POST', `/v1/vaults/${vault.id}/rotate`, { token: vault.token, body: { newVaultId: next.id, newToken: next.token, key: next.key } });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ ok: true });
      expectError(await call('GET', `/v1/vaults/${vault.id}/key`, { token: vault.token }), 410, 'Gone');
      expectError(await call('GET', `/v1/vaults/${vault.id}/records`, { token: vault.token }), 410, 'Gone');
      expectError(await call('PUT', `/v1/vaults/${vault.id}`, { body: { token: vault.token, key: vault.key } }), 410, 'Gone');
      expectError(await call('GET', `/v1/vaults/${next.id}/key`, { token: vault.token }), 401, 'Unauthorized');
      expect((await call('GET', `/v1/vaults/${next.id}/key`, { token: next.token })).json).toEqual({ key: next.key });
      expect(await pullAll(next)).toEqual({ records: [{ id, seq: 1, blob: 'kept' }], latest: 1, more: false });
      expect((await pushChanges(next, [{ id, baseSeq: 1, blob: 'after' }])).latest).toBe(2);
    });

    it('rotate refuses a taken id (409) and the same id (400)', async () => {
      const vault = await created();
      const taken = await created();
      const to = (newVaultId: string) => call('POST', `/v1/vaults/${vault.id}/rotate`, { token: vault.token, body: { newVaultId, newToken: b64u(32), key: 'k' } });
      expectError(await to(taken.id), 409, 'Conflict');
      expectError(await to(vault.id), 400, 'BadRequest');
      expect((await call('GET', `/v1/vaults/${vault.id}/key`, { token: vault.token })).status).toBe(200);
    });

    it('delete removes the vault; the id can be created afresh', async () => {
      const vault = await created();
      const sealed = blob();
      await pushChanges(vault, [{ id: recordId(), baseSeq: 0, blob: sealed }]);
      expectError(await call('DELETE', `/v1/vaults/${vault.id}`, { token: b64u(32) }), 401, 'Unauthorized');
      const res = await call('DELETE', `/v1/vaults/${vault.id}`, { token: vault.token, headers: { 'content-type': 'application/json' } });
      expect(res.json).toEqual({ ok: true });
      expectError(await call('GET', `/v1/vaults/${vault.id}/key`, { token: vault.token }), 404, 'NotFound');
      await created(vault);
      expect(await pullAll(vault)).toEqual({ records: [], latest: 0, more: false });
      expect(await db.dump()).not.toContain(sealed);
    });
  });

  describe('pairing', () => {
    const key = () => b64u(32);
    /** protocol.ts PairingCommitment, computed here from the formula (the client computes it with noble). */
    const commit = (publicKey: string) => createHash('sha256').update(PAIRING_COMMIT_LABEL).update(Buffer.from(publicKey, 'base64url')).digest('base64url');

    /** Step 1: a pairing started with a commitment to a fresh key. */
    async function started(ip?: string) {
      const initiatorKey = key();
      const res = await call('POST', '/v1/pairings', { body: { commitment: commit(initiatorKey) }, ...(ip ? { ip } : {}) });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      const { code, expiresAt, initiatorSecret } = res.json as { code: string; expiresAt: number; initiatorSecret: string };
      return { code, expiresAt, initiatorSecret, initiatorKey };
    }

    /** Steps 1 and 2: started and joined. */
    async function joined() {
      const pairing = await started();
      const joinerKey = key();
      const res = await call('POST', `/v1/pairings/${pairing.code}/join`, { body: { publicKey: joinerKey } });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return { ...pairing, joinerKey, joinerSecret: (res.json as { joinerSecret: string }).joinerSecret };
    }

    it('commit, join, see the key, reveal, deposit, collect once; then 410', async () => {
      const initiatorKey = key();
      const commitment = commit(initiatorKey);
      const start = await call('POST', '/v1/pairings', { body: { commitment } });
      expect(start.status).toBe(200);
      const { code, expiresAt, initiatorSecret } = start.json as { code: string; expiresAt: number; initiatorSecret: string };
      expect(Object.keys(start.json as object).sort()).toEqual(['code', 'expiresAt', 'initiatorSecret']);
      expect(v.is(PairingCode, code)).toBe(true);
      expect(v.is(PairingSecret, initiatorSecret)).toBe(true);
      expect(expiresAt).toBe(clock.now + PAIRING_TTL_MS);
      const asInitiator = { token: initiatorSecret };
      expect((await call('GET', `/v1/pairings/${code}?as=initiator`, asInitiator)).json).toEqual({ expiresAt });
      expectError(await call('POST', `/v1/pairings/${code}/reveal`, { ...asInitiator, body: { publicKey: initiatorKey } }), 409, 'Conflict');

      // Step 2: the joiner gets the commitment and its own secret, never the key.
      const joinerKey = key();
      const join = await call('POST', `/v1/pairings/${code}/join`, { body: { publicKey: joinerKey } });
      const { joinerSecret } = join.json as { joinerSecret: string };
      expect(join.json).toEqual({ commitment, joinerSecret });
      expect(v.is(PairingSecret, joinerSecret)).toBe(true);
      expect(joinerSecret).not.toBe(initiatorSecret);
      expectError(await call('POST', `/v1/pairings/${code}/join`, { body: { publicKey: key() } }), 409, 'Conflict');
      const asJoiner = { token: joinerSecret };
      expect((await call('GET', `/v1/pairings/${code}?as=joiner`, asJoiner)).json).toEqual({ expiresAt });
      expectError(await call('POST', `/v1/pairings/${code}/payload`, { ...asJoiner, body: { payload: 'early' } }), 409, 'Conflict');

      // Steps 3 and 4: the initiator sees the joiner's key, then reveals its own, once.
      expect((await call('GET', `/v1/pairings/${code}?as=initiator`, asInitiator)).json).toEqual({ joinerPublicKey: joinerKey, expiresAt });
      expect((await call('POST', `/v1/pairings/${code}/reveal`, { ...asInitiator, body: { publicKey: initiatorKey } })).json).toEqual({ ok: true });
      expectError(await call('POST', `/v1/pairings/${code}/reveal`, { ...asInitiator, body: { publicKey: initiatorKey } }), 409, 'Conflict');
      expect((await call('GET', `/v1/pairings/${code}?as=joiner`, asJoiner)).json).toEqual({ initiatorPublicKey: initiatorKey, expiresAt });

      // Step 5: the payload, once, collected once.
      expect((await call('POST', `/v1/pairings/${code}/payload`, { ...asJoiner, body: { payload: 'sealed' } })).json).toEqual({ ok: true });
      expectError(await call('POST', `/v1/pairings/${code}/payload`, { ...asJoiner, body: { payload: 'again' } }), 409, 'Conflict');
      expect((await call('GET', `/v1/pairings/${code}?as=joiner`, asJoiner)).json).toEqual({ initiatorPublicKey: initiatorKey, expiresAt });
      expect((await call('GET', `/v1/pairings/${code}?as=initiator`, asInitiator)).json).toEqual({ joinerPublicKey: joinerKey, payload: 'sealed', expiresAt });
      expectError(await call('GET', `/v1/pairings/${code}?as=initiator`, asInitiator), 410, 'Gone');
      expectError(await call('GET', `/v1/pairings/${code}?as=joiner`, asJoiner), 410, 'Gone');
    });

    it('reveal takes only the committed key: another key, or another spelling of it, is 400 and changes nothing', async () => {
      const { code, initiatorSecret, initiatorKey, joinerSecret } = await joined();
      const asInitiator = { token: initiatorSecret };
      expect(expectError(await call('POST', `/v1/pairings/${code}/reveal`, { ...asInitiator, body: { publicKey: key() } }), 400, 'BadRequest')).toMatch(/not the commitment/);
      // 32 bytes are 43 characters whose last carries 4 unused bits: setting one spells the same bytes otherwise.
      const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const respelled = initiatorKey.slice(0, 42) + last[last.indexOf(initiatorKey[42]!) + 1];
      expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(initiatorKey, 'base64url'))).toBe(true);
      expectError(await call('POST', `/v1/pairings/${code}/reveal`, { ...asInitiator, body: { publicKey: respelled } }), 400, 'BadRequest');
      expect((await call('GET', `/v1/pairings/${code}?as=joiner`, { token: joinerSecret })).json).toEqual({ expiresAt: expect.any(Number) });
      expectError(await call('POST', `/v1/pairings/${code}/payload`, { token: joinerSecret, body: { payload: 'early' } }), 409, 'Conflict');
      expect((await call('POST', `/v1/pairings/${code}/reveal`, { ...asInitiator, body: { publicKey: initiatorKey } })).status).toBe(200);
    });

    it("each role's requests need that role's secret: none, a malformed one, the other role's or another pairing's is 401", async () => {
      const { code, initiatorSecret, initiatorKey, joinerSecret } = await joined();
      const other = await joined();
      // Each refusal from its own address: ten from one would be rate limited (the next test).
      let n = 0;
      const as = (token?: string) => ({ ...(token ? { token } : {}), ip: `198.51.100.${++n}` });
      const reveal = (token?: string) => call('POST', `/v1/pairings/${code}/reveal`, { ...as(token), body: { publicKey: initiatorKey } });
      const state = (role: string, token?: string) => call('GET', `/v1/pairings/${code}?as=${role}`, as(token));
      for (const wrong of [undefined, 'short', joinerSecret, other.initiatorSecret, b64u(32)]) {
        expectError(await state('initiator', wrong), 401, 'Unauthorized');
        expectError(await reveal(wrong), 401, 'Unauthorized');
      }
      for (const wrong of [undefined, initiatorSecret, other.joinerSecret]) expectError(await state('joiner', wrong), 401, 'Unauthorized');
      expect((await reveal(initiatorSecret)).status).toBe(200);
      for (const wrong of [undefined, initiatorSecret, other.joinerSecret]) {
        expectError(await call('POST', `/v1/pairings/${code}/payload`, { ...as(wrong), body: { payload: 'sealed' } }), 401, 'Unauthorized');
      }
      // Before the join there is no joiner's secret to match.
      const unjoined = await started();
      expectError(await call('GET', `/v1/pairings/${unjoined.code}?as=joiner`, as(unjoined.initiatorSecret)), 401, 'Unauthorized');
      expect((await state('initiator', initiatorSecret)).status).toBe(200);
      expect((await state('joiner', joinerSecret)).json).toEqual({ initiatorPublicKey: initiatorKey, expiresAt: expect.any(Number) });
    });

    it('wrong secrets count as wrong codes: after 10 a minute from one address, 429 even with the right one', async () => {
      const { code, initiatorSecret } = await joined();
      const ip = '192.0.2.46';
      for (let i = 0; i < 10; i++) expectError(await call('GET', `/v1/pairings/${code}?as=initiator`, { token: b64u(32), ip }), 401, 'Unauthorized');
      expectError(await call('GET', `/v1/pairings/${code}?as=initiator`, { token: initiatorSecret, ip }), 429, 'RateLimited');
      expect((await call('GET', `/v1/pairings/${code}?as=initiator`, { token: initiatorSecret, ip: '192.0.2.47' })).status).toBe(200);
    });

    it('a code expires after 5 minutes', async () => {
      const { code, initiatorSecret } = await started();
      clock.now += PAIRING_TTL_MS - 1;
      expect((await call('GET', `/v1/pairings/${code}?as=initiator`, { token: initiatorSecret })).status).toBe(200);
      clock.now += 1;
      expectError(await call('POST', `/v1/pairings/${code}/join`, { body: { publicKey: key() } }), 404, 'NotFound');
      expectError(await call('GET', `/v1/pairings/${code}?as=initiator`, { token: initiatorSecret }), 404, 'NotFound');
    });

    it('wrong codes: 404, and after 10 a minute from one address, 429', async () => {
      const { code } = await started();
      const ip = '192.0.2.44';
      const wrong = code === '00000000' ? '00000001' : '00000000';
      for (let i = 0; i < 10; i++) expectError(await call('POST', `/v1/pairings/${wrong}/join`, { body: { publicKey: key() }, ip }), 404, 'NotFound');
      const limited = await call('POST', `/v1/pairings/${code}/join`, { body: { publicKey: key() }, ip });
      expectError(limited, 429, 'RateLimited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // The right code from another address still works.
      expect((await call('POST', `/v1/pairings/${code}/join`, { body: { publicKey: key() }, ip: '192.0.2.45' })).status).toBe(200);
    });

    it('pairings started are budgeted per address', async () => {
      for (let i = 0; i < 20; i++) await started('192.0.2.48');
      const limited = await call('POST', '/v1/pairings', { body: { commitment: commit(key()) }, ip: '192.0.2.48' });
      expectError(limited, 429, 'RateLimited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('refuses malformed codes, commitments, keys, payloads and roles with 400', async () => {
      const { code, initiatorSecret, initiatorKey, joinerSecret } = await joined();
      expectError(await call('POST', '/v1/pairings', { body: { commitment: 'short' } }), 400, 'BadRequest');
      // The first version's start (the key itself) is refused: the key comes only with the reveal.
      expectError(await call('POST', '/v1/pairings', { body: { publicKey: key() } }), 400, 'BadRequest');
      expectError(await call('POST', '/v1/pairings/ABCD-EFGH/join', { body: { publicKey: key() } }), 400, 'BadRequest');
      expectError(await call('POST', '/v1/pairings/ILOU0000/join', { body: { publicKey: key() } }), 400, 'BadRequest');
      expectError(await call('GET', `/v1/pairings/${code}?as=someone`, { token: initiatorSecret }), 400, 'BadRequest');
      expectError(await call('GET', `/v1/pairings/${code}`, { token: initiatorSecret }), 400, 'BadRequest');
      expectError(await call('POST', `/v1/pairings/${code}/reveal`, { token: initiatorSecret, body: { publicKey: 'short' } }), 400, 'BadRequest');
      expect((await call('POST', `/v1/pairings/${code}/reveal`, { token: initiatorSecret, body: { publicKey: initiatorKey } })).status).toBe(200);
      expectError(await call('POST', `/v1/pairings/${code}/payload`, { token: joinerSecret, body: { payload: 'A'.repeat(8 * 1024 + 1) } }), 400, 'BadRequest');
    });
  });

  it('an unknown endpoint is a JSON 404', async () => {
    expectError(await call('GET', '/v1/nothing'), 404, 'NotFound');
    expectError(await call('PATCH', `/v1/vaults/${b64u(32)}`), 404, 'NotFound');
    expect((await call('HEAD', '/v1/pairings/00000000?as=initiator')).status).toBe(404);
  });

  it('logs one JSON line per request: method, route pattern, status, duration; no token, id or blob', async () => {
    const vault = await created();
    const record = { id: recordId(), baseSeq: 0, blob: blob() };
    await pushChanges(vault, [record]);
    await pullAll(vault);
    await call('GET', `/v1/vaults/${vault.id}/key`, { token: b64u(32) });
    const initiatorKey = b64u(32);
    const commitment = createHash('sha256').update(PAIRING_COMMIT_LABEL).update(Buffer.from(initiatorKey, 'base64url')).digest('base64url');
    const { code, initiatorSecret } = (await call('POST', '/v1/pairings', { body: { commitment } })).json as { code: string; initiatorSecret: string };
    await call('GET', `/v1/pairings/${code}?as=initiator`, { token: initiatorSecret });
    await call('POST', `/v1/vaults/${vault.id}/records`, { token: vault.token, body: '{garbage' });
    const lines = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(injected);
    const tag = createHash('sha256').update(vault.id).digest('hex').slice(0, 8);
    expect(requests.map((l) => [l.method, l.route, l.status, l.vault])).toEqual([
      ['PUT', '/v1/vaults/:vaultId', 201, tag],
      ['POST', '/v1/vaults/:vaultId/records', 200, tag],
      ['GET', '/v1/vaults/:vaultId/records', 200, tag],
      ['GET', '/v1/vaults/:vaultId/key', 401, tag],
      ['POST', '/v1/pairings', 200, undefined],
      ['GET', '/v1/pairings/:code', 200, undefined],
      ['POST', '/v1/vaults/:vaultId/records', 400, tag],
    ]);
    for (const l of requests) expect(typeof l.ms).toBe('number');
    const all = logs.join('\n');
    for (const secret of [vault.id, vault.token, vault.key, record.id, record.blob, code, commitment, initiatorSecret]) expect(all).not.toContain(secret);
  });
});

describe('sync server when the store fails', () => {
  it('answers 500 Internal (503 from health) and logs the error without ids', async () => {
    const vaultId = b64u(32);
    const failure = () => Promise.reject(new Error(`connection lost while reading vault ${vaultId}`));
    const logs: string[] = [];
    const app = buildApp({
      store: { kind: 'postgresql', transaction: failure, counters: failure, hit: failure, seen: failure, sweep: failure, ping: failure, close: async () => undefined },
      log: { stream: { write: (line) => void logs.push(line) } },
    });
    const key = await app.inject({ method: 'GET', url: `/v1/vaults/${vaultId}/key`, headers: { authorization: `Bearer ${b64u(32)}` } });
    expect(key.statusCode).toBe(500);
    expect(key.json()).toEqual({ error: { code: 'Internal', message: 'internal error' } });
    const health = await app.inject({ method: 'GET', url: '/v1/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ error: { code: 'Internal', message: 'the postgresql store does not answer' } });
    const failed = logs.map((l) => JSON.parse(l) as { msg: string; error?: { message: string } }).find((l) => l.msg === 'request failed');
    expect(failed?.error?.message).toMatch(/^connection lost while reading vault <[0-9a-f]{8}>$/);
    expect(logs.join('\n')).not.toContain(vaultId);
  });
});
