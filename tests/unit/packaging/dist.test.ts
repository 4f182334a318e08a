/**
 * `npm run dist` (scripts/dist.mjs) where the Electron runtime cannot be had:
 * it must stop before building anything, within seconds, with a sentence that
 * says why and what still works. The download is refused on purpose here
 * (ELECTRON_MIRROR pointing at a closed port, an empty ELECTRON_CACHE), so the
 * test gives the same answer on machines with internet.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');
const runtimeInstalled = existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt'));

describe('scripts/dist.mjs', () => {
  it.skipIf(runtimeInstalled)(
    'fails fast, with a clear message, when the Electron runtime cannot be downloaded',
    () => {
      const cache = mkdtempSync(join(tmpdir(), 'tcplab-electron-cache-'));
      try {
        const started = Date.now();
        const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'dist.mjs')], {
          cwd: ROOT,
          encoding: 'utf8',
          env: { ...process.env, ELECTRON_MIRROR: 'http://127.0.0.1:1/', ELECTRON_CACHE: cache },
          timeout: 30_000,
        });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/Electron runtime .* cannot be downloaded/);
        expect(r.stderr).toMatch(/Nothing was built/);
        expect(r.stdout + r.stderr).not.toMatch(/electron-vite build|packaging \(electron-builder\)/);
        expect(Date.now() - started).toBeLessThan(20_000);
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
  );
});
