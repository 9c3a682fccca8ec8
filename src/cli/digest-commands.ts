import type { Command } from 'commander';
import { mailboxFinder } from '../accounts/account-provider.ts';
import { resolveUser } from '../accounts/account-store.ts';
import { renderDigest } from '../digest/render-digest.ts';
import { lastDueAt } from '../digest/schedule.ts';
import { selectDigestContent, selectOptions, toDigestJson } from '../digest/select-digest-items.ts';
import { sendWeeklyDigest } from '../digest/send-weekly-digest.ts';
import { printJson } from './format.ts';
import { withContext } from './run-command.ts';

export function registerDigestCommands(program: Command): void {
  const digest = program.command('digest').description("this week's digest: preview it or send it");

  digest
    .command('preview')
    .description('show what the digest would say now, without sending it')
    .option('--user <email>', 'whose digest (default: the only user)')
    .option('--json', 'print JSON')
    .option('--html', 'print the HTML part (e.g. > digest.html)')
    .action(async (opts: { user?: string; json?: boolean; html?: boolean }) => {
      await withContext(async (ctx) => {
        const user = await resolveUser(ctx.prisma, opts.user);
        const now = ctx.clock.now();
        const content = await selectDigestContent(
          ctx.prisma,
          user,
          now,
          lastDueAt(user, now).period,
          selectOptions(ctx.config),
        );
        if (opts.json) return printJson(toDigestJson(content));
        const rendered = renderDigest(content, { publicUrl: ctx.config.PUBLIC_URL });
        process.stdout.write(
          opts.html ? rendered.html : `Subject: ${rendered.subject}\n\n${rendered.text}\n`,
        );
      });
    });

  digest
    .command('send')
    .description("send this period's digest now, unless it was already sent")
    .option('--user <email>', 'whose digest (default: the only user)')
    .action(async (opts: { user?: string }) => {
      await withContext(async (ctx) => {
        const user = await resolveUser(ctx.prisma, opts.user);
        const outcome = await sendWeeklyDigest({ ...ctx, findDelivered: mailboxFinder(ctx) }, user.id);
        const where = 'location' in outcome && outcome.location ? ` (${outcome.location})` : '';
        const said = {
          sent: `Digest ${outcome.period} sent to ${user.email}${where}`,
          'already-sent': `Digest ${outcome.period} was already sent to ${user.email}${where}; it is never sent twice`,
          'in-progress': `Digest ${outcome.period} is being sent by another process right now`,
          empty: `Nothing to send for ${outcome.period}: nobody is lapsing and no reply is due`,
          paused: `Digests are paused for ${user.email}: touchbase users set --resume`,
        }[outcome.status];
        process.stdout.write(`${said}\n`);
      });
    });
}
