/**
 * A tiny runtime schema library for the bridge contract: every command's
 * arguments are checked against one of these before the service sees them, so
 * a malformed or hostile message gets an error reply and is never acted on.
 * Validation never throws; it returns the first problem as a path and a
 * sentence ("args.fileId: expected an integer ≥ 0, got \"x\"").
 */

export type Check<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Schema<T> {
  readonly describe: string;
  check(v: unknown, path: string): Check<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function fail<T>(path: string, expected: string, got: unknown): Check<T> {
  return { ok: false, error: `${path}: expected ${expected}, got ${show(got)}` };
}

export function string(opts: { min?: number; max?: number; pattern?: RegExp } = {}): Schema<string> {
  const max = opts.max ?? 4096;
  const min = opts.min ?? 0;
  const describe = `a string of ${min}–${max} characters${opts.pattern ? ` matching ${opts.pattern}` : ''}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'string' || v.length < min || v.length > max) return fail(path, describe, v);
      if (opts.pattern && !opts.pattern.test(v)) return fail(path, describe, v);
      return { ok: true, value: v };
    },
  };
}

export function int(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const describe = `an integer from ${min} to ${max}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return fail(path, describe, v);
      return { ok: true, value: v };
    },
  };
}

export function number(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  const describe = `a finite number from ${min} to ${max}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return fail(path, describe, v);
      return { ok: true, value: v };
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    describe: 'true or false',
    check(v, path) {
      return typeof v === 'boolean' ? { ok: true, value: v } : fail(path, 'true or false', v);
    },
  };
}

export function literal<const T extends string | number | boolean>(...values: T[]): Schema<T> {
  const describe = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return {
    describe,
    check(v, path) {
      return (values as unknown[]).includes(v) ? { ok: true, value: v as T } : fail(path, describe, v);
    },
  };
}

export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { optional: true } {
  return {
    optional: true,
    describe: `${inner.describe} (optional)`,
    check(v, path) {
      return v === undefined ? { ok: true, value: undefined } : inner.check(v, path);
    },
  };
}

export function array<T>(inner: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
  const max = opts.max ?? 10_000;
  const describe = `an array of at most ${max} items`;
  return {
    describe,
    check(v, path) {
      if (!Array.isArray(v) || v.length > max) return fail(path, describe, v);
      const out: T[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = inner.check(v[i], `${path}[${i}]`);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

/** A plain object with exactly these keys: unknown keys are refused, so typos and injected fields surface. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const describe = `an object with keys ${Object.keys(shape).join(', ') || '(none)'}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, describe, v);
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return fail(path, 'a plain object', v);
      for (const k of Object.keys(v)) {
        if (!Object.prototype.hasOwnProperty.call(shape, k)) {
          return { ok: false, error: `${path}: unknown key ${JSON.stringify(k.slice(0, 40))}` };
        }
      }
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(shape)) {
        const r = s.check((v as Record<string, unknown>)[k], `${path}.${k}`);
        if (!r.ok) return r;
        if (r.value !== undefined) out[k] = r.value;
      }
      return { ok: true, value: out as ObjectOf<S> };
    },
  };
}
