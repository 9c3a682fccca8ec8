import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestMessageId, sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const now = new Date('2026-11-23T08:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });

describe('the digest, sent once per week to a real SMTP server', () => {
  let env: TestEnv;
  let sink: SmtpSink;
  let ctx: AppContext;
  let userId: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      settings: { SMTP_URL: sink.url },
    });
    ctx = env.context({ clock: fixedClock(now) });
    const { account, user } = await connectFake(ctx);
    userId = user.id;
    await syncOnce(ctx, account.id);
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('arrives with a text and an HTML part, its Message-ID recorded, replies going to the user', async () => {
    const outcome = await sendWeeklyDigest(ctx, userId);
    expect(outcome.status).toBe('sent');
    expect(sink.messages).toHaveLength(1);
    const message = sink.messages[0];
    expect(message?.envelope.to).toEqual([SAMPLE_OWNER.email]);
    const parsed = await PostalMime.parse(message?.raw ?? Buffer.alloc(0));
    expect(parsed.text).toMatch(/1\. /);
    expect(parsed.html).toMatch(/<table/);
    expect(parsed.messageId).toBe(digestMessageId(userId, '2026-W48', env.config.PUBLIC_URL));
    expect(parsed.replyTo?.[0]?.address).toBe(SAMPLE_OWNER.email);
    const autoSubmitted = parsed.headers.find((h) => h.key === 'auto-submitted');
    expect(autoSubmitted?.value).toBe('auto-generated');

    const row = await ctx.prisma.digest.findUniqueOrThrow({
      where: { userId_period: { userId, period: '2026-W48' } },
    });
    expect(row.status).toBe('SENT');
    expect(row.messageId).toBe(parsed.messageId);
    // The digest the user received holds the replies owed and awaited that the sample has.
    const items = row.items as { kind: string; contact: { emails: string[]; name: string } }[];
    const owed = items.filter((i) => i.kind === 'owe-reply').flatMap((i) => i.contact.emails);
    const awaited = items.filter((i) => i.kind === 'awaiting-reply').flatMap((i) => i.contact.emails);
    expect(owed).toEqual(sample.expected.oweReply);
    expect(awaited).toEqual(sample.expected.awaitingReply);
    for (const item of items) expect(parsed.text).toContain(item.contact.name);
  });

  it('is never sent twice in one period', async () => {
    const again = await sendWeeklyDigest(ctx, userId);
    expect(again.status).toBe('already-sent');
    expect(sink.messages).toHaveLength(1);
    expect(await ctx.prisma.digest.count({ where: { userId } })).toBe(1);
  });
});
