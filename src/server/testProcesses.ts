// Test support: real server processes (`node --import tsx src/server/main.ts`, as `npm run server` runs it),
// started on a free port and killed as a crash would kill them, and a round-robin HTTP proxy in front of
// several, recording which process answered each request.
import { type ChildProcess, spawn } from 'node:child_process';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL: no cleanup, no flush, as a crash or the OOM killer; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, the clean way. */
  stop(): Promise<void>;
}

/** Starts a server with these command-line options (--port 0 is added) and resolves once it is ready. */
export function spawnServer(args: readonly string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = (signal: NodeJS.Signals) => async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stderr = '';
    let buffered = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within ${READY_TIMEOUT_MS} ms: ${stderr}`));
    }, READY_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before it was ready: ${stderr}`));
    });
    // One JSON line per log entry; the first that says ready names the URL. The rest is read and dropped.
    child.stdout.on('data', (chunk: Buffer) => {
      if (ready) return;
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg !== 'keyport sync server ready' || !entry.url) continue;
        clearTimeout(timer);
        ready = true;
        const port = Number(new URL(entry.url).port);
        resolve({ url: entry.url, port, child, kill: end('SIGKILL'), stop: end('SIGTERM') });
        return;
      }
    });
  });
}

export interface RoundRobin {
  url: string;
  /** For each request, in order of arrival: its method and path, and the index of the process that got it. */
  readonly served: { method: string; path: string; instance: number }[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy that sends each request to the next of `targets` in turn (a load balancer without stickiness).
 * The turn is counted per method, so that a test knows where a sequence of writes lands whatever number of
 * polls (GET) run between them: the Nth POST goes to target N mod targets.length.
 */
export async function roundRobin(targets: readonly { port: number }[]): Promise<RoundRobin> {
  const turns = new Map<string, number>();
  const served: RoundRobin['served'] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const turn = turns.get(req.method!) ?? 0;
    turns.set(req.method!, turn + 1);
    const instance = turn % targets.length;
    served.push({ method: req.method!, path: req.url!, instance });
    const upstream = httpRequest({ host: '127.0.0.1', port: targets[instance]!.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
