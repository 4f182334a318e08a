import { describe, expect, it } from 'vitest';
import {
  seq,
  seqAdd,
  seqDiff,
  seqGE,
  seqGT,
  seqInRange,
  seqInWindow,
  seqLE,
  seqLT,
} from '../../../src-shared/seqnum';

describe('seqnum', () => {
  const nearWrap = 0xffff_fff0;
  it('adds across the 2^32 wrap', () => {
    expect(seqAdd(nearWrap, 0x20)).toBe(0x10);
    expect(seq(-1)).toBe(0xffff_ffff);
  });
  it('compares across the wrap', () => {
    expect(seqLT(nearWrap, 0x10)).toBe(true);
    expect(seqGT(0x10, nearWrap)).toBe(true);
    expect(seqLE(5, 5)).toBe(true);
    expect(seqGE(5, 6)).toBe(false);
    expect(seqLT(5, 5)).toBe(false);
  });
  it('measures distances forward', () => {
    expect(seqDiff(0x10, nearWrap)).toBe(0x20);
  });
  it('has half-open ranges and windows', () => {
    expect(seqInRange(nearWrap, nearWrap, 0x10)).toBe(true);
    expect(seqInRange(0x10, nearWrap, 0x10)).toBe(false);
    expect(seqInWindow(0x5, nearWrap, 0x20)).toBe(true);
    expect(seqInWindow(nearWrap, nearWrap, 0)).toBe(false);
  });
});
