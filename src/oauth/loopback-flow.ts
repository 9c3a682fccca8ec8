import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../lib/errors.ts';
import { buildAuthorizeUrl, exchangeCode, type OAuthSettings, type TokenSet } from './oauth-client.ts';
import { createPkce, createState } from './pkce.ts';

/**
 * The CLI's OAuth flow for native apps (RFC 8252): a one-shot HTTP listener on 127.0.0.1
 * receives the redirect; PKCE (S256) and `state` make an intercepted code useless.
 */
export async function runLoopbackFlow(
  settings: OAuthSettings,
  options: {
    /** Told the URL to open (print it, open a browser). */
    onAuthorizeUrl: (url: string) => void | Promise<void>;
    loginHint?: string | undefined;
    timeoutMs?: number;
  },
): Promise<TokenSet> {
  const pkce = createPkce();
  const state = createState();
  const listener = await listen();
  const redirectUri = `http://127.0.0.1:${listener.port}/oauth/callback`;
  try {
    const url = buildAuthorizeUrl(settings, {
      redirectUri,
      state,
      codeChallenge: pkce.challenge,
      loginHint: options.loginHint,
    });
    const callback = listener.waitForCallback(state, options.timeoutMs ?? 5 * 60_000);
    await options.onAuthorizeUrl(url);
    const code = await callback;
    return await exchangeCode(settings, { code, redirectUri, codeVerifier: pkce.verifier });
  } finally {
    await listener.close();
  }
}

interface Listener {
  port: number;
  waitForCallback(state: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

async function listen(): Promise<Listener> {
  let settle: ((result: { code?: string; error?: AppError }) => void) | undefined;
  let expectedState = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/oauth/callback') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const outcome = readCallback(url.searchParams, expectedState);
    res
      .writeHead(outcome.error ? 400 : 200, { 'content-type': 'text/html; charset=utf-8' })
      .end(
        page(
          outcome.error ? `Not connected: ${outcome.error.message}` : 'Connected. You can close this tab.',
        ),
      );
    settle?.(outcome);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    waitForCallback(state, timeoutMs) {
      expectedState = state;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new AppError(
              'OAUTH_TIMEOUT',
              `no answer from the consent page within ${Math.round(timeoutMs / 1000)} s; run the command again and finish the consent in the browser`,
            ),
          );
        }, timeoutMs);
        settle = (outcome) => {
          clearTimeout(timer);
          if (outcome.code) resolve(outcome.code);
          else reject(outcome.error);
        };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readCallback(query: URLSearchParams, expectedState: string): { code?: string; error?: AppError } {
  if (query.get('state') !== expectedState) {
    return {
      error: new AppError(
        'OAUTH_STATE_MISMATCH',
        'the answer did not come from the request this command made (state mismatch); start again',
      ),
    };
  }
  const error = query.get('error');
  if (error === 'access_denied') {
    return {
      error: new AppError('OAUTH_DENIED', 'access was not granted on the consent page; nothing was stored'),
    };
  }
  if (error) {
    const description = query.get('error_description');
    return {
      error: new AppError(
        'OAUTH_FAILED',
        `the provider answered ${error}${description ? `: ${description}` : ''}`,
      ),
    };
  }
  const code = query.get('code');
  if (!code)
    return { error: new AppError('OAUTH_FAILED', 'the provider answered without an authorization code') };
  return { code };
}

function page(message: string): string {
  const safe = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>touchbase</title><body style="font-family:system-ui;padding:2rem"><h1>touchbase</h1><p>${safe}</p></body></html>`;
}
