import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { type CliRun, runCli, startCli } from '../support/run-cli.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const OWNER = 'kim@example.com';
const HOUR = 3_600_000;
const RECENT = 1_600;
const OLD = 4_000;

/**
 * Ten years of mail, most of it older than BACKFILL_DAYS (730 by default): the backfill reads only
 * the recent part, so its progress is measured against that, not against the whole mailbox.
 */
function longMailbox(): FakeGmailMessage[] {
  const now = Date.now();
  return [...singletons('a', RECENT, now - HOUR), ...singletons('b', OLD, now - 800 * DAY_MS)];
}

/** `count` messages an hour apart, newest at `newest`, each in a thread of its own. */
function singletons(prefix: string, count: number, newest: number): FakeGmailMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}${i.toString(16).padStart(15, '0')}`;
    const friend = `friend-${prefix}${i}@example.org`;
    return {
      id,
      threadId: id,
      labelIds: ['INBOX'],
      internalDate: newest - i * HOUR,
      headers: [
        { name: 'From', value: `Friend <${friend}>` },
        { name: 'To', value: OWNER },
        { name: 'Subject', value: `Hello ${i}` },
        { name: 'Message-ID', value: `<${id}@example.org>` },
      ],
    };
  });
}

// The quota is not what these tests are about.
const FAST = { GMAIL_QUOTA_UNITS_PER_MINUTE: '10000000' };

describe('backfill progress of a mailbox mostly older than BACKFILL_DAYS', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let accountId: string;
  let settings: Record<string, string>;
  let worker: CliRun | undefined;

  beforeAll(async () => {
    env = await startTestEnv({ owner: OWNER, messages: longMailbox(), settings: FAST });
    // One list page per chunk job: `sync --wait` sees each chunk's progress.
    settings = { ...env.env, BACKFILL_CHUNK_PAGES: '1' };
    ctx = env.context();
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    if (worker?.child.exitCode === null) worker.child.kill('SIGKILL');
    await env?.close();
  });

  it('is measured against the recent mail the backfill reads, and a finished backfill reaches 100%', async () => {
    // The first list page (500): Google's estimate for the backfill's query replaces the mailbox's size.
    const first = await syncOnce(ctx, accountId, { chunk: { maxPages: 1, maxMs: 60_000 } });
    expect(first.continues).toBe(true);
    const midway = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(midway).toMatchObject({ backfillListed: 500, backfillTotal: RECENT });
    const [shown] = JSON.parse((await runCli(['accounts', '--json'], settings)).stdout) as unknown[];
    // 500 of 1,600, not 500 of the mailbox's 5,600 (8%).
    expect(shown).toMatchObject({ backfill: '31%' });

    worker = startCli(['worker'], settings);
    const sync = await runCli(['sync', '--wait', '--timeout', '60'], settings);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    // Plain progress lines of the remaining chunks, each against the backfill's estimate, the
    // last one all of it.
    const lines = sync.stdout.split('\n').filter((line) => line.includes(': backfill '));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^kim@example\.com: backfill \d+\/~1600 messages/);
    expect(lines.at(-1)).toMatch(/^kim@example\.com: backfill 1600\/~1600 messages/);

    const done = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(done.backfillDoneAt).not.toBeNull();
    expect(done).toMatchObject({ backfillListed: RECENT, backfillTotal: RECENT });
    expect(await ctx.prisma.interaction.count({ where: { accountId } })).toBe(RECENT);

    worker.child.kill('SIGTERM');
    expect((await worker.exit).code).toBe(0);
  }, 180_000);
});

describe('backfill progress under gmail.metadata (no `q`: Google can only estimate the whole mailbox)', () => {
  let env: TestEnv;
  let ctx: AppContext;

  beforeAll(async () => {
    env = await startTestEnv({
      owner: OWNER,
      messages: longMailbox(),
      settings: { ...FAST, GMAIL_SCOPE: 'metadata' },
    });
    ctx = env.context();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('ends at 100%: the total becomes what was listed, the older messages of the last page included', async () => {
    const { account } = await connectFake(ctx);
    await syncOnce(ctx, account.id);
    const done = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: account.id } });
    expect(done.backfillDoneAt).not.toBeNull();
    // Four pages: the last one reaches past BACKFILL_DAYS and ends the listing.
    expect(done).toMatchObject({ backfillListed: 2_000, backfillTotal: 2_000 });
    expect(await ctx.prisma.interaction.count({ where: { accountId: account.id } })).toBe(RECENT);
  });
});
