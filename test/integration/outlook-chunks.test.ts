import { afterAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock.ts';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { generateMailbox } from '../fakes/graph/mailbox-generator.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { syncOnce } from '../support/test-env.ts';

const NOW = new Date('2026-11-20T10:00:00Z');
const OWNER = { name: 'Ada Lovelace', email: 'ada@contoso.example' };
const mailbox = generateMailbox({ owner: OWNER, count: 2_500, seed: 3, spanDays: 300, now: NOW });

/**
 * The Outlook provider reads folders ahead of the store (four at once, pages buffered). A backfill
 * chunk that ended with pages read ahead used to drop them, and the next chunk read them again: at
 * the default chunk size that cost about a fifth more requests. The chunk's last page now takes
 * everything read ahead, and asks for the biggest unread folder's next page at once, parked for
 * the next chunk (ctx.readAhead): taken by a chunk in the same process, asked again by one in
 * another (at most one page per chunk).
 */
describe('an Outlook backfill in chunks reads every delta page once', () => {
  const envs: OutlookTestEnv[] = [];
  const contexts: AppContext[] = [];
  afterAll(async () => {
    for (const ctx of contexts) await ctx.close();
    for (const env of envs) await env.close();
  });

  /** `processes: 'each'`: every chunk job in a process of its own (a context of its own). */
  async function backfill(maxPages: number | null, processes: 'one' | 'each' = 'one') {
    const env = await startOutlookEnv({
      // Pages of 100, so a small mailbox spans many of them.
      graph: { email: OWNER.email, folders: mailbox.folders, messages: mailbox.messages, maxPageSize: 100 },
      settings: { BACKFILL_DAYS: '400' },
    });
    envs.push(env);
    const ctx = createContext(env.config, { log: createLogger('silent'), clock: fixedClock(NOW) });
    contexts.push(ctx);
    const { account } = await connectOutlook(ctx);
    const before = env.graph.stats.byRoute['messages.delta'] ?? 0;
    let runs = 0;
    let parked = 0;
    for (;;) {
      runs++;
      const job =
        processes === 'one'
          ? ctx
          : createContext(env.config, { log: createLogger('silent'), clock: fixedClock(NOW) });
      if (job !== ctx) contexts.push(job);
      const result = await syncOnce(job, account.id, maxPages ? { chunk: { maxPages, maxMs: 600_000 } } : {});
      parked += job.readAhead.size;
      if (!result.continues) break;
      // The next chunk's first page of the biggest unread folder is already asked for.
      expect(job.readAhead.size).toBe(1);
    }
    const rows = await ctx.prisma.interaction.findMany({ select: { providerMessageId: true } });
    return {
      runs,
      parked,
      deltaPages: (env.graph.stats.byRoute['messages.delta'] ?? 0) - before,
      stored: rows.map((r) => r.providerMessageId).sort(),
    };
  }

  it('asks for no page twice however the backfill is cut, and stores the same messages', async () => {
    const whole = await backfill(null);
    expect(whole.runs).toBe(1);
    expect(whole.deltaPages).toBeGreaterThan(20);
    expect(whole.stored.length).toBeGreaterThan(1_500);

    // How many delta pages one backfill page holds depends on how fast the store keeps up (the
    // pump hands over all it has read), so the number of chunks varies from run to run: the
    // backfill is cut at least once, and every bound below is per chunk.
    for (const maxPages of [1, 3]) {
      const chunked = await backfill(maxPages);
      expect(chunked.runs, `chunks of ${maxPages}`).toBeGreaterThan(1);
      // The incremental catch-up at the end asks each folder's deltaLink once, in both.
      expect(chunked.deltaPages, `chunks of ${maxPages}`).toBe(whole.deltaPages);
      expect(chunked.stored).toEqual(whole.stored);
      // Every chunk but the last parked a page, and the next chunk took it.
      expect(chunked.parked, `chunks of ${maxPages}`).toBe(chunked.runs - 1);
    }
  });

  it('asks at most one page again per chunk when each chunk runs in another process', async () => {
    const whole = await backfill(null);
    const apart = await backfill(1, 'each');
    expect(apart.runs).toBeGreaterThan(1);
    expect(apart.stored).toEqual(whole.stored);
    // Each process's parked page is never taken (the next chunk runs elsewhere) and is asked again.
    expect(apart.deltaPages).toBeGreaterThan(whole.deltaPages);
    expect(apart.deltaPages).toBeLessThanOrEqual(whole.deltaPages + (apart.runs - 1));
  });
});
