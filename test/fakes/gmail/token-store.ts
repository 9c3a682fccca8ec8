import { randomBytes } from 'node:crypto';

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  offline: boolean;
  expiresAt: number;
}

export interface AccessToken {
  scopes: string[];
  expiresAt: number;
  generation: number;
}

interface RefreshToken {
  clientId: string;
  scopes: string[];
  generation: number;
}

const CODE_TTL_MS = 10 * 60_000;

/**
 * Everything the authorization server has issued. A "generation" counter makes revocation cheap:
 * revoking bumps it, and every token from an older generation stops working.
 */
export class TokenStore {
  private readonly codes = new Map<string, AuthCode>();
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, RefreshToken>();
  private generation = 0;

  issueCode(c: Omit<AuthCode, 'expiresAt'>): string {
    // Same visible shape as Google's codes ("4/0A..."), so log redaction is tested on realistic values.
    const code = `4/0A${token(48)}`;
    this.codes.set(code, { ...c, expiresAt: Date.now() + CODE_TTL_MS });
    return code;
  }

  /** Codes are single use: any attempt to redeem one burns it, successful or not. */
  takeCode(code: string): AuthCode | undefined {
    const found = this.codes.get(code);
    this.codes.delete(code);
    if (!found || found.expiresAt <= Date.now()) return undefined;
    return found;
  }

  issueAccess(scopes: string[], ttlSeconds: number): string {
    const t = `ya29.a0${token(96)}`;
    this.access.set(t, { scopes, expiresAt: Date.now() + ttlSeconds * 1000, generation: this.generation });
    return t;
  }

  issueRefresh(clientId: string, scopes: string[]): string {
    const t = `1//0${token(64)}`;
    this.refresh.set(t, { clientId, scopes, generation: this.generation });
    return t;
  }

  /** The live access token, or undefined when it is unknown, expired or revoked. */
  checkAccess(t: string): AccessToken | undefined {
    const found = this.access.get(t);
    if (!found || found.generation !== this.generation || found.expiresAt <= Date.now()) return undefined;
    return found;
  }

  /** Every access token issued so far stops working, as at the end of its hour. */
  expireAccess(): void {
    const now = Date.now();
    for (const a of this.access.values()) a.expiresAt = Math.min(a.expiresAt, now);
  }

  checkRefresh(t: string, clientId: string): RefreshToken | undefined {
    const found = this.refresh.get(t);
    if (!found || found.generation !== this.generation || found.clientId !== clientId) return undefined;
    return found;
  }

  /** The /revoke endpoint: revoking either kind of token revokes the whole grant. */
  revokeOne(t: string): boolean {
    if (this.refresh.delete(t)) {
      this.revokeAll();
      return true;
    }
    const a = this.checkAccess(t);
    if (!a) return false;
    this.revokeAll();
    return true;
  }

  revokeAll(): void {
    this.generation += 1;
  }
}

function token(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4))
    .toString('base64url')
    .slice(0, bytes);
}
