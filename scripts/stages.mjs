// Runs npm scripts one after the other, as `npm run a && npm run b` would, and prints how long each took:
//   node scripts/stages.mjs typecheck lint test:unit
// The first that fails stops the run with its exit code; the times so far are printed either way.
import { spawnSync } from 'node:child_process';

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: node scripts/stages.mjs <npm script>...');
  process.exit(2);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const times = [];
const report = () => {
  for (const [name, s] of times) console.log(`stage ${name}: ${s} s`);
};

for (const name of names) {
  const started = performance.now();
  const run = spawnSync(npm, ['run', name], { stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  times.push([name, seconds]);
  console.log(`stage ${name}: ${seconds} s`);
  if (run.status !== 0) {
    console.log(`stage ${name} failed${run.signal ? ` (${run.signal})` : ''}; the stages so far:`);
    report();
    process.exit(run.status ?? 1);
  }
}
console.log('all stages passed:');
report();
