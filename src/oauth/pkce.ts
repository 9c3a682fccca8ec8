import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636: a high-entropy verifier and its S256 challenge. */
export function createPkce(): { verifier: string; challenge: string; method: 'S256' } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge, method: 'S256' };
}

/** An unguessable `state` that ties the callback to this flow (CSRF). */
export function createState(): string {
  return randomBytes(24).toString('base64url');
}
