// `npm run bench`: runs every benchmark in tests/bench/*-bench.ts (each exports
// `run()` that prints its figures and returns them) and prints a summary.
// Benchmarks measure against a peer run in the same script where there is one
// (tshark, tcpdump), since figures on a shared 2-core machine are noisy.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureBuild, ensureNodeModules, root } from './setup.mjs';

ensureNodeModules();
ensureBuild();
const only = process.argv.slice(2);
const dir = join(root, 'tests', 'bench');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('-bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f}\n`);
  const r = spawnSync(
    'npx',
    [
      'tsx',
      '-e',
      `import(${JSON.stringify(join(dir, f))}).then(m => (m.run ?? m.default.run)()).then(() => process.exit(0), e => { console.error(e); process.exit(1); })`,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
