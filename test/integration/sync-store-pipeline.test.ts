import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { withConnection } from '../../src/lib/prisma.ts';
import {
  buildSampleMailbox,
  listedMessages,
  SAMPLE_OWNER,
  storedMessages,
} from '../fixtures/sample-mailbox.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

// Decision 0018: a backfill sends a page's statements while the page before is still being
// stored. A page whose store fails must stop the run with no later page's progress saved, or
// the resumed backfill would start after it and the page would be lost.
const now = new Date('2026-11-20T10:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });
const stored = storedMessages(sample.messages);
const listed = listedMessages(sample.messages);
const PAGE = 5;
// The message whose row Postgres refuses: a third of the way down the mailbox, newest first.
const refused = [...stored].sort((a, b) => b.internalDate - a.internalDate)[Math.floor(stored.length / 3)];

describe('a backfill whose page fails to store while the next one is on its way', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let accountId: string;

  beforeAll(async () => {
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      fake: { maxPageSize: PAGE },
    });
    ctx = env.context({ clock: fixedClock(now) });
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('stops there, and keeps the progress of the pages before it only', async () => {
    // Postgres itself refuses the row: the statement fails as a full disk or a lost connection
    // would fail it, whichever page the message is stored with.
    await withConnection(ctx.prisma, async (connection) => {
      await connection.query(`
        CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
      await connection.query(`
        CREATE TRIGGER refuse_row BEFORE INSERT ON interactions FOR EACH ROW
        WHEN (NEW."providerMessageId" = '${refused?.id}') EXECUTE FUNCTION refuse_row()`);
    });
    await expect(syncOnce(ctx, accountId)).rejects.toThrow(/refused by the test/);

    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillDoneAt).toBeNull();
    // Pages before the refused one were kept, and the progress stops short of the refused message.
    expect(account.backfillListed).toBeGreaterThan(0);
    expect(account.backfillListed % PAGE).toBe(0);
    expect(account.backfillListed).toBeLessThan(listed.length);
    expect(await ctx.prisma.interaction.count({ where: { providerMessageId: refused?.id } })).toBe(0);
  });

  it('resumes at the refused page: every message stored once, no page before it read again', async () => {
    await withConnection(ctx.prisma, (connection) =>
      connection.query('DROP TRIGGER refuse_row ON interactions'),
    );
    const before = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    const result = await syncOnce(ctx, accountId);

    expect(result.continues).toBe(false);
    expect(result.backfillPages).toBe(Math.ceil(listed.length / PAGE) - before.backfillListed / PAGE);
    expect(await ctx.prisma.interaction.count({ where: { providerMessageId: refused?.id } })).toBe(1);
    expect(await ctx.prisma.interaction.count()).toBe(stored.length);
    const ids = await ctx.prisma.interaction.findMany({ select: { providerMessageId: true } });
    expect(new Set(ids.map((row) => row.providerMessageId))).toEqual(new Set(stored.map((m) => m.id)));
  });
});
