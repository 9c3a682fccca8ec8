import { z } from 'zod';
import type { TokenCipher } from '../../lib/token-cipher.ts';
import { sameText } from './keys.ts';

export const STATE_COOKIE = 'tb_oauth';
/** Long enough to read a consent screen, short enough that a stale tab cannot finish a flow. */
export const STATE_LIFETIME_MS = 10 * 60_000;

const flowSchema = z.object({
  state: z.string().min(16),
  verifier: z.string().min(43),
  provider: z.string(),
  next: z.string(),
  timeZone: z.string().optional(),
  expiresAt: z.number(),
});
export type OAuthFlow = z.infer<typeof flowSchema>;

/**
 * The half of an OAuth flow that stays in the browser: the `state` sent to the provider and
 * the PKCE verifier, sealed (AES-GCM) into a short-lived httpOnly cookie. The callback accepts
 * a `state` only with the cookie that started that flow, in the same browser, in time.
 */
export function sealFlow(cipher: TokenCipher, flow: OAuthFlow): string {
  return cipher.encrypt(JSON.stringify(flow), STATE_COOKIE);
}

export type FlowCheck =
  | { ok: true; flow: OAuthFlow }
  | { ok: false; reason: 'missing' | 'forged' | 'expired' | 'mismatch' };

export function openFlow(
  cipher: TokenCipher,
  cookie: string | undefined,
  given: { state: string | undefined; provider: string },
  now: number,
): FlowCheck {
  if (!cookie) return { ok: false, reason: 'missing' };
  let flow: OAuthFlow;
  try {
    flow = flowSchema.parse(JSON.parse(cipher.decrypt(cookie, STATE_COOKIE)));
  } catch {
    // Not sealed by this server (altered, or made under another secret).
    return { ok: false, reason: 'forged' };
  }
  if (flow.expiresAt < now) return { ok: false, reason: 'expired' };
  if (!given.state || !sameText(given.state, flow.state) || flow.provider !== given.provider) {
    return { ok: false, reason: 'mismatch' };
  }
  return { ok: true, flow };
}
