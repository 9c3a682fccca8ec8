import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import { findDueDigests } from '../../src/digest/sweep-due-digests.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const monday = new Date('2026-11-23T09:00:00Z');
const DAY = 86_400_000;

describe('an empty week', () => {
  let env: TestEnv;
  let sink: SmtpSink;
  let ctx: AppContext;
  let userId: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await startTestEnv({ owner: 'quiet@example.com', messages: [], settings: { SMTP_URL: sink.url } });
    ctx = env.context({ clock: fixedClock(monday) });
    const connected = await connectFake(ctx);
    userId = connected.user.id;
    await ctx.prisma.user.update({
      where: { id: userId },
      data: { timeZone: 'UTC', createdAt: new Date(monday.getTime() - 30 * DAY) },
    });
    await syncOnce(ctx, connected.account.id);
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('sends nothing by default, and the sweeper does not try again all week', async () => {
    expect((await sendWeeklyDigest(ctx, userId)).status).toBe('empty');
    expect(sink.messages).toHaveLength(0);
    expect(await findDueDigests(ctx.prisma, new Date(monday.getTime() + DAY))).toEqual([]);
  });

  it('sends a one-line "all caught up" to a user who asked for it', async () => {
    await ctx.prisma.user.update({ where: { id: userId }, data: { emptyDigest: 'caught-up' } });
    const nextWeek = env.context({ clock: fixedClock(new Date(monday.getTime() + 7 * DAY)) });
    expect((await sendWeeklyDigest(nextWeek, userId)).status).toBe('sent');
    const parsed = await PostalMime.parse(sink.messages[0]?.raw ?? Buffer.alloc(0));
    expect(parsed.subject).toMatch(/caught up/i);
  });
});
