import { afterAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock.ts';
import { createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { buildThreadedMailbox } from '../fixtures/threaded-mailbox.ts';
import { startRequestLog } from '../support/request-log.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const OWNER = 'robin@example.com';
const now = new Date('2026-11-20T10:00:00Z');
// 1,200 messages: three list pages of 500; each conversation spans all three.
const THREADS = 40;
const PER_THREAD = 30;

describe('the cheapest request plan, through the real googleapis client', () => {
  const envs: TestEnv[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
    for (const env of envs) await env.close();
  });

  /** Syncs a mailbox of this shape from scratch; returns what was asked for and what was stored. */
  function syncShape(shape: 'threads' | 'singletons') {
    return syncMailbox(
      buildThreadedMailbox({ owner: OWNER, now, threads: THREADS, perThread: PER_THREAD, shape }),
    );
  }

  async function syncMailbox(messages: FakeGmailMessage[]) {
    const env = await startTestEnv({ owner: OWNER, messages });
    envs.push(env);
    const log = await startRequestLog(env.fake.apiUrl);
    const ctx = createContext(
      { ...env.config, GMAIL_API_URL: log.url },
      { log: createLogger('silent'), clock: fixedClock(now) },
    );
    closers.push(
      () => ctx.close(),
      () => log.close(),
    );
    const { account } = await connectFake(ctx);
    const result = await syncOnce(ctx, account.id);
    const rows = await ctx.prisma.interaction.findMany({
      orderBy: { providerMessageId: 'asc' },
      select: {
        providerMessageId: true,
        at: true,
        direction: true,
        fromAddress: true,
        counterparties: true,
        subject: true,
        internetMessageId: true,
        automatedReason: true,
      },
    });
    return { log, result, rows, total: messages.length };
  }

  it('reads long conversations a thread at a time and singletons a message at a time, storing the same', async () => {
    const threaded = await syncShape('threads');
    const single = await syncShape('singletons');

    // Long threads: one threads.get per conversation, although each spans three list pages.
    expect(threaded.log.listPageTokens()).toHaveLength(3);
    const threadReads = threaded.log.reads('threads');
    expect(threadReads).toHaveLength(THREADS);
    expect(new Set(threadReads).size).toBe(THREADS);
    expect(threaded.log.reads('messages')).toEqual([]);

    // Singletons: one messages.get per message, none twice, no thread read.
    const messageReads = single.log.reads('messages');
    expect(single.log.reads('threads')).toEqual([]);
    expect(messageReads).toHaveLength(single.total);
    expect(new Set(messageReads).size).toBe(single.total);

    // Units: 40 x 10 + 3 lists x 5 against 1,200 x 5 + 15 (legacy).
    expect(threaded.rows).toHaveLength(threaded.total);
    expect(threaded.result.stored).toBe(threaded.total);
    expect(single.result.stored).toBe(single.total);
    expect(threaded.rows).toEqual(single.rows);
  });

  it('reads a conversation cut by a page break with one threads.get, planned with the next page listed ahead', async () => {
    // 1,000 messages, two list pages: a conversation of three has its newest message at the foot
    // of page 1 and the other two at the head of page 2; the rest are singletons. Planned from
    // page 1 alone, its message there would cost a messages.get and the thread a threads.get on
    // page 2 (15 units legacy, where 10 read it all).
    const messages = buildThreadedMailbox({
      owner: OWNER,
      now,
      threads: 1000,
      perThread: 1,
      shape: 'singletons',
    });
    const [foot, head1, head2] = [messages[499], messages[500], messages[501]];
    if (!foot || !head1 || !head2) throw new Error('the mailbox has 1,000 messages');
    head1.threadId = foot.threadId;
    head2.threadId = foot.threadId;
    const { log, result, rows } = await syncMailbox(messages);

    expect(log.reads('threads')).toEqual([foot.threadId]);
    const singles = log.reads('messages');
    expect(singles).toHaveLength(997);
    expect(new Set(singles).size).toBe(997);
    expect(singles).not.toContain(foot.id);
    expect(singles).not.toContain(head1.id);
    expect(singles).not.toContain(head2.id);
    // Each page listed once: page 2's listing, taken ahead, served it when its turn came.
    expect(log.listPageTokens()).toHaveLength(2);
    expect(result.stored).toBe(1000);
    expect(rows).toHaveLength(1000);
  });
});
