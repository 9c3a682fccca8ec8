import { deriveKey, mac, sameText } from './keys.ts';

export const CSRF_FIELD = '_csrf';

/**
 * CSRF tokens tied to what authenticates the request (a session id, or a signed link), as an
 * HMAC under a key of their own: a page of another site can neither read nor compute one, and a
 * token from one session is worthless in another.
 */
export interface CsrfTokens {
  tokenFor(binding: string): string;
  isValid(binding: string, given: unknown): boolean;
}

export function createCsrfTokens(secret: string): CsrfTokens {
  const key = deriveKey(secret, 'touchbase csrf');
  const tokenFor = (binding: string) => mac(key, binding);
  return {
    tokenFor,
    isValid(binding, given) {
      return typeof given === 'string' && sameText(given, tokenFor(binding));
    },
  };
}
