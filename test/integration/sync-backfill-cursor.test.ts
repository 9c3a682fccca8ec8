import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/lib/context.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { singletonMailbox } from '../fixtures/threaded-mailbox.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const OWNER = 'sam@example.com';
// 600 singletons, newest first an hour apart: two list pages of 500 and 100.
const mailbox = singletonMailbox(OWNER, 600);
const HOUR = 3_600_000;
/** One list page per run, as a chunk job with BACKFILL_CHUNK_PAGES=1 does. */
const CHUNK = { maxPages: 1, maxMs: 600_000 };

describe('mail arriving while a chunked Gmail backfill runs', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let accountId: string;

  const storedIds = async () =>
    (await ctx.prisma.interaction.findMany({ where: { accountId }, select: { providerMessageId: true } }))
      .map((r) => r.providerMessageId)
      .sort();

  beforeAll(async () => {
    env = await startTestEnv({ owner: OWNER, messages: mailbox });
    ctx = env.context();
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('is stored exactly once, caught by history.list from the historyId taken before listing', async () => {
    const first = await syncOnce(ctx, accountId, { chunk: CHUNK });
    expect([first.backfillPages, first.continues]).toEqual([1, true]);

    // Between chunk jobs: `fresh` is newer than anything page 1 listed, so the pages still to
    // come (older than page 1's last) cannot list it; only the change feed can bring it in.
    // `late` is dated inside page 2: the backfill lists it and history reports it as well.
    const newest = Math.max(...mailbox.map((m) => m.internalDate));
    const fresh = arrival('f0000000000000b1', newest + 60_000);
    const late = arrival('f0000000000000b2', newest - 550 * HOUR);
    env.fake.addMessage(fresh);
    env.fake.addMessage(late);

    let last = first;
    let stored = first.stored;
    for (let runs = 1; last.continues; runs++) {
      expect(runs).toBeLessThan(10);
      last = await syncOnce(ctx, accountId, { chunk: CHUNK });
      stored += last.stored;
    }
    // The run that finished the backfill went on to the change feed (history.list).
    expect(last.changePages).toBeGreaterThan(0);
    expect(env.fake.stats.byEndpoint['users.history.list']).toBeGreaterThan(0);
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillDoneAt).not.toBeNull();

    // Every message once: `late`, listed by page 2 and reported by history, is inserted once.
    const expected = [...mailbox.map((m) => m.id), fresh.id, late.id].sort();
    expect(await storedIds()).toEqual(expected);
    expect(stored).toBe(expected.length);

    // The next change sync finds nothing new and stores nothing again.
    const again = await syncOnce(ctx, accountId);
    expect([again.backfillPages, again.stored]).toEqual([0, 0]);
    expect(await storedIds()).toEqual(expected);
  });
});

function arrival(id: string, internalDate: number): FakeGmailMessage {
  return {
    id,
    threadId: id,
    labelIds: ['INBOX'],
    internalDate,
    headers: [
      { name: 'From', value: 'Newcomer <newcomer@example.org>' },
      { name: 'To', value: OWNER },
      { name: 'Subject', value: `Arrived during the backfill (${id})` },
      { name: 'Message-ID', value: `<${id}@example.org>` },
    ],
  };
}
