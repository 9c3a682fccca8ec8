import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Opaque, tamper-evident page tokens. They carry a cursor (not an offset) so mail arriving while a
 * client pages does not shift pages, and a fingerprint of the query so a token cannot be replayed
 * against different filters.
 */
export class PageTokens {
  private readonly key = randomBytes(32);

  encode(cursor: unknown, fingerprint: string): string {
    const payload = Buffer.from(JSON.stringify({ c: cursor, f: fingerprint }), 'utf8').toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The cursor, or undefined when the token is malformed, forged or from another query. */
  decode(token: string, fingerprint: string): unknown {
    const [payload, sig] = token.split('.');
    if (!payload || !sig) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        c: unknown;
        f: string;
      };
      return parsed.f === fingerprint ? parsed.c : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url').slice(0, 22);
  }
}
