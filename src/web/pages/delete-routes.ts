import type { FastifyPluginAsync } from 'fastify';
import { deleteUserData } from '../../users/delete-user.ts';
import { html } from '../views/html.ts';
import { csrfField, layout, messagePage } from '../views/layout.ts';
import { clearSession, csrfTokenOf, formOf, requireUser, type WebDeps } from '../web-deps.ts';

const CONFIRM_WORD = 'delete';

/** "Delete my data": a confirmation form (type a word, so a stray click does nothing), then all of it goes. */
export function deleteRoutes(deps: WebDeps): FastifyPluginAsync {
  const { ctx } = deps;
  return async (app) => {
    app.get('/delete', async (request, reply) => {
      const signedIn = await requireUser(deps, request, reply);
      if (!signedIn) return reply;
      return reply.type('text/html; charset=utf-8').send(page(csrfTokenOf(deps, signedIn.viewer)));
    });

    app.post('/delete', async (request, reply) => {
      const signedIn = await requireUser(deps, request, reply);
      if (!signedIn) return reply;
      if (formOf(request).confirm?.trim().toLowerCase() !== CONFIRM_WORD) {
        return reply
          .code(400)
          .type('text/html; charset=utf-8')
          .send(page(csrfTokenOf(deps, signedIn.viewer), `Type “${CONFIRM_WORD}” in the box to confirm.`));
      }
      const deleted = await deleteUserData(ctx, signedIn.user.id);
      await deps.sessions.destroyAll(signedIn.user.id);
      clearSession(deps, reply);
      const unrevoked = (deleted?.accounts ?? []).filter(
        (a) => a.revoke === 'unsupported' || a.revoke === 'failed',
      );
      return reply
        .type('text/html; charset=utf-8')
        .send(
          messagePage(
            'Your data is deleted',
            'touchbase no longer holds anything about you: your mailboxes are disconnected and your contacts, mail facts and digests are gone. You are signed out.',
            unrevoked.length
              ? html`<p>touchbase could not revoke its access for ${unrevoked.map((a) => a.email).join(', ')} (Microsoft offers no way to revoke a single token). Remove touchbase in that account’s security settings (“Apps and services”) to end it.</p>`
              : html`<p>Its access to your mailboxes was revoked.</p>`,
          ),
        );
    });
  };

  function page(csrf: string, error?: string): string {
    return layout({
      title: 'Delete my data',
      error,
      nav: { csrf, current: 'delete' },
      body: html`<section class="panel">
<p>This deletes your touchbase user and everything it holds: connected mailboxes (their access is revoked), contacts, the facts read from your mail, and past digests. It cannot be undone. Your mail itself is not touched.</p>
<form method="post" action="/delete">
${csrfField(csrf)}
<label for="confirm">Type “${CONFIRM_WORD}” to confirm</label>
<input type="text" id="confirm" name="confirm" autocomplete="off" required>
<p><button type="submit" class="danger">Delete everything</button> <a class="button secondary" href="/settings">Cancel</a></p>
</form>
</section>`,
    });
  }
}
