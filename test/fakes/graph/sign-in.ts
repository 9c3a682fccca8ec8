import { createHash, randomBytes } from 'node:crypto';
import type { FakeGraph } from './fake-graph.ts';

export interface SignInResult {
  access_token: string;
  refresh_token?: string;
  scope: string;
  expires_in: number;
}

/**
 * Runs the authorization code + PKCE flow against the fake with plain fetch (the consent is
 * auto-approved), for tests that need tokens without driving the CLI. Not how touchbase signs
 * in: that is src/oauth's loopback flow.
 */
export async function signInToFake(
  fake: FakeGraph,
  o: { clientId: string; clientSecret?: string; scopes: string[] },
): Promise<SignInResult> {
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://127.0.0.1:53682/callback';
  const auth = new URL(fake.authUrl);
  auth.search = new URLSearchParams({
    client_id: o.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: o.scopes.join(' '),
    state: 'st',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const res = await fetch(auth, { redirect: 'manual' });
  const location = res.headers.get('location');
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (!code)
    throw new Error(
      `authorize did not redirect with a code (status ${res.status}, ${location ?? 'no location'})`,
    );
  const form = new URLSearchParams({
    client_id: o.clientId,
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  if (o.clientSecret) form.set('client_secret', o.clientSecret);
  const tokenRes = await fetch(fake.tokenUrl, { method: 'POST', body: form });
  const body = (await tokenRes.json()) as SignInResult & { error?: string };
  if (!tokenRes.ok) throw new Error(`token exchange failed: ${tokenRes.status} ${body.error ?? ''}`);
  return body;
}
