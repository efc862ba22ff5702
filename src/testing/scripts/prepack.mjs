// @ts-check
// npm pack / npm publish of @keyport/testing: builds Keyport's extensions in the repository (npm run build:all, or
// none with KEYPORT_TESTING_PREBUILT=1 when .output/ was just built), copies both builds into extensions/, and
// writes the .d.ts files into types/ from the checked JSDoc. `--clean` (postpack) removes both again, so that
// the repository's own tests keep using .output/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const generated = ['extensions', 'types'];

for (const dir of generated) rmSync(new URL(`../${dir}`, import.meta.url), { recursive: true, force: true });
if (process.argv.includes('--clean')) process.exit(0);

/** @param {string} cmd @param {string[]} args @param {string} cwd */
function run(cmd, args, cwd) {
  // The child's output goes to stderr: `npm pack --json` keeps stdout for its answer.
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

if (process.env.KEYPORT_TESTING_PREBUILT !== '1') run('npm', ['run', 'build:all'], root);
/**
 * A JSON file's object, or {} when it holds something else.
 * @param {string} file
 * @returns {{ name?: unknown, version?: unknown }}
 */
function readJson(file) {
  /** @type {unknown} */
  const value = JSON.parse(readFileSync(file, 'utf8'));
  return typeof value === 'object' && value !== null ? value : {};
}

const { version } = readJson(`${root}/package.json`);
if (typeof version !== 'string') throw new Error(`${root}/package.json has no version`);
for (const name of ['chrome-mv3', 'firefox-mv3']) {
  const from = `${root}/.output/${name}`;
  if (!existsSync(`${from}/manifest.json`)) throw new Error(`no Keyport build at ${from}: run npm run build:all in the repository`);
  const manifest = readJson(`${from}/manifest.json`);
  if (manifest.name !== 'Keyport' || manifest.version !== version) throw new Error(`${from} is not Keyport ${version}`);
  cpSync(from, `${pkg}/extensions/${name}`, { recursive: true, filter: (src) => !src.endsWith('.map') });
}
const tsc = createRequire(`${root}/package.json`).resolve('typescript/bin/tsc');
run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], pkg);
