import { afterAll, describe, expect, it } from 'vitest';
import { type Clock, fixedClock } from '../../src/lib/clock.ts';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { syntheticMailbox } from '../bench/synthetic-mailbox.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const NOW = new Date('2026-11-20T10:00:00Z');
// Seven list pages of 500: enough for the doubling policy to recompute twice between chunks.
const mailbox = syntheticMailbox({ messages: 3_300, seed: 11, now: NOW.getTime() });
const messages = [...mailbox.threads()].flat();

describe('a chunked backfill recomputes contacts beside its chunks (decision 0011)', () => {
  const envs: TestEnv[] = [];
  const contexts: AppContext[] = [];
  afterAll(async () => {
    for (const ctx of contexts) await ctx.close();
    for (const env of envs) await env.close();
  });

  async function connected(clock: Clock = fixedClock(NOW)) {
    const env = await startTestEnv({
      owner: mailbox.me.email,
      messages,
      // The quota is not what this test is about.
      settings: { GMAIL_QUOTA_UNITS_PER_MINUTE: '10000000' },
    });
    envs.push(env);
    const ctx = createContext(env.config, { log: createLogger('silent'), clock });
    contexts.push(ctx);
    const { account } = await connectFake(ctx);
    const run = (chunk?: { maxPages: number; maxMs: number }) =>
      syncOnce(ctx, account.id, chunk ? { chunk } : {});
    return { ctx, accountId: account.id, run };
  }

  /** The backfill one page a chunk, to its end; after each chunk what was listed and recomputed. */
  async function chunks(chunked: Awaited<ReturnType<typeof connected>>, between = () => {}) {
    const runs: { listed: number; refreshed: number; contacts: number }[] = [];
    for (let chunk = 0; chunk < 20; chunk++) {
      const result = await chunked.run({ maxPages: 1, maxMs: 600_000 });
      const account = await chunked.ctx.prisma.mailAccount.findUniqueOrThrow({
        where: { id: chunked.accountId },
      });
      runs.push({
        listed: account.backfillListed,
        refreshed: account.backfillRefreshedListed,
        contacts: await chunked.ctx.prisma.contact.count(),
      });
      if (!result.continues) return runs;
      between();
    }
    return runs;
  }

  async function contactsOf(ctx: AppContext) {
    const rows = await ctx.prisma.contact.findMany({ include: { addresses: true } });
    return rows
      .map((c) => ({
        addresses: c.addresses.map((a) => a.address).sort(),
        name: c.name,
        sent: c.sentCount,
        received: c.receivedCount,
        exchangeDays: c.exchangeDays,
        first: c.firstContactAt?.toISOString(),
        last: c.lastContactAt?.toISOString(),
        cadence: c.inferredCadenceDays,
        lastThreadId: c.lastThreadId,
      }))
      .sort((a, b) => (a.addresses[0] ?? '').localeCompare(b.addresses[0] ?? ''));
  }

  it('ends with the contacts of one unchunked run; the recomputes between chunks cover what was listed when they began', async () => {
    const whole = await connected();
    expect((await whole.run()).continues).toBe(false);

    // Chunks a minute apart, as under the legacy quota: the doublings decide.
    let at = NOW.getTime();
    const chunked = await connected({ now: () => new Date(at) });
    const runs = await chunks(chunked, () => {
      at += 61_000;
    });
    const last = runs.at(-1);
    expect(runs.length).toBeGreaterThanOrEqual(7);

    // The first chunk recomputes before it ends: people show up at once.
    expect(runs[0]).toMatchObject({ listed: 500, refreshed: 500 });
    expect(runs[0]?.contacts).toBeGreaterThan(0);
    // The third chunk began with 1,000 listed, twice the last recompute: it recomputed those
    // beside its own page (the old policy, recomputing at the chunk's end, would record 1,500).
    expect(runs[2]).toMatchObject({ listed: 1_500, refreshed: 1_000 });
    expect(runs[4]).toMatchObject({ listed: 2_500, refreshed: 2_000 });
    // Chunks in between recompute nothing.
    expect(runs[1]?.refreshed).toBe(500);
    expect(runs[3]?.refreshed).toBe(1_000);
    // The end recomputes everything left, and no mark survives.
    expect(last?.refreshed).toBe(last?.listed);
    expect(await chunked.ctx.prisma.dirtyAddress.count()).toBe(0);

    const expected = await contactsOf(whole.ctx);
    expect(expected.length).toBeGreaterThan(50);
    expect(await contactsOf(chunked.ctx)).toEqual(expected);
    expect(await chunked.ctx.prisma.interaction.count()).toBe(await whole.ctx.prisma.interaction.count());
  });

  it('recomputes at most once a minute where the mailbox is read faster: here only after the first chunk and at the end', async () => {
    // No time passes between chunks (the clock is fixed): every doubling comes within the minute.
    const fast = await connected();
    const runs = await chunks(fast);
    expect(runs.length).toBeGreaterThanOrEqual(7);
    for (const run of runs.slice(0, -1)) expect(run.refreshed).toBe(500);
    // People found on the first page are there throughout.
    for (const run of runs) expect(run.contacts).toBeGreaterThanOrEqual(runs[0]?.contacts ?? 1);
    expect(runs.at(-1)?.refreshed).toBe(runs.at(-1)?.listed);
    expect(await fast.ctx.prisma.dirtyAddress.count()).toBe(0);

    const whole = await connected();
    expect((await whole.run()).continues).toBe(false);
    expect(await contactsOf(fast.ctx)).toEqual(await contactsOf(whole.ctx));
  });

  it('recomputes at least every 30 minutes where the mailbox is read slowly, with the same contacts at the end', async () => {
    // Chunks 31 minutes apart, as under Google's 2026 quota: the doublings alone would recompute
    // at 1,000 and 2,000 listed only.
    let at = NOW.getTime();
    const slow = await connected({ now: () => new Date(at) });
    const runs = await chunks(slow, () => {
      at += 31 * 60_000;
    });
    expect(runs.length).toBeGreaterThanOrEqual(7);
    // Every chunk recomputed what was listed when it began: the page before it.
    for (let i = 1; i < runs.length - 1; i++) {
      expect(runs[i]?.refreshed, `chunk ${i + 1}`).toBe(runs[i - 1]?.listed);
    }
    expect(runs.at(-1)?.refreshed).toBe(runs.at(-1)?.listed);
    const account = await slow.ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: slow.accountId } });
    expect(account.backfillRefreshedAt?.getTime()).toBe(at);

    const whole = await connected();
    expect((await whole.run()).continues).toBe(false);
    expect(await contactsOf(slow.ctx)).toEqual(await contactsOf(whole.ctx));
  });
});
