/**
 * The vendored, patched `cap` (vendor/cap, see vendor/README.md) and the
 * tarball npm installs it from stay one thing: the tarball holds exactly the
 * folder's files, byte for byte; package.json depends on that tarball; and the
 * lock file's integrity is the tarball's, so `npm ci` installs what the folder
 * says. Without privilege: only files are read.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../../..');
const FOLDER = join(ROOT, 'vendor', 'cap');
const pkg = JSON.parse(readFileSync(join(FOLDER, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
const TARBALL = `vendor/cap-${pkg.version}.tgz`;

/** The regular files of a (ustar) tarball, by path. */
function untar(tgz: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(tgz);
  const files = new Map<string, Buffer>();
  let off = 0;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number): string =>
      header
        .subarray(start, start + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    if (type === '0' || type === '') files.set(name, tar.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('vendored cap', () => {
  it('is cap, patched, with its licence and the list of patches', () => {
    expect(pkg.name).toBe('cap');
    expect(pkg.version).toMatch(/^0\.2\.1-tcplab\.\d+$/);
    expect(readFileSync(join(FOLDER, 'LICENSE'), 'utf8')).toMatch(/Copyright Brian White/);
    expect(readFileSync(join(FOLDER, 'PATCHES.md'), 'utf8')).toMatch(/MIT/);
  });

  it('is packed in the tarball byte for byte', () => {
    const packed = untar(readFileSync(join(ROOT, TARBALL)));
    const folder = walk(FOLDER).map((p) => relative(FOLDER, p).split('\\').join('/'));
    expect([...packed.keys()].map((k) => k.replace(/^package\//, '')).sort()).toEqual(folder.sort());
    for (const f of folder) {
      expect(packed.get(`package/${f}`)?.equals(readFileSync(join(FOLDER, f))), f).toBe(true);
    }
  });

  it('is what package.json and the lock file install', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(root.optionalDependencies.cap).toBe(`file:${TARBALL}`);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    const entry = lock.packages['node_modules/cap'];
    expect(entry.version).toBe(pkg.version);
    expect(entry.resolved).toBe(`file:${TARBALL}`);
    const sha = createHash('sha512')
      .update(readFileSync(join(ROOT, TARBALL)))
      .digest('base64');
    expect(entry.integrity).toBe(`sha512-${sha}`);
  });
});
