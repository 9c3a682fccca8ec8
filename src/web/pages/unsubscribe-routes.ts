import type { FastifyPluginAsync } from 'fastify';
import { settingsLinkUrl } from '../../lib/settings-link.ts';
import { html } from '../views/html.ts';
import { messagePage } from '../views/layout.ts';
import type { WebDeps } from '../web-deps.ts';

/**
 * The digest's List-Unsubscribe target (RFC 8058). A POST pauses the digest at once (mail clients
 * send `List-Unsubscribe=One-Click`, with no session and no CSRF token: the signed link is the
 * credential); a GET only shows a button, because link scanners open GETs.
 */
export function unsubscribeRoutes(deps: WebDeps): FastifyPluginAsync {
  const { ctx, links } = deps;
  const userOf = (token: unknown) => (typeof token === 'string' ? links.verify('unsubscribe', token) : null);
  const invalid =
    'This link is not valid (it may have been cut or changed). Use the link in your latest digest.';
  const html400 = () => messagePage('Link not valid', invalid);

  return async (app) => {
    app.get<{ Querystring: { u?: string } }>('/unsubscribe', async (request, reply) => {
      const token = request.query.u;
      if (!userOf(token)) return reply.code(400).type('text/html; charset=utf-8').send(html400());
      const form = html`<form method="post" action="/unsubscribe?u=${encodeURIComponent(String(token))}"><button type="submit">Pause my weekly digest</button></form>`;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          messagePage(
            'Pause your touchbase digest?',
            'You will get no more digests until you resume them.',
            form,
          ),
        );
    });

    app.post<{ Querystring: { u?: string } }>(
      '/unsubscribe',
      { config: { csrf: false } },
      async (request, reply) => {
        const userId = userOf(request.query.u);
        if (!userId) return reply.code(400).type('text/html; charset=utf-8').send(html400());
        const { count } = await ctx.prisma.user.updateMany({
          where: { id: userId },
          data: { digestPaused: true },
        });
        if (count === 0) return reply.code(400).type('text/html; charset=utf-8').send(html400());
        ctx.log.info({ event: 'digest.paused', userId }, 'digest paused by unsubscribe link');
        const settings = settingsLinkUrl(ctx.config.PUBLIC_URL, links, userId, ctx.clock.now());
        return reply
          .type('text/html; charset=utf-8')
          .send(
            messagePage(
              'Your digest is paused',
              'You will get no more digests until you resume them.',
              html`<p><a href="${settings}">Resume it or change its schedule</a></p>`,
            ),
          );
      },
    );
  };
}
