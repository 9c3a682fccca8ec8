import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/lib/redis.ts';
import { createSyncWorker } from '../../workers/sync.worker.ts';
import { generateMailbox } from '../fakes/graph/mailbox-generator.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { waitFor } from '../support/wait-for.ts';

const NOW = new Date();
const OWNER = { name: 'Ada Lovelace', email: 'ada@contoso.example' };
const mailbox = generateMailbox({ owner: OWNER, count: 1_500, seed: 11, spanDays: 200, now: NOW });

/**
 * A Gmail backfill job reads at most BACKFILL_CHUNK_PAGES list pages (each commits quota); an
 * Outlook one is bounded by BACKFILL_CHUNK_SECONDS alone: Graph's pages are paced by the network,
 * and every chunk's end holds back the chained pages of the folders it was reading.
 */
describe('the sync worker chunks an Outlook backfill by time', () => {
  let env: OutlookTestEnv | undefined;
  let connection: Redis | undefined;
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.close();
    await connection?.quit();
    await env?.close();
  });

  async function backfill(settings: Record<string, string>, latencyMs: number) {
    env = await startOutlookEnv({
      // Pages of 100: the mailbox spans many of them.
      graph: { email: OWNER.email, folders: mailbox.folders, messages: mailbox.messages, maxPageSize: 100 },
      settings: { BACKFILL_DAYS: '400', BACKFILL_CHUNK_PAGES: '1', ...settings },
    });
    const ctx = env.context();
    const { account } = await connectOutlook(ctx);
    env.graph.setLatency({ fixedMs: latencyMs });
    const before = env.graph.stats.byRoute['messages.delta'] ?? 0;
    connection = createRedis(env.config.REDIS_URL, { forWorker: true });
    worker = createSyncWorker(ctx, connection);
    const done = await waitFor(async () => {
      const row = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: account.id } });
      return row.lastSyncedAt ? row : null;
    }, 'the backfill to end');
    const stored = await ctx.prisma.interaction.findMany({ select: { providerMessageId: true } });
    return {
      chunks: done.backfillChunks,
      error: done.lastSyncError,
      deltaPages: (env.graph.stats.byRoute['messages.delta'] ?? 0) - before,
      stored: stored.length,
      distinct: new Set(stored.map((row) => row.providerMessageId)).size,
    };
  }

  it('reads the whole mailbox in one job however small BACKFILL_CHUNK_PAGES is', async () => {
    const result = await backfill({}, 0);
    expect(result.error).toBeNull();
    expect(result.chunks).toBe(1);
    expect(result.stored).toBeGreaterThan(1_000);
    expect(result.distinct).toBe(result.stored);
    // Over 10 pages, so BACKFILL_CHUNK_PAGES (1) would have cut it.
    expect(result.deltaPages).toBeGreaterThan(10);
  });

  it('hands over to the next job when BACKFILL_CHUNK_SECONDS is up, losing and repeating nothing', async () => {
    // 150 ms a page and over 10 pages chained in the biggest folder: well over a second.
    const result = await backfill({ BACKFILL_CHUNK_SECONDS: '1' }, 150);
    expect(result.error).toBeNull();
    expect(result.chunks).toBeGreaterThan(1);
    expect(result.stored).toBeGreaterThan(1_000);
    expect(result.distinct).toBe(result.stored);
  });
});
