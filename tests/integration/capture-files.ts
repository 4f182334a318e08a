/**
 * The real captures the integration tests read: ../shared/pcaps (other
 * projects' test captures, some malformed on purpose) and resources/captures
 * (made here with the real kernel, see make-captures.sh).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
export const SHARED_PCAPS = join(ROOT, '..', 'shared', 'pcaps');
export const OUR_CAPTURES = join(ROOT, 'resources', 'captures');

/** The .pcap, .pcapng and .cap files of `dir`, sorted, as paths (none when it is missing). */
export function captureFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}
