import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../lib/context.ts';
import { AppError } from '../lib/errors.ts';
import { createLinkSigner } from '../lib/link-signer.ts';
import { CSRF_FIELD, createCsrfTokens } from './auth/csrf.ts';
import { oauthRoutes } from './auth/oauth-routes.ts';
import { createSessionStore, SESSION_COOKIE } from './auth/session-store.ts';
import { connectRoutes } from './pages/connect-routes.ts';
import { deleteRoutes } from './pages/delete-routes.ts';
import { peopleRoutes } from './pages/people-routes.ts';
import { settingsRoutes } from './pages/settings-routes.ts';
import { unsubscribeRoutes } from './pages/unsubscribe-routes.ts';
import { messagePage } from './views/layout.ts';
import { csrfBinding, sessionCookieOptions, type WebDeps } from './web-deps.ts';

const ASSETS = {
  'app.css': { type: 'text/css; charset=utf-8', body: readAsset('app.css') },
  'app.js': { type: 'text/javascript; charset=utf-8', body: readAsset('app.js') },
} as const;

/**
 * The web app for people (connect, settings, people, delete my data), as one encapsulated
 * plugin: its security headers, cookies, CSRF check and error pages apply to its routes only,
 * so the operator endpoints registered next to it keep their own behaviour.
 */
export function webApp(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const publicUrl = new URL(ctx.config.PUBLIC_URL);
    const deps: WebDeps = {
      ctx,
      sessions: createSessionStore(ctx.redis(), {
        secret: ctx.config.TOUCHBASE_SECRET,
        prefix: ctx.config.QUEUE_PREFIX,
        lifetimeDays: ctx.config.SESSION_DAYS,
      }),
      csrf: createCsrfTokens(ctx.config.TOUCHBASE_SECRET),
      links: createLinkSigner(ctx.config.TOUCHBASE_SECRET),
      secure: publicUrl.protocol === 'https:',
    };

    await app.register(cookie);
    await app.register(formbody);
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          // Chrome applies form-action to the redirect after a submit: the connect form ends at
          // the provider's consent page.
          formAction: ["'self'", ...authorizeOrigins(ctx)],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
          ...(deps.secure ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: deps.secure ? { maxAge: 180 * 24 * 3600 } : false,
      // Signed links carry a token in their query string: it must not leak to other sites.
      // (not no-referrer: under it Chrome sends `Origin: null` with the site's own form posts)
      referrerPolicy: { policy: 'same-origin' },
    });
    await app.register(rateLimit, {
      global: false,
      redis: ctx.redis(),
      nameSpace: `${ctx.config.QUEUE_PREFIX}:web:rate:`,
    });

    app.decorateRequest('viewer', null);
    app.addHook('preHandler', async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      const session = await deps.sessions.read(cookie);
      request.viewer = session ? { via: 'session', userId: session.userId, sessionId: session.id } : null;
      // The browser's copy slides with the server's: a session in use does not expire in the browser.
      if (session && cookie && request.method === 'GET' && !request.url.startsWith('/assets/')) {
        void reply.setCookie(SESSION_COOKIE, cookie, sessionCookieOptions(deps));
      }
    });
    app.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'POST' || request.routeOptions.config.csrf === false) return;
      return refuseForgedPost(deps, publicUrl.origin, request, reply);
    });

    app.setErrorHandler((error: FastifyError, request, reply) => errorPage(error, request, reply));
    app.setNotFoundHandler((_request, reply) =>
      reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(
          messagePage(
            'Page not found',
            'There is nothing here. It may have been removed, or the address is wrong.',
          ),
        ),
    );

    app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
      const asset = ASSETS[request.params.name as keyof typeof ASSETS];
      if (!asset) return reply.callNotFound();
      return reply.type(asset.type).header('cache-control', 'public, max-age=3600').send(asset.body);
    });

    await app.register(connectRoutes(deps));
    await app.register(oauthRoutes(deps));
    await app.register(settingsRoutes(deps));
    await app.register(peopleRoutes(deps));
    await app.register(deleteRoutes(deps));
    await app.register(unsubscribeRoutes(deps));
  };
}

/**
 * Every form POST carries the CSRF token of whatever authenticates it (the session, or the
 * signed link in its URL); a browser that says where the form came from must say this site.
 */
async function refuseForgedPost(
  deps: WebDeps,
  origin: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const sentFrom = request.headers.origin;
  // A signed link stands in for the session only on the routes that take one.
  const link = request.routeOptions.config.signedLink
    ? (request.query as Record<string, unknown>).u
    : undefined;
  const binding =
    typeof link === 'string' ? `link:${link}` : request.viewer ? csrfBinding(request.viewer) : null;
  const given = ((request.body ?? {}) as Record<string, unknown>)[CSRF_FIELD];
  if ((sentFrom && sentFrom !== origin) || !binding || !deps.csrf.isValid(binding, given)) {
    return reply
      .code(403)
      .type('text/html; charset=utf-8')
      .send(
        messagePage(
          'This form has expired',
          'The form was not sent from this page, or your sign-in changed since it was shown. Go back, reload the page and try again.',
        ),
      );
  }
  return undefined;
}

function errorPage(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const page = (status: number, title: string, text: string) =>
    reply.code(status).type('text/html; charset=utf-8').send(messagePage(title, text));
  if (error.statusCode === 429) {
    return page(429, 'Too many attempts', 'Wait a minute, then try again.');
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return page(
      error.statusCode,
      'That did not work',
      'The request was not understood. Go back and try again.',
    );
  }
  // Logged once, here, without the request's query (it may hold a signed link or an OAuth code).
  request.log.error(
    {
      event: 'web.error',
      route: request.routeOptions.url,
      code: error instanceof AppError ? error.code : undefined,
      err: error,
    },
    'web request failed',
  );
  return page(500, 'Something went wrong', 'touchbase could not finish this. Try again in a moment.');
}

/** Where the connect form's redirect may lead: the providers' consent pages. */
function authorizeOrigins(ctx: AppContext): string[] {
  return [
    ...new Set(
      [ctx.config.GOOGLE_AUTH_URL, ctx.config.MICROSOFT_AUTHORITY_URL].map((u) => new URL(u).origin),
    ),
  ];
}

function readAsset(name: string): string {
  return readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
}
