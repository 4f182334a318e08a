// `npm test`: does its own set-up (system packages the suite needs, npm ci,
// the build), then runs the whole suite — typecheck, lint, unit, integration
// (real kernel, as root) and end-to-end tests (Chromium against web mode) —
// and ends with one line "tests: N passed, N failed".
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuild, ensureNodeModules, ensureSystemPackages, log, root, run } from './setup.mjs';

const started = Date.now();
const missing = ensureSystemPackages(
  ['libpcap-dev', 'chromium', 'tshark', 'tcpdump', 'iproute2'],
  'the test suite',
);
if (missing.length) log(`tests that need ${missing.join(', ')} will say so and be skipped`);
ensureNodeModules();

const steps = [];
function step(name, fn) {
  const t0 = Date.now();
  log(`── ${name}`);
  const ok = fn();
  steps.push({ name, ok, seconds: (Date.now() - t0) / 1000 });
  if (!ok) log(`✗ ${name} failed`);
  return ok;
}

step('typecheck', () => run('npm', ['run', '--silent', 'typecheck']).status === 0);
step('lint', () => run('npm', ['run', '--silent', 'lint']).status === 0);
const built = step('build', () => ensureBuild({ force: true }));

const reportDir = join(root, 'test-results');
mkdirSync(reportDir, { recursive: true });
let passed = 0;
let failed = 0;
let skipped = 0;
const projects = built ? ['unit', 'integration', 'e2e'] : ['unit', 'integration'];
for (const project of projects) {
  const report = join(reportDir, `${project}.json`);
  rmSync(report, { force: true });
  step(`${project} tests`, () => {
    const r = run('npx', [
      'vitest',
      'run',
      '--project',
      project,
      '--passWithNoTests',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ]);
    if (existsSync(report)) {
      const j = JSON.parse(readFileSync(report, 'utf8'));
      passed += j.numPassedTests ?? 0;
      failed += j.numFailedTests ?? 0;
      skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
      if (r.status !== 0 && (j.numFailedTests ?? 0) === 0) failed += 1; // a suite that failed to load
    } else if (r.status !== 0) failed += 1;
    return r.status === 0;
  });
}

log('');
for (const s of steps) log(`${s.ok ? '✓' : '✗'} ${s.name} (${s.seconds.toFixed(1)} s)`);
log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
const allOk = steps.every((s) => s.ok);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(allOk ? 0 : 1);
