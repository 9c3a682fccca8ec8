import type { Command } from 'commander';
import { findAccount } from '../accounts/account-store.ts';
import { AppError } from '../lib/errors.ts';
import type { MailAccount } from '../lib/prisma.ts';
import { connectAccount } from '../oauth/connect-account.ts';
import { enqueueSync } from '../queues/queues.ts';
import { backfillProgressText, backfillSecondsLeft } from '../sync/backfill-progress.ts';
import { agoToTheMinute, printJson, table } from './format.ts';
import { withContext } from './run-command.ts';
import { BackfillMeter, progressLine } from './sync-progress.ts';
import { waitForSync } from './wait-for-sync.ts';

export function registerAccountCommands(program: Command): void {
  program
    .command('connect')
    .description('connect a mailbox once (OAuth in your browser); its mail is then synced in the background')
    .argument('<provider>', 'gmail or outlook')
    .option(
      '--user <email>',
      'the touchbase user to add this mailbox to (default: the only user, or a new one)',
    )
    .option('--no-browser', 'only print the URL to open')
    .option('--timeout <seconds>', 'how long to wait for the consent page', '300')
    .action(async (provider: string, opts: { user?: string; browser: boolean; timeout: string }) => {
      await withContext(async (ctx) => {
        if (provider !== 'gmail' && provider !== 'outlook') {
          throw new AppError('USAGE', `unknown provider "${provider}": use gmail or outlook`);
        }
        const { account, created } = await connectAccount(ctx, provider, {
          userEmail: opts.user,
          timeoutMs: Number(opts.timeout) * 1000,
          onAuthorizeUrl: async (url) => {
            process.stdout.write(`Open this URL to connect: ${url}\n`);
            if (opts.browser) {
              const { default: open } = await import('open');
              await open(url).catch(() => undefined);
            }
          },
        });
        process.stdout.write(
          `${created ? 'Connected' : 'Reconnected'} ${account.email}. Its mail syncs in the background (touchbase worker); touchbase sync --wait syncs now.\n`,
        );
      });
    });

  program
    .command('accounts')
    .description('the connected mailboxes and how their sync is doing')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const accounts = await ctx.prisma.mailAccount.findMany({
          include: { user: true },
          orderBy: { createdAt: 'asc' },
        });
        const counts = await ctx.prisma.interaction.groupBy({ by: ['accountId'], _count: { _all: true } });
        const stored = new Map(counts.map((c) => [c.accountId, c._count._all]));
        const pending = await ctx.prisma.pendingDigestReply.groupBy({
          by: ['accountId'],
          _count: { _all: true },
          _min: { retryAt: true },
        });
        const waiting = new Map(
          pending.map((p) => [p.accountId, { count: p._count._all, retryAt: p._min.retryAt }]),
        );
        const now = ctx.clock.now();
        const rows = accounts.map((a) => ({
          email: a.email,
          provider: a.provider,
          user: a.user.email,
          status: a.status,
          statusReason: a.statusReason,
          backfill: a.backfillDoneAt
            ? 'done'
            : a.syncCursor
              ? a.backfillTotal
                ? backfillProgressText(a, now)
                : `${a.backfillListed} listed`
              : 'not started',
          // About how long the backfill has left, in seconds, where it can be told.
          backfillSecondsLeft: a.backfillDoneAt ? null : backfillSecondsLeft(a, now),
          messages: stored.get(a.id) ?? 0,
          lastSyncedAt: a.lastSyncedAt?.toISOString() ?? null,
          lastSyncError: a.lastSyncError,
          // Replies to a digest found in this mailbox and not applied yet.
          pendingReplies: waiting.get(a.id)?.count ?? 0,
          repliesRetryAt: waiting.get(a.id)?.retryAt?.toISOString() ?? null,
        }));
        if (opts.json) return printJson(rows);
        if (rows.length === 0) {
          process.stdout.write('No accounts yet: touchbase connect gmail\n');
          return;
        }
        const lines = [['ACCOUNT', 'PROVIDER', 'STATUS', 'BACKFILL', 'MESSAGES', 'LAST SYNC']];
        accounts.forEach((a, i) => {
          const row = rows[i];
          if (!row) return;
          lines.push([
            a.email,
            a.provider,
            shownStatus(a),
            row.backfill,
            String(row.messages),
            agoToTheMinute(a.lastSyncedAt, now),
          ]);
        });
        process.stdout.write(`${table(lines)}\n`);
        for (const row of rows) {
          const replies =
            row.pendingReplies === 1 ? '1 reply to a digest' : `${row.pendingReplies} replies to a digest`;
          if (row.status === 'NEEDS_RECONNECT') {
            process.stdout.write(
              `\n${row.email} needs reconnecting: ${row.statusReason ?? ''}\n  touchbase connect ${row.provider} --user ${row.user}\n`,
            );
            if (row.pendingReplies > 0)
              process.stdout.write(`  ${replies} from it will be applied once it is connected again\n`);
            continue;
          }
          if (row.status === 'ACTIVE' && row.lastSyncError) {
            process.stdout.write(
              `\n${row.email} did not sync: ${firstLine(row.lastSyncError)}\n  tried again at the next scheduled sync (touchbase worker), or now: touchbase sync --account ${row.email} --wait\n`,
            );
          }
          if (row.repliesRetryAt) {
            process.stdout.write(
              `\n${row.email}: ${replies} not applied yet (the mailbox did not answer); tried again from ${row.repliesRetryAt}\n`,
            );
          }
        }
      });
    });

  program
    .command('sync')
    .description('sync now instead of waiting for the schedule')
    .option('--account <email>', 'only this account (default: every active account)')
    .option('--wait', 'wait until the sync finished (needs a running worker); non-zero exit if it failed')
    .option('--timeout <seconds>', 'with --wait, give up when one part of the sync takes this long', '900')
    .action(async (opts: { account?: string; wait?: boolean; timeout: string }) => {
      await withContext(async (ctx) => {
        const accounts = opts.account
          ? [await findAccount(ctx.prisma, opts.account)]
          : await ctx.prisma.mailAccount.findMany({ where: { status: 'ACTIVE' } });
        if (accounts.length === 0)
          throw new AppError('NO_ACCOUNTS', 'no active account to sync: touchbase connect gmail');
        const queues = ctx.queues();
        const jobs = [];
        for (const account of accounts) {
          if (account.status !== 'ACTIVE') {
            throw new AppError(
              'ACCOUNT_INACTIVE',
              `${account.email} is ${account.status}: reconnect it first`,
            );
          }
          jobs.push({ account, job: await enqueueSync(queues, account.id, 'manual') });
          process.stdout.write(`Sync queued for ${account.email}\n`);
        }
        if (!opts.wait) return;
        const events = queues.events('sync');
        await events.waitUntilReady();
        // Progress comes from every job of an account's backfill chain: keyed by account.
        const meters = new Map(
          jobs.map(({ account }) => [account.id, { email: account.email, meter: new BackfillMeter() }]),
        );
        events.on('progress', ({ data }) => {
          if (typeof data !== 'object' || data === null) return;
          const { accountId, listed, total } = data as {
            accountId?: unknown;
            listed?: unknown;
            total?: unknown;
          };
          const followed = typeof accountId === 'string' ? meters.get(accountId) : undefined;
          if (!followed || typeof listed !== 'number') return;
          const reading = followed.meter.update(listed, typeof total === 'number' ? total : null, Date.now());
          process.stdout.write(progressLine(followed.email, reading, process.stdout.isTTY === true));
        });
        for (const { account, job } of jobs) {
          try {
            const result = await waitForSync(queues, job, Number(opts.timeout) * 1000, () =>
              enqueueSync(queues, account.id, 'manual'),
            );
            if (process.stdout.isTTY) process.stdout.write('\n');
            process.stdout.write(
              result.skipped
                ? `${account.email}: skipped (${result.skipped})\n`
                : `${account.email}: synced, ${result.stored} new messages\n`,
            );
          } catch (error) {
            throw new AppError('SYNC_FAILED', `sync of ${account.email} failed: ${(error as Error).message}`);
          }
        }
      });
    });
}

/**
 * The STATUS column: an active account whose last sync failed reads ERROR (its reason is in a
 * note below the table), so a mailbox that stopped syncing never looks fine. A successful sync
 * clears the error. --json keeps the stored status and lastSyncError apart.
 */
function shownStatus(account: Pick<MailAccount, 'status' | 'lastSyncError'>): string {
  return account.status === 'ACTIVE' && account.lastSyncError ? 'ERROR' : account.status;
}

/**
 * A stored error on one line, at most 200 characters: an error from outside the providers (a
 * database client's, say) can run to many lines quoting its query, which a note should not
 * repeat. --json has it whole.
 */
function firstLine(text: string): string {
  const line =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
