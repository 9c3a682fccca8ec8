import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildAuthorizeUrl, missingScopes, type OAuthSettings } from '../../src/oauth/oauth-client.ts';
import { createPkce, createState } from '../../src/oauth/pkce.ts';

const settings: OAuthSettings = {
  provider: 'gmail',
  authUrl: 'https://accounts.example/o/oauth2/v2/auth?hd=example.com',
  tokenUrl: 'https://accounts.example/token',
  clientId: 'client',
  clientSecret: 'secret',
  scopes: ['https://www.googleapis.com/auth/gmail.readonly'],
  extraAuthParams: { access_type: 'offline', prompt: 'consent' },
};

describe('OAuth pieces', () => {
  it('makes an S256 challenge from a high-entropy verifier', () => {
    const pkce = createPkce();
    expect(pkce.verifier.length).toBeGreaterThanOrEqual(43);
    expect(pkce.challenge).toBe(createHash('sha256').update(pkce.verifier).digest('base64url'));
    expect(createState()).not.toBe(createState());
  });

  it('builds the authorize URL keeping the endpoint own query', () => {
    const url = new URL(
      buildAuthorizeUrl(settings, {
        redirectUri: 'http://127.0.0.1:5555/oauth/callback',
        state: 's',
        codeChallenge: 'c',
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      hd: 'example.com',
      response_type: 'code',
      client_id: 'client',
      redirect_uri: 'http://127.0.0.1:5555/oauth/callback',
      scope: 'https://www.googleapis.com/auth/gmail.readonly',
      state: 's',
      code_challenge: 'c',
      code_challenge_method: 'S256',
      access_type: 'offline',
      prompt: 'consent',
    });
  });

  it('names the scopes the user did not grant', () => {
    expect(missingScopes(settings, ['openid'])).toEqual(['https://www.googleapis.com/auth/gmail.readonly']);
    expect(missingScopes(settings, ['openid', 'https://www.googleapis.com/auth/gmail.readonly'])).toEqual([]);
  });
});
