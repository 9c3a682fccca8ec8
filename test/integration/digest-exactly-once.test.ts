import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailboxFinder } from '../../src/accounts/account-provider.ts';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import { findDueDigests } from '../../src/digest/sweep-due-digests.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { startWorkers } from '../../workers/index.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
// Monday 23 November 2026, 10:00 UTC: the Monday 08:00 (UTC) digest is two hours overdue.
const monday = new Date('2026-11-23T10:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now: monday });

describe('one digest per user per week: never twice, never skipped', () => {
  let env: TestEnv;
  let sink: SmtpSink;
  let userId: string;
  const at = (when: Date): AppContext => env.context({ clock: fixedClock(when) });
  const deps = (when: Date) => {
    const ctx = at(when);
    return { ...ctx, findDelivered: mailboxFinder(ctx) };
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      settings: { SMTP_URL: sink.url },
    });
    const ctx = at(monday);
    const connected = await connectFake(ctx);
    userId = connected.user.id;
    await ctx.prisma.user.update({
      where: { id: userId },
      // Joined a week earlier, Mondays at 08:00 UTC.
      data: { timeZone: 'UTC', digestDay: 1, digestHour: 8, createdAt: new Date(monday.getTime() - 7 * DAY) },
    });
    await syncOnce(ctx, connected.account.id);
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('is sent by the sweeper when the workers were down at the hour, and only once', async () => {
    const ctx = at(monday);
    expect(await findDueDigests(ctx.prisma, monday)).toEqual([{ userId, period: '2026-W48' }]);
    const workers = await startWorkers(ctx);
    try {
      await ctx.queues().digest.add('sweep', { sweep: true });
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && sink.messages.length === 0)
        await new Promise((r) => setTimeout(r, 200));
      await ctx.queues().digest.add('sweep', { sweep: true });
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await workers.close(5_000);
    }
    expect(sink.messages).toHaveLength(1);
    expect(await findDueDigests(ctx.prisma, monday)).toEqual([]);
    const row = await ctx.prisma.digest.findFirstOrThrow({ where: { userId } });
    expect(row.status).toBe('SENT');
  });

  it('two workers racing for the same period send one digest', async () => {
    const tuesdayNextWeek = new Date(monday.getTime() + 8 * DAY);
    const outcomes = await Promise.all([
      sendWeeklyDigest(deps(tuesdayNextWeek), userId),
      sendWeeklyDigest(deps(tuesdayNextWeek), userId),
      sendWeeklyDigest(deps(tuesdayNextWeek), userId),
    ]);
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(1);
    expect(sink.messages).toHaveLength(2);
  });

  it('after a crash between the mail server accepting it and the record, finds it delivered and does not resend', async () => {
    const week = new Date(monday.getTime() + 14 * DAY);
    expect((await sendWeeklyDigest(deps(week), userId)).status).toBe('sent');
    expect(sink.messages).toHaveLength(3);
    const row = await env.db.prisma.digest.findFirstOrThrow({ where: { userId, period: '2026-W50' } });
    // The digest reached the user's inbox (touchbase reads that mailbox) ...
    env.fake.addMessage({
      id: 'digest-copy',
      threadId: 'digest-copy',
      labelIds: ['INBOX'],
      internalDate: week.getTime(),
      headers: [
        { name: 'From', value: 'touchbase <touchbase@localhost>' },
        { name: 'To', value: SAMPLE_OWNER.email },
        { name: 'Subject', value: 'Your week' },
        { name: 'Message-ID', value: row.messageId },
      ],
    });
    // ... but the worker died before recording it: the claim is left PENDING.
    await env.db.prisma.digest.update({
      where: { id: row.id },
      data: { status: 'PENDING', sentAt: null, updatedAt: week },
    });
    const later = new Date(week.getTime() + 11 * MINUTE);
    const outcome = await sendWeeklyDigest(deps(later), userId);
    expect(outcome.status).toBe('already-sent');
    expect(sink.messages).toHaveLength(3);
    expect((await env.db.prisma.digest.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('SENT');
  });

  it('re-sends after such a crash when the digest never arrived', async () => {
    const week = new Date(monday.getTime() + 21 * DAY);
    expect((await sendWeeklyDigest(deps(week), userId)).status).toBe('sent');
    const row = await env.db.prisma.digest.findFirstOrThrow({ where: { userId, period: '2026-W51' } });
    await env.db.prisma.digest.update({
      where: { id: row.id },
      data: { status: 'PENDING', sentAt: null, updatedAt: week },
    });
    // Within the lease, another worker may still be sending: hands off.
    expect((await sendWeeklyDigest(deps(new Date(week.getTime() + MINUTE)), userId)).status).toBe(
      'in-progress',
    );
    const outcome = await sendWeeklyDigest(deps(new Date(week.getTime() + 11 * MINUTE)), userId);
    expect(outcome.status).toBe('sent');
    expect(sink.messages).toHaveLength(5);
  });
});
