import type { Command } from 'commander';
import { resolveUser } from '../accounts/account-store.ts';
import { scheduleUserDigest } from '../queues/queues.ts';
import { updateUserSettings } from '../users/update-settings.ts';
import { printJson } from './format.ts';
import { withContext } from './run-command.ts';

const WEEKDAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('touchbase users and their digest settings');

  users
    .command('list')
    .description('every user, with their digest schedule')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const rows = await ctx.prisma.user.findMany({ orderBy: { createdAt: 'asc' } });
        if (opts.json) return printJson(rows.map(describe));
        for (const user of rows) process.stdout.write(`${line(user)}\n`);
      });
    });

  users
    .command('set')
    .description('change when the weekly digest comes, or pause it')
    .option('--user <email>', 'which user (default: the only user)')
    .option('--digest-day <day>', 'monday..sunday (or 1..7)')
    .option('--digest-hour <hour>', '0..23, in the time zone')
    .option('--timezone <zone>', 'IANA time zone, e.g. Europe/Berlin')
    .option('--empty-digest <what>', 'an empty week: skip (send nothing) or caught-up (a one-line note)')
    .option('--pause', 'stop sending digests')
    .option('--resume', 'send digests again')
    .action(
      async (opts: {
        user?: string;
        digestDay?: string;
        digestHour?: string;
        timezone?: string;
        emptyDigest?: string;
        pause?: boolean;
        resume?: boolean;
      }) => {
        await withContext(async (ctx) => {
          const user = await resolveUser(ctx.prisma, opts.user);
          const updated = await updateUserSettings(ctx.prisma, user.id, {
            digestDay: opts.digestDay,
            digestHour: opts.digestHour,
            timeZone: opts.timezone,
            emptyDigest: opts.emptyDigest as 'skip' | 'caught-up' | undefined,
            digestPaused: opts.pause ? true : opts.resume ? false : undefined,
          });
          await scheduleUserDigest(ctx.queues(), updated);
          process.stdout.write(`${line(updated)}\n`);
        });
      },
    );
}

function describe(user: {
  email: string;
  digestDay: number;
  digestHour: number;
  timeZone: string;
  digestPaused: boolean;
  emptyDigest: string;
}) {
  return {
    email: user.email,
    digestDay: WEEKDAYS[user.digestDay] ?? String(user.digestDay),
    digestHour: user.digestHour,
    timeZone: user.timeZone,
    paused: user.digestPaused,
    emptyDigest: user.emptyDigest,
  };
}

function line(user: Parameters<typeof describe>[0]): string {
  const d = describe(user);
  const when = `${d.digestDay}s at ${String(d.digestHour).padStart(2, '0')}:00 ${d.timeZone}`;
  return `${d.email}: digest ${d.paused ? `paused (was ${when})` : when}${d.emptyDigest === 'caught-up' ? ', "all caught up" on empty weeks' : ''}`;
}
