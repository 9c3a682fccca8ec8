import type { Command } from 'commander';
import { resolveUser } from '../accounts/account-store.ts';
import { listContacts, toContactJson } from '../contacts/list-contacts.ts';
import { ago, printJson, table } from './format.ts';
import { withContext } from './run-command.ts';

export function registerContactCommands(program: Command): void {
  program
    .command('contacts')
    .description('the people you are in touch with: lapsed first, then most recent')
    .option('--user <email>', 'whose contacts (default: the only user)')
    .option('--json', 'print JSON')
    .option('--all', 'include muted contacts')
    .action(async (opts: { user?: string; json?: boolean; all?: boolean }) => {
      await withContext(async (ctx) => {
        const user = await resolveUser(ctx.prisma, opts.user);
        const now = ctx.clock.now();
        const contacts = await listContacts(ctx.prisma, user.id, now, { includeMuted: Boolean(opts.all) });
        if (opts.json) return printJson(contacts.map(toContactJson));
        if (contacts.length === 0) {
          process.stdout.write('No contacts yet: they appear once mail is synced (touchbase sync --wait).\n');
          return;
        }
        const rows = [['NAME', 'EMAIL', 'LAST CONTACT', 'USUALLY', 'SENT', 'RECEIVED', 'STATUS']];
        for (const c of contacts) {
          rows.push([
            c.name ?? '',
            c.emails[0] ?? '',
            ago(c.lastContactAt, now),
            c.cadenceDays ? `every ${c.cadenceDays}d` : '',
            String(c.sentCount),
            String(c.receivedCount),
            c.status,
          ]);
        }
        process.stdout.write(`${table(rows)}\n`);
      });
    });
}
