import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../lib/context.ts';
import type { LinkSigner } from '../lib/link-signer.ts';
import type { User } from '../lib/prisma.ts';
import type { CsrfTokens } from './auth/csrf.ts';
import { SESSION_COOKIE, type SessionStore } from './auth/session-store.ts';
import { html } from './views/html.ts';
import { messagePage } from './views/layout.ts';

/** What the web app's routes share, built once per server. */
export interface WebDeps {
  ctx: AppContext;
  sessions: SessionStore;
  csrf: CsrfTokens;
  links: LinkSigner;
  /** PUBLIC_URL is https: cookies are Secure, HSTS is sent. */
  secure: boolean;
}

/** Who a request acts for: a signed-in person, or the holder of a signed settings link. */
export type Viewer =
  | { via: 'session'; userId: string; sessionId: string }
  | { via: 'link'; userId: string; linkToken: string };

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
  interface FastifyContextConfig {
    /** false: the route is authenticated by a signed link in its URL, not by a session + CSRF token. */
    csrf?: boolean;
    /** true: the route also accepts the digest's signed settings link (`?u=`) instead of a session. */
    signedLink?: boolean;
  }
}

/** The CSRF binding of a viewer: a token from one session or link is worthless for another. */
export function csrfBinding(viewer: Viewer): string {
  return viewer.via === 'session' ? `session:${viewer.sessionId}` : `link:${viewer.linkToken}`;
}

export function csrfTokenOf(deps: WebDeps, viewer: Viewer): string {
  return deps.csrf.tokenFor(csrfBinding(viewer));
}

/**
 * The signed-in user, or null after having redirected to the connect page (which signs in).
 * A session whose user no longer exists counts as signed out.
 */
export async function requireUser(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<{ user: User; viewer: Extract<Viewer, { via: 'session' }> } | null> {
  const viewer = request.viewer;
  const user =
    viewer?.via === 'session'
      ? await deps.ctx.prisma.user.findUnique({ where: { id: viewer.userId } })
      : null;
  if (!user || viewer?.via !== 'session') {
    if (request.method === 'GET') {
      void reply.redirect(`/connect?next=${encodeURIComponent(request.url)}`, 303);
    } else {
      void reply.code(401).type('text/html; charset=utf-8').send(signedOutPage());
    }
    return null;
  }
  return { user, viewer };
}

export function sessionCookieOptions(deps: WebDeps) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.secure,
    maxAge: deps.ctx.config.SESSION_DAYS * 24 * 3600,
  };
}

export function clearSession(deps: WebDeps, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: deps.secure });
}

const uuid = z.uuid();

/** A route's id parameter, when it could name a row at all (anything else is a plain 404). */
export function idParam(request: FastifyRequest): string | null {
  const id = (request.params as Record<string, unknown>).id;
  return uuid.safeParse(id).success ? (id as string) : null;
}

/** The form's fields as strings (formbody gives strings or arrays of them). */
export function formOf(request: FastifyRequest): Record<string, string> {
  const body = (request.body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [
      key,
      Array.isArray(value) ? String(value[0]) : String(value),
    ]),
  );
}

/** POST/redirect/GET: back to a page of this site with a notice code it knows how to say. */
export function seeOther(reply: FastifyReply, path: string, notice?: string): FastifyReply {
  const target = notice
    ? `${path}${path.includes('?') ? '&' : '?'}notice=${encodeURIComponent(notice)}`
    : path;
  return reply.redirect(target, 303);
}

function signedOutPage(): string {
  return messagePage(
    'You are signed out',
    'Your sign-in ended (you signed out, or it expired). Sign in again by connecting your account, then try again.',
    html`<p><a class="button" href="/connect">Sign in</a></p>`,
  );
}
