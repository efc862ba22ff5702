// @keyport/testing as a relying-party developer gets it: `npm pack -w @keyport/testing` (the builds copied in at
// prepack; KEYPORT_TESTING_PREBUILT because npm test has just built .output/), installed with its peers into an empty
// temporary directory that shares nothing with this repository, the package's examples/ copied out of node_modules as
// the guide says, type-checked with tsc, and run there: the Playwright examples in Chromium, the puppeteer example
// in Firefox. Prints the tarball's size. Needs the npm registry or npm's cache (--prefer-offline).
// Run: node --test tests/e2e/testing-package.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const versionOf = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
// npm's own variables (npm test runs this) would point the child npm at this repository's workspaces, and
// node:test's would make the child `node --test` think it runs inside this file.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_TEST_CONTEXT'));
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'keyport-testing-user-')));
let tarball;

/** Runs a command, failing with its output when it fails. */
function run(cmd, args, { cwd = dir, extraEnv = {}, timeout = 300_000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  const output = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${output.slice(-6000)}`);
  return output;
}

before(() => {
  const packs = join(dir, 'packs');
  mkdirSync(packs);
  run('npm', ['pack', '-w', '@keyport/testing', '--pack-destination', packs], { cwd: root, extraEnv: { KEYPORT_TESTING_PREBUILT: '1' } });
  const [name] = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
  tarball = join(packs, name);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the tarball holds the code, the types, both builds and the examples, and nothing of the repository', () => {
  const size = statSync(tarball).size;
  const list = run('tar', ['-tzf', tarball]).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  console.log(`@keyport/testing tarball: ${(size / 1024 / 1024).toFixed(2)} MiB (${size} bytes), ${list.length} files`);
  for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'index.js', 'playwright.js', 'puppeteer.js', 'chromium.js',
    'types/index.d.ts', 'types/playwright.d.ts', 'types/puppeteer.d.ts', 'types/chromium.d.ts',
    'extensions/chrome-mv3/manifest.json', 'extensions/firefox-mv3/manifest.json', 'examples/passkeys.spec.mjs', 'examples/firefox.test.mjs']) {
    assert.ok(list.includes(f), `${f} is in the tarball`);
  }
  assert.deepEqual(list.filter((f) => /(^|\/)(node_modules|scripts|tests?)\/|\.map$|tsconfig\.build/.test(f)), []);
  assert.ok(size < 5 * 1024 * 1024, `${size} bytes`);
});

test('installed into an empty directory with its peers: typed examples pass in Chromium and Firefox', { timeout: 900_000 }, () => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-relying-party', private: true, type: 'module' }));
  // The same versions as this repository uses, so that npm's cache serves them.
  const peers = ['@playwright/test', 'puppeteer-core', '@simplewebauthn/server', 'typescript', '@types/node'].map((n) => `${n}@${versionOf(n)}`);
  run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...peers], { extraEnv: { PUPPETEER_SKIP_DOWNLOAD: '1' } });
  const installed = run('npm', ['ls', '--all', '--parseable']).split('\n').filter((l) => l.includes('node_modules')).length;
  const own = run('npm', ['ls', '--all', '--parseable', '--omit=peer', '@keyport/testing']);
  const deps = JSON.parse(readFileSync(join(dir, 'node_modules/@keyport/testing/package.json'), 'utf8')).dependencies;
  console.log(`installed: ${installed} packages in all; @keyport/testing's own dependencies: ${Object.keys(deps).join(', ')}`);
  assert.ok(own.includes('@keyport/testing'));
  for (const serverDep of ['fastify', 'pg', 'better-sqlite3', 'tsx']) assert.throws(() => statSync(join(dir, 'node_modules', serverDep)), `${serverDep} is not installed`);

  // As the guide says: copy the examples, then run them.
  cpSync(join(dir, 'node_modules/@keyport/testing/examples'), dir, { recursive: true });
  run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);

  const playwright = run(process.execPath, [join(dir, 'node_modules/@playwright/test/cli.js'), 'test'], { timeout: 600_000 });
  const passed = /(\d+) passed/.exec(playwright)?.[1];
  assert.equal(Number(passed), 7, playwright.slice(-3000));
  assert.doesNotMatch(playwright, /failed|flaky|skipped/);

  const firefox = run(process.execPath, ['--test', 'firefox.test.mjs'], { timeout: 300_000 });
  assert.match(firefox, /# pass 3\n# fail 0/);
});
