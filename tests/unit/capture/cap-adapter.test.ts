/**
 * The capture adapter's pure parts, without privilege: cap's link-type names
 * mapped to LINKTYPE_ numbers, and libpcap's failures turned into sentences
 * that say what to do (bad filter, no permission, missing device).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const adapter = require('../../../src-main/capture/cap-adapter.cjs') as {
  linkTypeNumber(name: string): number;
  translateOpenError(e: Error, iface: string, filter: string): Error & { code: string };
};

describe('cap adapter', () => {
  it("maps cap's link-type names to LINKTYPE_ numbers", () => {
    expect(adapter.linkTypeNumber('ETHERNET')).toBe(1);
    expect(adapter.linkTypeNumber('LINKTYPE_LINUX_SLL')).toBe(113);
    expect(adapter.linkTypeNumber('RAW')).toBe(101);
    expect(adapter.linkTypeNumber('Unknown linktype 276')).toBe(276);
  });

  it('turns libpcap errors into sentences', () => {
    const bad = adapter.translateOpenError(
      new Error("can't parse filter expression: syntax error"),
      'lo',
      'tcp port',
    );
    expect(bad.code).toBe('bad-filter');
    expect(bad.message).toBe(
      'The capture filter "tcp port" is not valid: can\'t parse filter expression: syntax error. Fix it ' +
        '(pcap-filter(7) syntax, for example "tcp port 8080" or "host 127.0.0.1") or leave it empty to capture everything.',
    );
    const perm = adapter.translateOpenError(new Error('socket: Operation not permitted'), 'lo', '');
    expect(perm.code).toBe('permission');
    expect(perm.message).toMatch(
      /^No permission to capture on lo \(libpcap: socket: Operation not permitted\)\. Run the capture helper as root/,
    );
    expect(perm.message).toContain(`setcap cap_net_raw,cap_net_admin=eip ${process.execPath}`);
    expect(perm.message).toContain('usermod -aG pcap');
  });
});
