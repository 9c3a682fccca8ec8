import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { disconnectAccount } from '../../accounts/disconnect-account.ts';
import { html } from '../views/html.ts';
import { csrfField, layout, messagePage } from '../views/layout.ts';
import { csrfTokenOf, idParam, requireUser, seeOther, type WebDeps } from '../web-deps.ts';

/** Disconnecting one mailbox: a confirmation page (it deletes data), then the POST that does it. */
export function accountRoutes(deps: WebDeps): FastifyPluginAsync {
  const { ctx } = deps;
  return async (app) => {
    app.get('/accounts/:id/disconnect', async (request, reply) => {
      const signedIn = await requireUser(deps, request, reply);
      if (!signedIn) return reply;
      const id = idParam(request);
      const account = id
        ? await ctx.prisma.mailAccount.findFirst({ where: { id, userId: signedIn.user.id } })
        : null;
      if (!account) return notFound(reply);
      const csrf = csrfTokenOf(deps, signedIn.viewer);
      const revoke =
        account.provider === 'outlook'
          ? 'Microsoft offers no way for touchbase to revoke a single token: after this, remove touchbase under “Apps and services” in your Microsoft account.'
          : 'touchbase will also revoke its access at Google.';
      const body = html`<section class="panel">
<p>touchbase stops reading <strong>${account.email}</strong> and deletes what it learned from it: the message facts, and contacts known only through it. ${revoke}</p>
<form method="post" action="/accounts/${account.id}/disconnect">
${csrfField(csrf)}
<button type="submit" class="danger">Disconnect ${account.email}</button>
<a class="button secondary" href="/settings">Cancel</a>
</form>
</section>`;
      return reply
        .type('text/html; charset=utf-8')
        .send(layout({ title: 'Disconnect a mailbox', body, nav: { csrf, current: 'settings' } }));
    });

    app.post('/accounts/:id/disconnect', async (request, reply) => {
      const signedIn = await requireUser(deps, request, reply);
      if (!signedIn) return reply;
      const id = idParam(request);
      const done = id ? await disconnectAccount(ctx, signedIn.user.id, id) : null;
      if (!done) return notFound(reply);
      const notice =
        done.revoke === 'unsupported'
          ? 'disconnected-microsoft'
          : done.revoke === 'failed'
            ? 'disconnected-not-revoked'
            : 'disconnected';
      return seeOther(reply, '/settings', notice);
    });
  };
}

/** The same answer for "no such row" and "someone else's row": ids reveal nothing. */
export function notFound(reply: FastifyReply) {
  return reply
    .code(404)
    .type('text/html; charset=utf-8')
    .send(messagePage('Not found', 'There is no such item among yours. It may have been removed already.'));
}
