import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Signed links that work without a session (the digest's unsubscribe and settings links): the
 * value and what it is for, with an HMAC under a key derived from TOUCHBASE_SECRET, so a link
 * for one purpose or one user cannot be turned into another.
 */
export interface LinkSigner {
  sign(purpose: string, value: string): string;
  verify(purpose: string, token: string): string | null;
}

const MAC_BYTES = 16;

export function createLinkSigner(secret: string): LinkSigner {
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(secret, 'base64'), Buffer.alloc(0), 'touchbase link', 32),
  );
  const mac = (purpose: string, value: string) =>
    createHmac('sha256', key).update(`${purpose}\n${value}`).digest().subarray(0, MAC_BYTES);
  return {
    sign(purpose, value) {
      return `${Buffer.from(value).toString('base64url')}.${mac(purpose, value).toString('base64url')}`;
    },
    verify(purpose, token) {
      const [encoded, signature] = token.split('.');
      if (!encoded || !signature) return null;
      const value = Buffer.from(encoded, 'base64url').toString('utf8');
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(purpose, value);
      // Base64 decoding is lenient (unused low bits, stray characters): only the exact text counts.
      if (given.toString('base64url') !== signature || given.length !== expected.length) return null;
      return timingSafeEqual(given, expected) ? value : null;
    },
  };
}
