import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * A key of its own for each use (sessions, CSRF), derived from TOUCHBASE_SECRET with HKDF and a
 * label, so no new secret has to be configured and one key never signs another's values.
 */
export function deriveKey(secret: string, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64'), Buffer.alloc(0), label, 32));
}

export function mac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/** Constant-time comparison of two MACs (or any two strings). */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
