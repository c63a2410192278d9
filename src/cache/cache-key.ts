import { createHash, hash as oneShotHash } from 'node:crypto';

import type { TenantScope } from './types.ts';

/**
 * Builds a cache key from everything an answer depends on. Object keys are sorted
 * at every level so the same parameters always give the same key whatever order
 * they were assembled in, and the result is a sha256 so keys stay short however
 * many tenants or parameters go in.
 *
 * Values that JSON would silently collapse (NaN → null, a Map → {}) are encoded
 * distinctly or rejected, because two different requests sharing a key would
 * serve one the other's answer. `undefined` object properties are treated as
 * absent, like an omitted query parameter.
 *
 * @throws TypeError for functions, symbols and objects other than plain objects, arrays and Dates.
 */
export function buildCacheKey(parts: Record<string, unknown>): string {
  const canonical = canonicalize(parts, '$');
  // The version prefix lets a future encoding change never collide with old keys.
  return 'v1:' + sha256Hex(canonical);
}

/**
 * The generation-independent part of a report's cache key: everything the answer depends on
 * except the data generation (see {@link entryKey}). A pure function of its arguments, so callers
 * may keep it for requests with the same scope and parameters. Same encoding rules as
 * {@link buildCacheKey}; a different version prefix, so the two kinds never collide.
 */
export function cacheKeyBase(scope: TenantScope, parts: Record<string, unknown>): string {
  return 'v2:' + sha256Hex(canonicalize({ scope: normalizeScope(scope), parts }, '$'));
}

/**
 * The key of an entry: its base and the generation it was computed at. The base has a fixed
 * length (a digest), so the pair is unambiguous whatever characters the generation holds.
 */
export function entryKey(keyBase: string, generation: string): string {
  return `${keyBase}:${generation}`;
}

/** Sorted, de-duplicated tenant list (or 'all'), so equal scopes give equal keys. */
export function normalizeScope(scope: TenantScope): readonly string[] | 'all' {
  if (scope === 'all') return 'all';
  if (scope.length === 1) return scope;
  return [...new Set(scope)].sort();
}

const sha256Hex: (text: string) => string =
  typeof oneShotHash === 'function'
    ? (text) => oneShotHash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

function canonicalize(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // Non-finite numbers and -0 are written unquoted and non-JSON so they cannot equal null or 0.
      if (Object.is(value, -0)) return '-0';
      return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Date) {
        return `D${Number.isNaN(value.getTime()) ? 'invalid' : JSON.stringify(value.toISOString())}`;
      }
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => canonicalize(v, `${path}[${i}]`)).join(',')}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`buildCacheKey: unsupported value at ${path} (${value.constructor?.name ?? 'object'})`);
      }
      const record = value as Record<string, unknown>;
      const fields = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalize(record[k], `${path}.${k}`)}`);
      return `{${fields.join(',')}}`;
    }
    default:
      throw new TypeError(`buildCacheKey: unsupported ${typeof value} at ${path}`);
  }
}
