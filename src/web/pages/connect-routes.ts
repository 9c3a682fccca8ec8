import type { FastifyPluginAsync } from 'fastify';
import { safeNextPath } from '../auth/safe-redirect.ts';
import { html } from '../views/html.ts';
import { layout } from '../views/layout.ts';
import { noticeText } from '../views/notices.ts';
import { csrfTokenOf, type WebDeps } from '../web-deps.ts';

/**
 * The front door. Connecting an account is also how a person signs in (again): touchbase has no
 * passwords, the provider's sign-in vouches for the mailbox.
 */
export function connectRoutes(deps: WebDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/', async (request, reply) =>
      reply.redirect(request.viewer?.via === 'session' ? '/people' : '/connect', 303),
    );

    app.get<{ Querystring: Record<string, string | undefined> }>('/connect', async (request, reply) => {
      const viewer = request.viewer?.via === 'session' ? request.viewer : null;
      const next = safeNextPath(request.query.next, '');
      const button = (
        provider: string,
        label: string,
      ) => html`<form method="get" action="/oauth/${provider}/start">
<input type="hidden" name="tz" value="" data-browser-tz>
${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
<button type="submit">Connect ${label}</button>
</form>`;
      const body = html`<section class="panel" aria-labelledby="connect-heading">
<h2 id="connect-heading">${viewer ? 'Add another mailbox' : 'Sign in by connecting your mailbox'}</h2>
<p>${
        viewer
          ? 'A second mailbox joins the one you have: one digest covers both.'
          : 'touchbase reads who you write to and when (message headers, never your messages), and emails you once a week about the people you are losing touch with. Connecting a mailbox you connected before signs you back in.'
      }</p>
<div class="providers">${button('gmail', 'Gmail')}${button('outlook', 'Outlook')}</div>
<p class="muted">You will be asked to allow read-only access on the provider’s own page, then brought back here.</p>
</section>`;
      return reply.type('text/html; charset=utf-8').send(
        layout({
          title: viewer ? 'Add an account' : 'Keep in touch with the people who matter',
          body,
          nav: viewer ? { csrf: csrfTokenOf(deps, viewer), current: 'connect' } : undefined,
          notice: noticeText(request.query.notice),
        }),
      );
    });
  };
}
