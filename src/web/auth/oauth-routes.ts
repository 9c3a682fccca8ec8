import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { completeConnection } from '../../oauth/connect-account.ts';
import { buildAuthorizeUrl, exchangeCode, type OAuthSettings } from '../../oauth/oauth-client.ts';
import { createPkce, createState } from '../../oauth/pkce.ts';
import { providerDefinition } from '../../providers/create-provider.ts';
import type { ProviderName } from '../../providers/types.ts';
import { settingsSchema } from '../../users/update-settings.ts';
import { html } from '../views/html.ts';
import { messagePage } from '../views/layout.ts';
import { clearSession, seeOther, sessionCookieOptions, type WebDeps } from '../web-deps.ts';
import { openFlow, STATE_COOKIE, STATE_LIFETIME_MS, sealFlow } from './oauth-state.ts';
import { safeNextPath } from './safe-redirect.ts';
import { SESSION_COOKIE } from './session-store.ts';

const PROVIDERS: Record<ProviderName, string> = { gmail: 'Gmail', outlook: 'Outlook' };

type Query = Record<string, string | undefined>;

/**
 * The web OAuth flow: authorization code + PKCE (S256) + a `state` bound to a sealed,
 * short-lived cookie, with the exact redirect URI ${PUBLIC_URL}/oauth/:provider/callback.
 * Connecting signs the person in; connecting while signed in adds the mailbox to their user.
 * Generic over the provider: a provider works here as soon as create-provider.ts defines it.
 */
export function oauthRoutes(deps: WebDeps): FastifyPluginAsync {
  const { ctx } = deps;
  const limit = {
    rateLimit: { max: ctx.config.AUTH_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 },
  };
  const stateCookie = { path: '/oauth', httpOnly: true, sameSite: 'lax' as const, secure: deps.secure };
  const redirectUri = (provider: ProviderName) =>
    `${ctx.config.PUBLIC_URL.replace(/\/+$/, '')}/oauth/${provider}/callback`;

  return async (app) => {
    app.get<{ Params: { provider: string }; Querystring: Query }>(
      '/oauth/:provider/start',
      { config: limit },
      async (request, reply) => {
        const provider = providerOf(request.params.provider);
        if (!provider) return unknownProvider(reply);
        const oauth = configured(provider);
        if ('error' in oauth) return notConfigured(reply, provider, oauth.error);
        const pkce = createPkce();
        const state = createState();
        const zone = settingsSchema.shape.timeZone.safeParse(request.query.tz);
        const flow = {
          state,
          verifier: pkce.verifier,
          provider,
          next: safeNextPath(request.query.next, ''),
          ...(zone.success && zone.data ? { timeZone: zone.data } : {}),
          expiresAt: Date.now() + STATE_LIFETIME_MS,
        };
        void reply.setCookie(STATE_COOKIE, sealFlow(ctx.cipher, flow), {
          ...stateCookie,
          maxAge: STATE_LIFETIME_MS / 1000,
        });
        const hint = typeof request.query.hint === 'string' && request.query.hint.includes('@');
        const url = buildAuthorizeUrl(oauth.settings, {
          redirectUri: redirectUri(provider),
          state,
          codeChallenge: pkce.challenge,
          loginHint: hint ? request.query.hint : undefined,
        });
        return reply.redirect(url, 303);
      },
    );

    app.get<{ Params: { provider: string }; Querystring: Query }>(
      '/oauth/:provider/callback',
      { config: limit },
      async (request, reply) => {
        const provider = providerOf(request.params.provider);
        if (!provider) return unknownProvider(reply);
        const name = PROVIDERS[provider];
        const cookie = request.cookies[STATE_COOKIE];
        void reply.clearCookie(STATE_COOKIE, stateCookie);
        const { error, code, state } = request.query;
        if (error) {
          return error === 'access_denied'
            ? page(
                reply,
                403,
                'Not connected',
                `You did not allow touchbase to read your ${name} mail headers, so nothing was connected.`,
                tryAgain(provider),
              )
            : page(
                reply,
                400,
                'Not connected',
                `${name} could not complete the sign-in (${error.slice(0, 80)}). Nothing was connected.`,
                tryAgain(provider),
              );
        }
        const check = openFlow(ctx.cipher, cookie, { state, provider }, Date.now());
        if (!check.ok) {
          const expired = check.reason === 'expired' || check.reason === 'missing';
          return page(
            reply,
            400,
            expired ? 'This sign-in has expired' : 'This sign-in could not be verified',
            expired
              ? 'Connecting has to be finished within 10 minutes, in the browser it was started in. Start again.'
              : 'The answer from the provider does not belong to a sign-in started here, so it was ignored. Start again from this page.',
            tryAgain(provider),
          );
        }
        const oauth = configured(provider);
        if ('error' in oauth) return notConfigured(reply, provider, oauth.error);
        if (!code)
          return page(
            reply,
            400,
            'Not connected',
            `${name} sent no authorization code. Start again.`,
            tryAgain(provider),
          );
        try {
          const tokens = await exchangeCode(oauth.settings, {
            code,
            redirectUri: redirectUri(provider),
            codeVerifier: check.flow.verifier,
          });
          const viewer = request.viewer?.via === 'session' ? request.viewer : null;
          const { user } = await completeConnection(ctx, provider, tokens, {
            signedInUserId: viewer?.userId ?? null,
            timeZone: check.flow.timeZone,
          });
          if (viewer?.userId !== user.id) {
            // A new session on every sign-in (never the one the browser came with: fixation).
            if (viewer) await deps.sessions.destroy(viewer.sessionId);
            void reply.setCookie(
              SESSION_COOKIE,
              await deps.sessions.create(user.id),
              sessionCookieOptions(deps),
            );
          }
          const next = safeNextPath(check.flow.next, '');
          return next ? reply.redirect(next, 303) : seeOther(reply, '/settings', 'connected');
        } catch (failure) {
          return connectFailed(reply, provider, failure);
        }
      },
    );

    app.post('/signout', async (request, reply) => {
      if (request.viewer?.via === 'session') await deps.sessions.destroy(request.viewer.sessionId);
      clearSession(deps, reply);
      return seeOther(reply, '/connect', 'signed-out');
    });
  };

  function configured(provider: ProviderName): { settings: OAuthSettings } | { error: AppError } {
    try {
      return { settings: providerDefinition(provider, ctx.config).oauth };
    } catch (error) {
      if (error instanceof AppError) return { error };
      throw error;
    }
  }
}

function providerOf(name: string): ProviderName | null {
  return name === 'gmail' || name === 'outlook' ? name : null;
}

function page(reply: FastifyReply, status: number, title: string, text: string, extra = html``) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(messagePage(title, text, extra));
}

function tryAgain(provider: ProviderName) {
  return html`<p><a class="button" href="/oauth/${provider}/start">Connect ${PROVIDERS[provider]} again</a> <a class="button secondary" href="/connect">Back</a></p>`;
}

function unknownProvider(reply: FastifyReply) {
  return page(
    reply,
    404,
    'Unknown provider',
    'touchbase connects Gmail and Outlook accounts.',
    html`<p><a href="/connect">Back</a></p>`,
  );
}

function notConfigured(reply: FastifyReply, provider: ProviderName, error: AppError) {
  return page(
    reply,
    503,
    `${PROVIDERS[provider]} is not available here`,
    `This touchbase server is not set up to connect ${PROVIDERS[provider]} accounts. Ask the person who runs it.`,
    html`<p class="muted">For the operator: ${error.message}</p><p><a href="/connect">Back</a></p>`,
  );
}

function connectFailed(reply: FastifyReply, provider: ProviderName, failure: unknown) {
  if (!(failure instanceof AppError)) throw failure;
  const name = PROVIDERS[provider];
  switch (failure.code) {
    case 'OAUTH_SCOPE_MISSING':
    case 'INSUFFICIENT_SCOPE':
      return page(
        reply,
        403,
        'touchbase needs one more permission',
        `Access to ${name} was granted without permission to read message headers, which touchbase needs. Connect again and leave every box ticked on the consent page.`,
        tryAgain(provider),
      );
    case 'ACCOUNT_OWNED':
      return page(
        reply,
        409,
        'Already connected elsewhere',
        'This mailbox is already connected to another touchbase user. Sign out, then connect it again to sign in as that user.',
        html`<p><a href="/settings">Back to settings</a></p>`,
      );
    case 'OAUTH_NO_REFRESH_TOKEN':
      return page(reply, 400, 'Not connected', failure.message, tryAgain(provider));
    case 'AUTH_REVOKED':
    case 'OAUTH_FAILED':
    case 'OAUTH_BAD_RESPONSE':
      return page(
        reply,
        400,
        'Not connected',
        `${name} refused to finish the sign-in (the code may have been used already). Start again.`,
        tryAgain(provider),
      );
    default:
      if (failure.retryable) {
        return page(
          reply,
          503,
          'Not connected',
          `${name} did not answer properly. Try again in a minute.`,
          tryAgain(provider),
        );
      }
      throw failure;
  }
}
