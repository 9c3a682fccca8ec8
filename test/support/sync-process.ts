/**
 * Runs one sync of one account in a process of its own, as a sync worker would, and prints one
 * JSON line: the SyncResult plus this process's wall time, CPU time and peak RSS. Settings come
 * from the environment (DATABASE_URL, REDIS_URL, GMAIL_API_URL, ...), as for `touchbase worker`.
 * Used where separate processes matter: two workers sharing one mailbox's quota, and the Gmail
 * bench (whose CPU and memory figures must be touchbase's alone, not the fake's).
 *
 *   tsx test/support/sync-process.ts <accountId>
 */
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { parseConfig } from '../../src/config/config.ts';
import { createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { syncAccount } from '../../src/sync/sync-account.ts';

const accountId = process.argv[2];
if (!accountId) throw new Error('usage: tsx test/support/sync-process.ts <accountId>');
const config = parseConfig(process.env);
const ctx = createContext(config, { log: createLogger(config.LOG_LEVEL) });
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
try {
  const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
  const result = await syncAccount(
    {
      prisma: ctx.prisma,
      provider: providerForAccount(ctx, account),
      log: ctx.log,
      clock: ctx.clock,
      backfillDays: config.BACKFILL_DAYS,
      groupSizeLimit: config.GROUP_SIZE_LIMIT,
    },
    accountId,
  );
  const cpu = process.cpuUsage(cpuStart);
  console.log(
    JSON.stringify({
      ...result,
      wallMs: performance.now() - wallStart,
      cpuMs: (cpu.user + cpu.system) / 1000,
      // maxRSS is in kilobytes: the process's high-water mark, not a sample.
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
} finally {
  await ctx.close();
}
