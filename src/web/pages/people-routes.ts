import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ownAddresses } from '../../accounts/account-store.ts';
import { listContacts } from '../../contacts/list-contacts.ts';
import { mergeContactRows } from '../../contacts/manage-contacts.ts';
import { DAY_MS } from '../../lib/clock.ts';
import { readingAccounts } from '../../sync/backfill-progress.ts';
import { html } from '../views/html.ts';
import { layout, messagePage } from '../views/layout.ts';
import { noticeText } from '../views/notices.ts';
import { CADENCE_CHOICES, matchesQuery, peopleBody, SNOOZE_CHOICES } from '../views/people-view.ts';
import { csrfTokenOf, formOf, idParam, requireUser, seeOther, type WebDeps } from '../web-deps.ts';
import { notFound } from './account-routes.ts';

const PAGE_LIMIT = 200;

/**
 * The contacts list with snooze, mute, rhythm and merge: plain forms, each POST answered with a
 * redirect back to the list. Every query names the signed-in user, so another user's contact id
 * is simply not found.
 */
export function peopleRoutes(deps: WebDeps): FastifyPluginAsync {
  const { ctx } = deps;
  const back = (reply: FastifyReply, form: Record<string, string>, notice: string) =>
    seeOther(reply, form.q ? `/people?q=${encodeURIComponent(form.q)}` : '/people', notice);

  return async (app) => {
    app.get<{ Querystring: Record<string, string | undefined> }>('/people', async (request, reply) => {
      const signedIn = await requireUser(deps, request, reply);
      if (!signedIn) return reply;
      const now = ctx.clock.now();
      const all = await listContacts(ctx.prisma, signedIn.user.id, now, { includeMuted: true });
      const query = (request.query.q ?? '').trim().slice(0, 200);
      const matching = query ? all.filter((c) => matchesQuery(c, query)) : all;
      // The most pressing first; past the limit, the search finds anyone.
      const contacts = matching.slice(0, PAGE_LIMIT);
      const csrf = csrfTokenOf(deps, signedIn.viewer);
      return reply.type('text/html; charset=utf-8').send(
        layout({
          title: 'People',
          body: peopleBody({
            contacts,
            total: matching.length,
            all,
            query,
            csrf,
            now,
            timeZone: signedIn.user.timeZone,
            reading: await readingAccounts(ctx.prisma, signedIn.user.id, now),
          }),
          nav: { csrf, current: 'people' },
          notice: noticeText(request.query.notice),
        }),
      );
    });

    app.post('/people/:id/snooze', async (request, reply) => {
      const signedIn = await requireUser(deps, request, reply);
      if (!signedIn) return reply;
      const form = formOf(request);
      const choice = SNOOZE_CHOICES[form.for ?? ''];
      if (!choice && form.for !== 'end') return badChoice(reply);
      const until = choice ? new Date(ctx.clock.now().getTime() + choice.days * DAY_MS) : null;
      if (!(await update(signedIn.user.id, idParam(request), { snoozedUntil: until })))
        return notFound(reply);
      return back(reply, form, 'snoozed');
    });

    for (const muted of [true, false]) {
      app.post(`/people/:id/${muted ? 'mute' : 'unmute'}`, async (request, reply) => {
        const signedIn = await requireUser(deps, request, reply);
        if (!signedIn) return reply;
        const data = { mutedAt: muted ? ctx.clock.now() : null };
        if (!(await update(signedIn.user.id, idParam(request), data))) return notFound(reply);
        return back(reply, formOf(request), muted ? 'muted' : 'unmuted');
      });
    }

    app.post('/people/:id/cadence', async (request, reply) => {
      const signedIn = await requireUser(deps, request, reply);
      if (!signedIn) return reply;
      const form = formOf(request);
      const days = form.days ? Number(form.days) : null;
      if (days !== null && !CADENCE_CHOICES.some((choice) => choice.days === days)) return badChoice(reply);
      if (!(await update(signedIn.user.id, idParam(request), { cadenceDays: days }))) return notFound(reply);
      return back(reply, form, 'cadence-saved');
    });

    app.post('/people/merge', async (request, reply) => {
      const signedIn = await requireUser(deps, request, reply);
      if (!signedIn) return reply;
      const userId = signedIn.user.id;
      const form = formOf(request);
      const [into, from] = await Promise.all(
        [form.into, form.from].map((id) =>
          id && /^[0-9a-f-]{36}$/i.test(id)
            ? ctx.prisma.contact.findFirst({ where: { id, userId }, include: { addresses: true } })
            : null,
        ),
      );
      if (!into || !from) return notFound(reply);
      if (into.id === from.id) return badChoice(reply, 'Choose two different contacts to merge.');
      await mergeContactRows(ctx.prisma, userId, into, from, {
        groupSizeLimit: ctx.config.GROUP_SIZE_LIMIT,
        own: await ownAddresses(ctx.prisma, userId),
      });
      return seeOther(reply, '/people', 'merged');
    });
  };

  /** Changes one of the user's contacts; false when they have no contact with that id. */
  async function update(
    userId: string,
    id: string | null,
    data: { snoozedUntil?: Date | null; mutedAt?: Date | null; cadenceDays?: number | null },
  ): Promise<boolean> {
    if (!id) return false;
    const { count } = await ctx.prisma.contact.updateMany({ where: { id, userId }, data });
    return count === 1;
  }
}

function badChoice(
  reply: FastifyReply,
  text = 'That choice is not one the form offers. Go back and pick one.',
) {
  return reply
    .code(400)
    .type('text/html; charset=utf-8')
    .send(messagePage('That did not work', text, html`<p><a href="/people">Back to people</a></p>`));
}
