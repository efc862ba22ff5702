// The real sync server (src/server) in-process on a free loopback port over a throwaway data directory, for the unit suites that talk HTTP to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/server.ts';

export type SyncServerOptions = Omit<ServerOptions, 'port' | 'host' | 'data' | 'databaseUrl' | 'databaseSchema' | 'log'>;

/** A running server and its data directory; `close` stops it and deletes the directory. */
export interface TestSyncServer extends RunningServer {
  dir: string;
}

export async function startSyncServer(options: SyncServerOptions = {}): Promise<TestSyncServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyport-sync-server-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const server = await startServer({ ...options, port: 0, host: '127.0.0.1', data: dir, log: { level: 'silent' } }).catch((e: unknown) => {
    remove();
    throw e;
  });
  const close = async () => {
    await server.close();
    remove();
  };
  return { url: server.url, port: server.port, store: server.store, dir, close };
}

/** One server for the enclosing describe: started before its tests, closed after them. Read the fields inside tests. */
export function useSyncServer(options: SyncServerOptions = {}): Readonly<Omit<TestSyncServer, 'close'>> {
  let server: TestSyncServer | undefined;
  beforeAll(async () => {
    server = await startSyncServer(options);
  });
  afterAll(async () => {
    await server?.close();
  });
  const running = () => {
    if (!server) throw new Error('useSyncServer: the server starts in beforeAll; read it inside a test');
    return server;
  };
  return {
    get url() { return running().url; },
    get port() { return running().port; },
    get store() { return running().store; },
    get dir() { return running().dir; },
  };
}
