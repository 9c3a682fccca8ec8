/**
 * The ingest run of the Gmail bench (quota off, no provider), in a process of its own so that its
 * peak RSS is the ingest's alone. Prints one JSON line. Settings come from the environment.
 * (The sync runs use test/support/sync-process.ts.)
 *
 *   tsx test/bench/gmail-child.ts <recording> <owner address> [store-only]
 *
 * The recording (gmail-recording.ts) is the mailbox as Gmail answers it, written beforehand.
 */
import { parseConfig } from '../../src/config/config.ts';
import { createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { ingestMailbox } from './gmail-ingest.ts';
import { recordedPages } from './gmail-recording.ts';

const [recording = '', owner = ''] = process.argv.slice(2, 4);
const storeOnly = process.argv[4] === 'store-only';
const config = parseConfig(process.env);
const ctx = createContext(config, { log: createLogger('warn') });
const cpuStart = process.cpuUsage();
try {
  const user = await ctx.prisma.user.create({ data: { email: owner } });
  const account = await ctx.prisma.mailAccount.create({
    data: { userId: user.id, provider: 'gmail', email: owner, scopes: [] },
  });
  let peakHeap = 0;
  const started = performance.now();
  const result = await ingestMailbox(
    ctx.prisma,
    { userId: user.id, accountId: account.id },
    new Set([owner]),
    recordedPages(recording),
    {
      chunkPages: config.BACKFILL_CHUNK_PAGES,
      groupSizeLimit: config.GROUP_SIZE_LIMIT,
      recompute: !storeOnly,
      onPage: () => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      },
    },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  console.log(
    JSON.stringify({
      ...result,
      // From the first page read to the last recompute's end: reading and normalising included.
      wallMs,
      contacts: await ctx.prisma.contact.count(),
      interactions: await ctx.prisma.interaction.count(),
      peakHeapMb: peakHeap / 2 ** 20,
      cpuMs: (cpu.user + cpu.system) / 1000,
      // maxRSS is in kilobytes: the process's high-water mark, not a sample.
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
} finally {
  await ctx.close();
}
