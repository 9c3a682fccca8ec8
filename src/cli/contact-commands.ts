import type { Command } from 'commander';
import { ownAddresses, resolveUser } from '../accounts/account-store.ts';
import { explainContact } from '../contacts/explain-contact.ts';
import { listContacts, toContactJson } from '../contacts/list-contacts.ts';
import { mergeContacts, setCadence, setMuted } from '../contacts/manage-contacts.ts';
import { describeCadence, parseCadence } from '../contacts/parse-cadence.ts';
import { readingAccounts, readingSentence } from '../sync/backfill-progress.ts';
import { ago, printJson, table } from './format.ts';
import { withContext } from './run-command.ts';

export function registerContactCommands(program: Command): void {
  const contacts = program
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
        // A first backfill still going: the list is drawn from the newest mail only.
        const reading = (await readingAccounts(ctx.prisma, user.id, now)).map(
          (a) => `\n${readingSentence(a)}\n`,
        );
        if (contacts.length === 0) {
          process.stdout.write(
            `No contacts yet: they appear once mail is synced (touchbase sync --wait).\n${reading.join('')}`,
          );
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
        process.stdout.write(`${table(rows)}\n${reading.join('')}`);
      });
    });
  registerContactChanges(contacts);
}

/** Commands that change what touchbase believes about one person; each survives every re-sync. */
function registerContactChanges(contacts: Command): void {
  contacts
    .command('why')
    .description('explain every decision about one person or address: what counted, the rhythm, the status')
    .argument('<who>', 'an address or a name')
    .option('--user <email>', 'whose contacts (default: the only user)')
    .action(async (who: string, opts: { user?: string }) => {
      await withContext(async (ctx) => {
        const user = await resolveUser(ctx.prisma, opts.user);
        const own = await ownAddresses(ctx.prisma, user.id);
        const lines = await explainContact(ctx.prisma, user.id, who, ctx.clock.now(), {
          groupSizeLimit: ctx.config.GROUP_SIZE_LIMIT,
          own,
        });
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });

  contacts
    .command('merge')
    .description("make two contacts one person for good (B's addresses join A)")
    .argument('<a>', 'the contact to keep (address or name)')
    .argument('<b>', 'the contact to merge into it')
    .option('--user <email>', 'whose contacts (default: the only user)')
    .action(async (a: string, b: string, opts: { user?: string }) => {
      await withContext(async (ctx) => {
        const user = await resolveUser(ctx.prisma, opts.user);
        const own = await ownAddresses(ctx.prisma, user.id);
        const merged = await mergeContacts(ctx.prisma, user.id, a, b, {
          groupSizeLimit: ctx.config.GROUP_SIZE_LIMIT,
          own,
        });
        process.stdout.write(
          `Merged: ${merged.name ?? ''} <${merged.addresses.map((x) => x.address).join(', ')}>\n`,
        );
      });
    });

  for (const [name, muted] of [
    ['mute', true],
    ['unmute', false],
  ] as const) {
    contacts
      .command(name)
      .description(muted ? 'never show this person in the digest (their mail still counts)' : 'undo mute')
      .argument('<who>', 'an address or a name')
      .option('--user <email>', 'whose contacts (default: the only user)')
      .action(async (who: string, opts: { user?: string }) => {
        await withContext(async (ctx) => {
          const user = await resolveUser(ctx.prisma, opts.user);
          const contact = await setMuted(ctx.prisma, user.id, who, muted, ctx.clock.now());
          process.stdout.write(
            `${muted ? 'Muted' : 'Unmuted'} ${contact.name ?? contact.addresses[0]?.address}\n`,
          );
        });
      });
  }

  contacts
    .command('cadence')
    .description('set how often you want to be in touch with someone (10d, 6w, 3m, 1y; auto = inferred)')
    .argument('<who>', 'an address or a name')
    .argument('<every>', 'e.g. 3m')
    .option('--user <email>', 'whose contacts (default: the only user)')
    .action(async (who: string, every: string, opts: { user?: string }) => {
      await withContext(async (ctx) => {
        const days = parseCadence(every);
        const user = await resolveUser(ctx.prisma, opts.user);
        const contact = await setCadence(ctx.prisma, user.id, who, days);
        const label = contact.name ?? contact.addresses[0]?.address;
        process.stdout.write(
          days ? `${label}: ${describeCadence(days)}\n` : `${label}: back to the inferred rhythm\n`,
        );
      });
    });
}
