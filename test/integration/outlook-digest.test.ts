import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listContacts } from '../../src/contacts/list-contacts.ts';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { enqueueSync } from '../../src/queues/queues.ts';
import { startWorkers } from '../../workers/index.ts';
import { gmailToGraph } from '../fixtures/gmail-to-graph.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { syncOnce } from '../support/test-env.ts';

const now = new Date('2026-11-23T09:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('Outlook: the same contacts and digest replies as Gmail', () => {
  let env: OutlookTestEnv;
  let sink: SmtpSink;
  let ctx: AppContext;
  let userId: string;
  let accountId: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await startOutlookEnv({
      graph: {
        email: SAMPLE_OWNER.email,
        displayName: SAMPLE_OWNER.name,
        messages: gmailToGraph(sample.messages),
      },
      settings: { SMTP_URL: sink.url },
    });
    ctx = env.context({ clock: fixedClock(now) });
    const connected = await connectOutlook(ctx);
    userId = connected.user.id;
    accountId = connected.account.id;
    await syncOnce(ctx, accountId);
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('finds the people the sample mailbox says it should, and its aliases from Sent Items', async () => {
    const contacts = await listContacts(ctx.prisma, userId, now, { includeMuted: true });
    const emails = new Set(contacts.flatMap((c) => c.emails));
    for (const address of sample.expected.contacts) expect(emails).toContain(address);
    for (const address of sample.expected.notContacts) expect(emails).not.toContain(address);
    const status = (address: string) => contacts.find((c) => c.emails.includes(address))?.status;
    for (const address of sample.expected.lapsed) expect(status(address)).toBe('lapsed');
    for (const address of sample.expected.active) expect(status(address)).toBe('active');
    // The fake lists only the primary proxy address: the alias comes from the From of sent mail.
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.aliases.sort()).toEqual([...sample.expected.aliases].sort());
  });

  it('ties a reply in Sent Items to its digest by conversation, applies it once, answers it', async () => {
    expect((await sendWeeklyDigest(ctx, userId)).status).toBe('sent');
    const digest = await ctx.prisma.digest.findFirstOrThrow({ where: { userId } });
    const mail = await PostalMime.parse(sink.messages.at(-1)?.raw ?? Buffer.alloc(0));
    expect(mail.messageId).toBe(digest.messageId);
    const items = digest.items as { n: number; contact: { id: string } }[];
    const third = items.find((i) => i.n === 3)?.contact.id ?? '';

    // The digest arrives in the inbox (its Message-ID kept); the user answers from Outlook. Graph
    // gives the sent reply no In-Reply-To: only the conversation ties them.
    const owner = { emailAddress: { name: SAMPLE_OWNER.name, address: SAMPLE_OWNER.email } };
    env.graph.addMessage({
      folder: 'inbox',
      internetMessageId: digest.messageId,
      conversationId: 'conv-digest',
      subject: mail.subject ?? 'digest',
      from: { emailAddress: { name: 'touchbase', address: 'touchbase@localhost' } },
      toRecipients: [owner],
      sentDateTime: iso(now.getTime() + 60_000),
      receivedDateTime: iso(now.getTime() + 60_000),
      body: mail.text ?? '',
    });
    const replyId = env.graph.addMessage({
      folder: 'sentitems',
      internetMessageId: '<reply-outlook-1@contoso.example>',
      conversationId: 'conv-digest',
      subject: `RE: ${mail.subject ?? ''}`,
      from: owner,
      toRecipients: [owner],
      sentDateTime: iso(now.getTime() + 600_000),
      receivedDateTime: iso(now.getTime() + 600_000),
      body: 'snooze 3 3w\n\nFrom: touchbase\n> mute 1',
      uniqueBody: 'snooze 3 3w',
    });
    expect(replyId).toBeTruthy();
    const before = sink.messages.length;

    const workers = await startWorkers(ctx);
    try {
      await enqueueSync(ctx.queues(), accountId, 'manual');
      const deadline = Date.now() + 40_000;
      while (Date.now() < deadline) {
        const row = await ctx.prisma.digestReply.findFirst({ where: { accountId } });
        if (row?.confirmationMessageId) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // A second sync sees the same mail again: nothing is applied twice.
      await enqueueSync(ctx.queues(), accountId, 'manual');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      await workers.close(5_000);
    }
    const replies = await ctx.prisma.digestReply.findMany({ where: { accountId } });
    expect(replies).toHaveLength(1);
    expect(replies[0]?.providerMessageId).toBe('<reply-outlook-1@contoso.example>');
    expect(replies[0]?.digestId).toBe(digest.id);
    expect(replies[0]?.applied).toHaveLength(1);
    const snoozed = await ctx.prisma.contact.findUniqueOrThrow({ where: { id: third } });
    expect(snoozed.snoozedUntil?.getTime()).toBeGreaterThan(now.getTime() + 20 * 86_400_000);
    const muted = await ctx.prisma.contact.findUniqueOrThrow({
      where: { id: items.find((i) => i.n === 1)?.contact.id ?? '' },
    });
    expect(muted.mutedAt).toBeNull();
    // One confirmation, in the reply's thread.
    expect(sink.messages.length - before).toBe(1);
    const confirmation = await PostalMime.parse(sink.messages.at(-1)?.raw ?? Buffer.alloc(0));
    expect(confirmation.inReplyTo).toBe('<reply-outlook-1@contoso.example>');
  });
});
