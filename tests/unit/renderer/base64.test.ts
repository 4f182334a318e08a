/**
 * The renderer's base64 codec against the platform's btoa: every tail length, all byte
 * values, a multi-megabyte buffer, and a clear error for a bad character.
 */
import { describe, expect, it } from 'vitest';
import { base64Length, decodeBase64, encodeBase64 } from '../../../src-renderer/src/util/base64';

/** Reference encoder: the platform's btoa over a binary string, in chunks. */
function reference(b: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < b.length; i += 0x8000) bin += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(bin);
}

describe('base64', () => {
  it('matches Node for every tail length and byte value', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    for (let n = 0; n <= 256; n++) {
      const b = all.subarray(0, n);
      const text = encodeBase64(b);
      expect(text).toBe(reference(b));
      expect(text.length).toBe(base64Length(n));
      expect(Array.from(decodeBase64(text))).toEqual(Array.from(b));
    }
  });

  it('encodes megabytes in one pass', () => {
    const b = new Uint8Array(3 * 1024 * 1024 + 1).map((_, i) => (i * 31) & 255);
    expect(encodeBase64(b)).toBe(reference(b));
  });

  it('names the offset of a bad character', () => {
    expect(() => decodeBase64('AAA*')).toThrow(/offset 3/);
  });
});
