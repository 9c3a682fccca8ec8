import { randomBytes } from 'node:crypto';

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  expiresAt: number;
}

export interface AccessToken {
  scopes: string[];
  expiresAt: number;
  generation: number;
}

/** Why later refresh grants fail; set by the test through the fake's handle. */
export type RefreshBlock = 'none' | 'revoked' | 'expired' | 'mfa';

interface RefreshToken {
  clientId: string;
  scopes: string[];
  generation: number;
  used: boolean;
}

const CODE_TTL_MS = 10 * 60_000;

/**
 * Everything the identity platform issued. A generation counter makes revocation and forced
 * expiry cheap: bumping it retires every older token at once.
 */
export class TokenStore {
  private readonly codes = new Map<string, AuthCode>();
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, RefreshToken>();
  private accessGeneration = 0;
  private refreshGeneration = 0;
  block: RefreshBlock = 'none';
  /** the AADSTS code the block answers with (70008 or 700082 for expired, 50076 or 50079 for MFA) */
  blockCode = 0;

  issueCode(c: Omit<AuthCode, 'expiresAt'>): string {
    // Entra codes start "0.A" / "M." and are long; the exact prefix is not documented.
    const code = `0.AX${token(180)}`;
    this.codes.set(code, { ...c, expiresAt: Date.now() + CODE_TTL_MS });
    return code;
  }

  /** Codes are single use: any attempt to redeem one burns it. */
  takeCode(code: string): AuthCode | undefined {
    const found = this.codes.get(code);
    this.codes.delete(code);
    if (!found || found.expiresAt <= Date.now()) return undefined;
    return found;
  }

  issueAccess(scopes: string[], ttlSeconds: number): string {
    // Graph access tokens are JWTs ("eyJ0eX..."); this one is opaque but looks the part.
    const t = `eyJ0eXAiOiJKV1QiLCJub25jZSI6${token(700)}`;
    this.access.set(t, {
      scopes,
      expiresAt: Date.now() + ttlSeconds * 1000,
      generation: this.accessGeneration,
    });
    return t;
  }

  issueRefresh(clientId: string, scopes: string[]): string {
    const t = `1.AX${token(400)}`;
    this.refresh.set(t, { clientId, scopes, generation: this.refreshGeneration, used: false });
    return t;
  }

  checkAccess(t: string): AccessToken | 'expired' | undefined {
    const found = this.access.get(t);
    if (!found) return undefined;
    if (found.generation !== this.accessGeneration || found.expiresAt <= Date.now()) return 'expired';
    return found;
  }

  /**
   * Redeems a refresh token. In strict rotation a token can be redeemed once; in lenient
   * rotation (Microsoft's documented behaviour) older tokens keep working.
   */
  redeemRefresh(
    t: string,
    clientId: string,
    strict: boolean,
  ): { scopes: string[] } | 'unknown' | 'used' | 'wrong-client' {
    const found = this.refresh.get(t);
    if (!found || found.generation !== this.refreshGeneration) return 'unknown';
    if (found.clientId !== clientId) return 'wrong-client';
    if (strict && found.used) return 'used';
    found.used = true;
    return { scopes: found.scopes };
  }

  revokeAll(): void {
    this.refreshGeneration += 1;
    this.accessGeneration += 1;
  }

  expireAccessTokens(): void {
    this.accessGeneration += 1;
  }
}

function token(len: number): string {
  return randomBytes(Math.ceil((len * 3) / 4))
    .toString('base64url')
    .slice(0, len);
}
