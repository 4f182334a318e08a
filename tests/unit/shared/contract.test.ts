import { describe, expect, it } from 'vitest';
import { checkCommand, COMMAND_NAMES } from '../../../src-shared/contract';

describe('bridge contract validation', () => {
  it('accepts well-formed commands', () => {
    expect(checkCommand('sessions.list', { fileId: 1 })).toEqual({
      ok: true,
      name: 'sessions.list',
      args: { fileId: 1 },
    });
    expect(checkCommand('app.info', undefined)).toMatchObject({ ok: true });
    expect(checkCommand('sessions.segments', { fileId: 1, sessionId: 0, limit: 10 })).toMatchObject({
      ok: true,
    });
  });

  it('refuses unknown commands, including prototype keys', () => {
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 42, null, { a: 1 }]) {
      const r = checkCommand(name, {});
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('unknown-command');
    }
  });

  it('refuses malformed arguments with a sentence naming the field', () => {
    const cases: unknown[] = [
      null,
      [],
      'x',
      { fileId: '1' },
      { fileId: -1 },
      { fileId: 1.5 },
      { fileId: 1, extra: true },
      { fileId: 2 ** 40 },
      Object.create({ fileId: 1 }),
    ];
    for (const args of cases) {
      const r = checkCommand('sessions.list', args);
      expect(r.ok, JSON.stringify(args)).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('bad-request');
        expect(r.error.message).toMatch(/^Bad arguments for sessions\.list: args/);
      }
    }
  });

  it('refuses non-base64 upload data and empty names', () => {
    expect(checkCommand('files.open', { name: 'a.pcap', data: 'not base64!' }).ok).toBe(false);
    expect(checkCommand('files.open', { name: '', data: '' }).ok).toBe(false);
    expect(checkCommand('files.open', { name: 'a.pcap', data: 'AAAA' }).ok).toBe(true);
  });

  it('has a schema for every command name', () => {
    expect(COMMAND_NAMES.length).toBeGreaterThan(5);
    for (const n of COMMAND_NAMES) expect(n).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
  });
});
