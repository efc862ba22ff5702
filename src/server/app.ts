// The sync server's HTTP face (Fastify): the routes of src/sync/protocol.ts over a store, testable with
// app.inject() and no port. Every input goes through the protocol's valibot schemas (400 with the path and
// the rule), bodies are bounded (LIMITS.bodyBytes, 413), errors are ErrorBody JSON, failed authentication
// and wrong pairing codes are rate limited per address (and per vault id), writes to a vault per vault and per
// address, a vault holds at most its quota of records and bytes (507), new vaults follow the registration
// policy (403: open, invite or closed; invites.ts), and each request leaves one
// JSON log line: method, route pattern, status, duration, and for a vault a short hash of its id. No token,
// body, blob or whole vault id is ever logged.
import { createHash } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import * as v from 'valibot';
import {
  CollectRequest,
  CreateVault,
  type Health,
  KeyBlobRequest,
  LIMITS,
  PairingCode,
  PairingJoin,
  PairingPayload,
  PairingReveal,
  PairingStart,
  PROTOCOL_VERSION,
  PushRequest,
  ReplicaId,
  RotateRequest,
  Seq,
  Token,
  VaultId,
} from '../sync/protocol.ts';
import { HttpError, badRequest, notFound, rateLimited, tooLarge, unauthorized } from './errors.ts';
import { type Budget, type Limiter, addressKey, createLimiter } from './limiter.ts';
import { type Pairings, createPairings } from './pairings.ts';
import type { Store } from './store.ts';
import type { Registration } from './invites.ts';
import * as vaults from './vaults.ts';

export interface Limits {
  /** Failed authentications (wrong or missing token, unknown vault, create with another token), per address and per vault id. */
  authFailures: Budget;
  /** Unknown pairing codes and wrong pairing secrets, per address. */
  pairingFailures: Budget;
  /** Vaults created (and rotations), per address. */
  creations: Budget;
  /** Pairings started, per address. */
  pairingStarts: Budget;
  /** Writes to a vault that succeeded (push, key, rotate, delete, collect), per vault id and per address. */
  writes: Budget;
}

export const DEFAULT_LIMITS: Limits = {
  authFailures: { max: 10, windowMs: 60_000 },
  pairingFailures: { max: 10, windowMs: 60_000 },
  creations: { max: 20, windowMs: 60 * 60_000 },
  pairingStarts: { max: 20, windowMs: 10 * 60_000 },
  writes: { max: 120, windowMs: 60_000 },
};

export interface AppOptions {
  store: Store;
  /** The clock, ms since the epoch. */
  now?: () => number;
  limits?: Partial<Limits>;
  /** What one vault may hold (vaults.ts DEFAULT_QUOTA). */
  quota?: Partial<vaults.Quota>;
  pairings?: Pairings;
  /** JSON log lines (pino) to `stream` (stdout when absent), or none. */
  log?: false | { level?: string; stream?: { write(line: string): void } };
  /** Fastify's trustProxy: take the client address from X-Forwarded-For behind a reverse proxy. */
  trustProxy?: boolean;
  /** Who may create a vault (invites.ts); default open. */
  registration?: Registration;
}

/** Pull query: since (default 0) and limit (default and at most LIMITS.pullRecords). */
const Integer = v.pipe(v.string(), v.regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a non-negative integer'), v.transform(Number), Seq);
const PullQuery = v.object({
  since: v.optional(Integer, '0'),
  limit: v.optional(v.pipe(Integer, v.minValue(1), v.maxValue(LIMITS.pullRecords)), String(LIMITS.pullRecords)),
  replica: v.optional(ReplicaId),
});
const StateQuery = v.object({ as: v.picklist(['initiator', 'joiner'], 'must be "initiator" or "joiner"') });
const VaultParams = v.object({ vaultId: VaultId });
const PairingParams = v.object({ code: PairingCode });

/** Validates `input` (where: "body", "query", ...); a failure is a 400 naming the path and the rule. */
function parse<const S extends v.GenericSchema>(schema: S, input: unknown, where: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const described = result.issues.slice(0, 3).map((issue) => {
    const path = v.getDotPath(issue);
    return `${path ? `${where}.${path}` : where}: ${issue.message}`;
  });
  throw badRequest(described.join('; '));
}

/** "Authorization: Bearer <token>" (protocol.ts Token); anything else is a failed authentication. */
function bearer(request: FastifyRequest): string {
  const match = /^Bearer ([A-Za-z0-9_-]+)$/.exec(request.headers.authorization ?? '');
  if (!match || !v.is(Token, match[1])) throw unauthorized('expected "Authorization: Bearer <token>"');
  return match[1];
}

/** The key that per-address budgets count by. */
const byAddress = (request: FastifyRequest) => `ip:${addressKey(request.ip)}`;

/** What a log line may say of a vault: the first 8 hex digits of SHA-256 of its id. */
const vaultTag = (vaultId: string) => createHash('sha256').update(vaultId).digest('hex').slice(0, 8);

/** Long base64url runs (ids, tokens, blobs) in an internal error's message, shortened to a tag. */
const scrub = (text: string) => text.replace(/[A-Za-z0-9_-]{20,}/g, (s) => `<${vaultTag(s)}>`);

const CODE_BY_STATUS: Record<number, HttpError['code']> = { 401: 'Unauthorized', 404: 'NotFound', 409: 'Conflict', 410: 'Gone', 413: 'TooLarge', 429: 'RateLimited', 507: 'VaultFull' };

/** Fastify's own errors (body parsing, limits) in the protocol's terms. */
function asHttpError(error: FastifyError): HttpError {
  if (error instanceof HttpError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return tooLarge(`the request body is larger than ${LIMITS.bodyBytes} bytes`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return badRequest('body: not valid JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return badRequest('body: must be JSON, sent with "Content-Type: application/json"');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new HttpError(status, CODE_BY_STATUS[status] ?? 'BadRequest', error.message);
  return new HttpError(500, 'Internal', 'internal error');
}

/**
 * Fastify's own request log lines give way to one line per request, written when the answer is sent:
 * method, route pattern (never the URL, which holds vault ids and pairing codes), status, duration.
 */
class RequestLog extends LogController {
  override incomingRequest() {}
  override routeNotFound() {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    const vaultId = (request.params as { vaultId?: unknown } | undefined)?.vaultId;
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? '(none)',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      ...(v.is(VaultId, vaultId) ? { vault: vaultTag(vaultId) } : {}),
      ...(error ? { error: error.name } : {}),
    };
    if (error) request.log.warn(line, 'request');
    else request.log.info(line, 'request');
  }
}

export function buildApp({ store, now = Date.now, limits = {}, quota = {}, pairings = createPairings(store), log = {}, trustProxy = false, registration = 'open' }: AppOptions): FastifyInstance {
  const budget = { ...DEFAULT_LIMITS, ...limits };
  const vaultQuota: vaults.Quota = { ...vaults.DEFAULT_QUOTA, ...quota };
  const writes = createLimiter(store, 'writes', budget.writes);
  const authFailures = createLimiter(store, 'auth', budget.authFailures);
  const pairingFailures = createLimiter(store, 'pairing', budget.pairingFailures);
  const creations = createLimiter(store, 'create', budget.creations);
  const pairingStarts = createLimiter(store, 'pairstart', budget.pairingStarts);

  const app = Fastify({
    bodyLimit: LIMITS.bodyBytes,
    // A request (headers and body) must arrive within a minute: slow senders do not hold sockets for ever.
    requestTimeout: 60_000,
    // No automatic HEAD twins of GET routes: a HEAD must not collect (and lose) a pairing's payload.
    exposeHeadRoutes: false,
    trustProxy,
    logController: new RequestLog(),
    logger:
      log === false
        ? false
        : {
            level: log.level ?? 'info',
            ...(log.stream ? { stream: log.stream } : {}),
            // Should Fastify log a request object (a failed writeHead), neither its URL nor its headers.
            serializers: { req: (req: { method?: string }) => ({ method: req.method }) },
          },
  });

  // JSON bodies through Fastify's own parser (prototype-poisoning safe); an empty body is no body.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else void jsonParser(request, body as string, done);
  });

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const http = asHttpError(error);
    if (http.status >= 500) request.log.error({ error: { name: error.name, code: error.code, message: scrub(String(error.message)) } }, 'request failed');
    if (http.retryAfter !== undefined) reply.header('retry-after', String(http.retryAfter));
    return reply.code(http.status).send(http.body());
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(notFound('no such endpoint').body()));

  const refuseWhileLimited = async (limiter: Limiter, keys: string[], what: string) => {
    const wait = await limiter.retryAfter(keys, now());
    if (wait > 0) throw rateLimited(`too many ${what}; try again later`, Math.ceil(wait / 1000));
  };

  /** A vault route: the id checked, refused while rate limited, failed authentication counted. */
  async function vaultRoute<T>(request: FastifyRequest, run: (vaultId: string) => Promise<T>): Promise<T> {
    const { vaultId } = parse(VaultParams, request.params, 'path');
    const keys = [byAddress(request), `vault:${vaultId}`];
    await refuseWhileLimited(authFailures, keys, 'failed authentications');
    try {
      return await run(vaultId);
    } catch (error) {
      if (error instanceof HttpError && error.authFailure) await authFailures.hit(keys, now());
      throw error;
    }
  }

  /**
   * A write to a vault (inside vaultRoute): refused while the vault or the address used up its writes, and
   * counted only once it succeeded, so no one without the token spends a vault's budget (a failed
   * authentication has its own). Concurrent writes may pass the check together: at most that many over.
   */
  async function write<T>(request: FastifyRequest, vaultId: string, run: () => Promise<T>): Promise<T> {
    const keys = [byAddress(request), `vault:${vaultId}`];
    await refuseWhileLimited(writes, keys, 'writes to this vault; wait a minute');
    const result = await run();
    await writes.hit(keys, now());
    return result;
  }

  /** A pairing route: the code checked, refused while rate limited, unknown codes and wrong secrets counted. */
  async function pairingRoute<T>(request: FastifyRequest, run: (code: string) => Promise<T>): Promise<T> {
    const { code } = parse(PairingParams, request.params, 'path');
    const key = byAddress(request);
    await refuseWhileLimited(pairingFailures, [key], 'wrong pairing codes');
    try {
      return await run(code);
    } catch (error) {
      if (error instanceof HttpError && error.authFailure) await pairingFailures.hit([key], now());
      throw error;
    }
  }

  app.get('/v1/health', async () => {
    try {
      await store.ping();
    } catch {
      throw new HttpError(503, 'Internal', `the ${store.kind} store does not answer`);
    }
    return { ok: true, protocol: PROTOCOL_VERSION, store: store.kind } satisfies v.InferOutput<typeof Health>;
  });

  app.put('/v1/vaults/:vaultId', (request, reply) =>
    vaultRoute(request, async (vaultId) => {
      const { token, key, invite } = parse(CreateVault, request.body, 'body');
      await refuseWhileLimited(creations, [byAddress(request)], 'vaults created from this address');
      const result = await vaults.createVault(store, vaultId, token, key, { registration, now: now(), ...(invite !== undefined ? { invite } : {}) });
      if (result.created) await creations.hit([byAddress(request)], now());
      return reply.code(result.created ? 201 : 200).send(result);
    }),
  );

  app.get('/v1/vaults/:vaultId/key', (request) => vaultRoute(request, (vaultId) => vaults.getKey(store, { vaultId, token: bearer(request) })));

  app.put('/v1/vaults/:vaultId/key', (request) =>
    vaultRoute(request, (vaultId) => {
      const token = bearer(request);
      const { key } = parse(KeyBlobRequest, request.body, 'body');
      return write(request, vaultId, () => vaults.putKey(store, { vaultId, token }, key));
    }),
  );

  app.get('/v1/vaults/:vaultId/records', (request) =>
    vaultRoute(request, (vaultId) => {
      const token = bearer(request);
      const { since, limit, replica } = parse(PullQuery, request.query, 'query');
      return vaults.pull(store, { vaultId, token }, since, limit, replica !== undefined ? { replica, now: now() } : undefined);
    }),
  );

  app.post('/v1/vaults/:vaultId/records', (request) =>
    vaultRoute(request, (vaultId) => {
      const token = bearer(request);
      const push = parse(PushRequest, request.body, 'body');
      return write(request, vaultId, () => vaults.push(store, { vaultId, token }, push, now(), vaultQuota));
    }),
  );

  app.post('/v1/vaults/:vaultId/collect', (request) =>
    vaultRoute(request, (vaultId) => {
      const token = bearer(request);
      const { ids } = parse(CollectRequest, request.body, 'body');
      return write(request, vaultId, () => vaults.collect(store, { vaultId, token }, ids, now()));
    }),
  );

  app.post('/v1/vaults/:vaultId/rotate', (request) =>
    vaultRoute(request, async (vaultId) => {
      const token = bearer(request);
      const next = parse(RotateRequest, request.body, 'body');
      await refuseWhileLimited(creations, [byAddress(request)], 'vaults created from this address');
      const result = await write(request, vaultId, () => vaults.rotate(store, { vaultId, token }, next, now()));
      await creations.hit([byAddress(request)], now());
      return result;
    }),
  );

  app.delete('/v1/vaults/:vaultId', (request) =>
    vaultRoute(request, (vaultId) => {
      const token = bearer(request);
      return write(request, vaultId, () => vaults.deleteVault(store, { vaultId, token }));
    }),
  );

  app.post('/v1/pairings', async (request) => {
    const { commitment } = parse(PairingStart, request.body, 'body');
    const key = byAddress(request);
    await refuseWhileLimited(pairingStarts, [key], 'pairings started from this address');
    const started = await pairings.start(commitment, now());
    await pairingStarts.hit([key], now());
    return started;
  });

  app.post('/v1/pairings/:code/join', (request) =>
    pairingRoute(request, (code) => pairings.join(code, parse(PairingJoin, request.body, 'body').publicKey, now())),
  );

  // The routes after the join carry the caller's role secret (protocol.ts PairingSecret, sent as a bearer token).
  app.post('/v1/pairings/:code/reveal', (request) =>
    pairingRoute(request, (code) => {
      const secret = bearer(request);
      return pairings.reveal(code, secret, parse(PairingReveal, request.body, 'body').publicKey, now());
    }),
  );

  app.post('/v1/pairings/:code/payload', (request) =>
    pairingRoute(request, (code) => {
      const secret = bearer(request);
      return pairings.deposit(code, secret, parse(PairingPayload, request.body, 'body').payload, now());
    }),
  );

  app.get('/v1/pairings/:code', (request) =>
    pairingRoute(request, (code) => {
      const { as } = parse(StateQuery, request.query, 'query');
      return pairings.state(code, as, bearer(request), now());
    }),
  );

  return app;
}
