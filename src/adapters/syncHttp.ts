// The sync server's HTTP client (src/sync/protocol.ts): every answer checked against the protocol's schema
// before the engine sees it, every failure turned into a SyncTransportError with a sentence for the person.
// Uses fetch only, so it runs in the background and in Node tests against the real server.
import * as v from 'valibot';
import {
  CollectResponse,
  ErrorBody,
  Health,
  KeyBlobResponse,
  type PullResponse,
  PullResponse as PullSchema,
  type PushRequest,
  type PushResponse,
  PushResponse as PushSchema,
} from '../sync/protocol.ts';
import { SyncTransportError, type Transport } from '../sync/engine.ts';
import type { SyncIdentity } from '../vault/keys.ts';

const REQUEST_TIMEOUT_MS = 30_000;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * A server URL a person typed: https, or http only on this computer. Rule 5 of docs/design.md leaves the server ids,
 * sizes and timing; someone on the network between gets not even those, nor the account's token.
 */
export function checkServerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new SyncTransportError('server', `"${input}" is not a web address. It looks like https://sync.example.com.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new SyncTransportError('server', 'A sync server must be reached over https (plain http only on this computer, localhost).');
  }
  if (url.username || url.password || url.search || url.hash) throw new SyncTransportError('server', 'Give the sync server as a plain address, without a user name, query or fragment.');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export interface SyncServer extends Transport {
  health(): Promise<v.InferOutput<typeof Health>>;
  /**
   * Registers the vault (idempotent with the same token); `key` is the recovery wrapping of the vault key,
   * `invite` one from whoever runs the server when its registration policy asks for one (kind 'invite').
   */
  create(key: string, invite?: string): Promise<void>;
  key(): Promise<string>;
  rotate(next: SyncIdentity, key: string): Promise<void>;
}

/**
 * `replica`: this browser's id (protocol.ts ReplicaId), sent with every pull so that the server knows how far
 * this browser has pulled and collects no tombstone it has not seen.
 */
export function syncServer(baseUrl: string, identity: SyncIdentity, fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis), { replica }: { replica?: string } = {}): SyncServer {
  const base = checkServerUrl(baseUrl);
  const vault = `${base}/v1/vaults/${identity.vaultId}`;

  async function call<T>(url: string, init: RequestInit, schema: v.GenericSchema<unknown, T> | undefined, auth = true): Promise<T> {
    let res: Response;
    try {
      res = await fetchImpl(url, {
        ...init,
        headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: `Bearer ${identity.token}` } : {}) },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw new SyncTransportError('offline', `The sync server at ${base} cannot be reached (${(e as Error).message}). Keyport keeps working here and catches up later.`, { cause: e });
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new SyncTransportError('garbage', `The sync server at ${base} answered something that is not Keyport's protocol (HTTP ${res.status}). Nothing was changed.`);
    }
    if (!res.ok) {
      const err = v.safeParse(ErrorBody, body);
      const said = err.success ? err.output.error.message : `HTTP ${res.status}`;
      if (res.status === 401) throw new SyncTransportError('unauthorized', `The sync server refused this vault's credentials (${said}). If the recovery code was replaced on another browser, sign in there or restore with the new code.`);
      // 403: the server's registration policy refuses a new vault (protocol.ts); an existing one is never refused.
      if (res.status === 403) {
        const code = err.success ? err.output.error.code : undefined;
        if (code === 'InviteRequired') throw new SyncTransportError('invite', 'This sync server needs an invite to create a vault. Ask whoever runs it for one, and type it here.');
        if (code === 'InviteInvalid') throw new SyncTransportError('invite', `The sync server did not take this invite (${said}).`);
        if (code === 'RegistrationClosed') throw new SyncTransportError('server', `This sync server does not accept new vaults (${said}). Ask whoever runs it, or use another server.`);
      }
      if (res.status === 404 || res.status === 410) throw new SyncTransportError('gone', `The sync server has no vault for this recovery code (${said}).`);
      if (res.status === 429) throw new SyncTransportError('server', `The sync server asks to wait before trying again (${said}).`);
      // 507: the vault's quota on the server (protocol.ts); its sentence starts "the sync server is full for this vault: ".
      if (res.status === 507) {
        const sentence = err.success ? said.charAt(0).toUpperCase() + said.slice(1) : `The sync server is full for this vault (HTTP 507). Nothing was written.`;
        throw new SyncTransportError('quota', `${sentence} Your passkeys in this browser are untouched; ask whoever runs the server for more room.`);
      }
      if (res.status === 409) throw new SyncTransportError('server', `The sync server refused: ${said}`);
      throw new SyncTransportError('server', `The sync server had a problem (${said}). Keyport will try again.`);
    }
    if (!schema) return body as T;
    const r = v.safeParse(schema, body);
    if (!r.success) throw new SyncTransportError('garbage', `The sync server at ${base} answered with an unexpected shape (${r.issues[0].message}). Nothing was changed.`);
    return r.output;
  }

  return {
    health: () => call(`${base}/v1/health`, { method: 'GET' }, Health, false),
    async create(key, invite) {
      await call(vault, { method: 'PUT', body: JSON.stringify({ token: identity.token, key, ...(invite ? { invite } : {}) }) }, undefined, false);
    },
    async key() {
      return (await call(`${vault}/key`, { method: 'GET' }, KeyBlobResponse)).key;
    },
    async rotate(next, key) {
      await call(`${vault}/rotate`, { method: 'POST', body: JSON.stringify({ newVaultId: next.vaultId, newToken: next.token, key }) }, undefined);
    },
    pull: (since: number): Promise<PullResponse> => call(`${vault}/records?since=${since}${replica ? `&replica=${replica}` : ''}`, { method: 'GET' }, PullSchema),
    collect: (ids: readonly string[]) => call(`${vault}/collect`, { method: 'POST', body: JSON.stringify({ ids }) }, CollectResponse),
    push: (req: PushRequest): Promise<PushResponse> => call(`${vault}/records`, { method: 'POST', body: JSON.stringify(req) }, PushSchema),
  };
}
