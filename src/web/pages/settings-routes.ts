import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import type { User } from '../../lib/prisma.ts';
import { verifySettingsLink } from '../../lib/settings-link.ts';
import { scheduleUserDigest } from '../../queues/queues.ts';
import { updateUserSettings } from '../../users/update-settings.ts';
import { layout, messagePage } from '../views/layout.ts';
import { noticeText } from '../views/notices.ts';
import { settingsBody } from '../views/settings-view.ts';
import { csrfTokenOf, formOf, requireUser, seeOther, type Viewer, type WebDeps } from '../web-deps.ts';
import { accountRoutes } from './account-routes.ts';

type Query = Record<string, string | undefined>;

/**
 * The digest schedule and the connected mailboxes. The digest's signed link opens the schedule
 * part for its user without a session; mailboxes, people and deleting data need a sign-in.
 */
export function settingsRoutes(deps: WebDeps): FastifyPluginAsync {
  const { ctx } = deps;

  /** The user the request may change settings for, from a signed link or the session; else replied. */
  async function settingsUser(
    request: FastifyRequest<{ Querystring: Query }>,
    reply: FastifyReply,
  ): Promise<{ user: User; viewer: Viewer; linkQuery: string } | null> {
    const token = request.query.u;
    if (token !== undefined) {
      const userId = verifySettingsLink(deps.links, token, ctx.clock.now());
      const user = userId ? await ctx.prisma.user.findUnique({ where: { id: userId } }) : null;
      if (!user) {
        void reply
          .code(400)
          .type('text/html; charset=utf-8')
          .send(
            messagePage(
              'This link has expired',
              'Settings links in a digest work for five weeks. Use the link in your latest digest, or sign in.',
            ),
          );
        return null;
      }
      return {
        user,
        viewer: { via: 'link', userId: user.id, linkToken: token },
        linkQuery: `?u=${encodeURIComponent(token)}`,
      };
    }
    const signedIn = await requireUser(deps, request, reply);
    return signedIn && { ...signedIn, linkQuery: '' };
  }

  async function render(
    reply: FastifyReply,
    target: { user: User; viewer: Viewer; linkQuery: string },
    extra: { notice?: string | undefined; error?: string | undefined; status?: number } = {},
  ) {
    const session = target.viewer.via === 'session';
    const csrf = csrfTokenOf(deps, target.viewer);
    const accounts = session
      ? await ctx.prisma.mailAccount.findMany({
          where: { userId: target.user.id },
          orderBy: { createdAt: 'asc' },
        })
      : null;
    return reply
      .code(extra.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(
        layout({
          title: 'Settings',
          body: settingsBody({
            user: target.user,
            accounts,
            csrf,
            linkQuery: target.linkQuery,
            now: ctx.clock.now(),
          }),
          nav: session ? { csrf, current: 'settings' } : undefined,
          notice: extra.notice,
          error: extra.error,
        }),
      );
  }

  return async (app) => {
    app.get<{ Querystring: Query }>('/settings', async (request, reply) => {
      const target = await settingsUser(request, reply);
      if (!target) return reply;
      return render(reply, target, { notice: noticeText(request.query.notice) });
    });

    app.post<{ Querystring: Query }>(
      '/settings/schedule',
      { config: { signedLink: true } },
      async (request, reply) => {
        const target = await settingsUser(request, reply);
        if (!target) return reply;
        const form = formOf(request);
        try {
          const updated = await updateUserSettings(ctx.prisma, target.user.id, {
            digestDay: form.digestDay,
            digestHour: form.digestHour,
            timeZone: form.timeZone,
          });
          await scheduleUserDigest(ctx.queues(), updated);
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'SETTINGS_INVALID') throw error;
          // The CLI's wording names its flags; on the page the fields are labelled already.
          return render(reply, target, { error: error.message.replaceAll('--', ''), status: 400 });
        }
        return seeOther(reply, `/settings${target.linkQuery}`, 'schedule-saved');
      },
    );

    app.post<{ Querystring: Query }>(
      '/settings/pause',
      { config: { signedLink: true } },
      async (request, reply) => {
        const target = await settingsUser(request, reply);
        if (!target) return reply;
        const paused = formOf(request).paused === '1';
        await updateUserSettings(ctx.prisma, target.user.id, { digestPaused: paused });
        return seeOther(reply, `/settings${target.linkQuery}`, paused ? 'paused' : 'resumed');
      },
    );

    await app.register(accountRoutes(deps));
  };
}
