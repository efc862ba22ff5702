// `npm run server -- [options]`: the self-hostable sync server (options.ts lists the options). Wiring only.
import { USAGE, parseOptions } from './options.ts';
import { createInvite } from './invites.ts';
import { openStore, startServer } from './server.ts';

let cli;
try {
  cli = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (cli.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

if (cli.command === 'invite') {
  const store = await openStore(cli);
  try {
    const { invite, expiresAt } = await createInvite(store, { now: Date.now(), ...(cli.expiresInMs !== undefined ? { expiresInMs: cli.expiresInMs } : {}) });
    process.stdout.write(
      `${invite}\n\nOne new vault, once${expiresAt !== undefined ? `, until ${new Date(expiresAt).toISOString()}` : ''}. ` +
        'It is shown only now (the server keeps its hash): pass it on privately.\n',
    );
  } finally {
    await store.close();
  }
  process.exit(0);
}

const server = await startServer(cli);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`closing failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  });
}
