import { createHash, hash as oneShotHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API keys are 32 random bytes; only their SHA-256 is stored (a slow hash adds nothing at this entropy). */
export function generateKey(prefix: 'atom_admin' | 'atom_tk'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

// crypto.hash (Node ≥ 20.12) hashes in one call, without a Hash object per key: it runs on every request.
const sha256Hex: (text: string) => string =
  typeof oneShotHash === 'function'
    ? (text) => oneShotHash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text, 'utf8').digest('hex');

export function hashKey(key: string): string {
  return sha256Hex(key);
}

export function generateKeyId(): string {
  return `key_${randomBytes(9).toString('base64url')}`;
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
