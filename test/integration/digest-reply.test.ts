import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDigestReply } from '../../src/commands/apply-digest-reply.ts';
import { createCommandSigner } from '../../src/commands/command-token.ts';
import { findDigestReplies } from '../../src/commands/find-digest-replies.ts';
import { selectDigestContent, selectOptions } from '../../src/digest/select-digest-items.ts';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';
import { enqueueSync } from '../../src/queues/queues.ts';
import { startWorkers } from '../../workers/index.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const now = new Date('2026-11-23T09:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });
let seq = 0;

/** A message in the owner's mailbox: SENT by them (a reply or a command) or received in the inbox. */
function ownMessage(opts: {
  sent: boolean;
  subject: string;
  body: string;
  inReplyTo?: string;
}): FakeGmailMessage {
  seq += 1;
  return {
    id: `reply-${seq}`,
    threadId: `reply-thread-${seq}`,
    labelIds: opts.sent ? ['SENT'] : ['INBOX'],
    internalDate: now.getTime() + seq * 60_000,
    headers: [
      { name: 'From', value: `${SAMPLE_OWNER.name} <${SAMPLE_OWNER.email}>` },
      { name: 'To', value: SAMPLE_OWNER.email },
      { name: 'Subject', value: opts.subject },
      { name: 'Message-ID', value: `<reply-${seq}@mail.example.com>` },
      ...(opts.inReplyTo ? [{ name: 'In-Reply-To', value: opts.inReplyTo }] : []),
    ],
    body: opts.body,
  };
}

describe('reply-to-snooze: the user answers the digest from their own mailbox', () => {
  let env: TestEnv;
  let sink: SmtpSink;
  let ctx: AppContext;
  let userId: string;
  let accountId: string;
  let digest: {
    id: string;
    messageId: string;
    items: { n: number; kind: string; contact: { id: string } }[];
  };

  const contact = (n: number) => {
    const item = digest.items.find((i) => i.n === n);
    return ctx.prisma.contact.findUniqueOrThrow({ where: { id: item?.contact.id ?? '' } });
  };
  const candidatesOfNewMail = async () => {
    const found: ReturnType<typeof findDigestReplies> = [];
    const signer = createCommandSigner(env.config.TOUCHBASE_SECRET);
    await syncOnce(ctx, accountId, {
      onMessages: async (messages) => {
        found.push(...findDigestReplies(messages, signer));
      },
    });
    return found;
  };
  const apply = (candidate: ReturnType<typeof findDigestReplies>[number]) =>
    applyDigestReply(
      { prisma: ctx.prisma, config: env.config, now, log: ctx.log, fetchBody: null },
      accountId,
      candidate,
    );

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      settings: { SMTP_URL: sink.url },
    });
    ctx = env.context({ clock: fixedClock(now) });
    const connected = await connectFake(ctx);
    userId = connected.user.id;
    accountId = connected.account.id;
    await syncOnce(ctx, accountId);
    expect((await sendWeeklyDigest(ctx, userId)).status).toBe('sent');
    const row = await ctx.prisma.digest.findFirstOrThrow({ where: { userId } });
    digest = { id: row.id, messageId: row.messageId, items: row.items as typeof digest.items };
    expect(digest.items.map((i) => i.kind)).toEqual([
      'owe-reply',
      'awaiting-reply',
      'lapsed',
      'lapsed',
      'lapsed',
    ]);
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('applies a reply found by sync, through the real workers, and answers in the same thread', async () => {
    const reply = ownMessage({
      sent: true,
      subject: 'Re: your digest',
      inReplyTo: digest.messageId,
      body: [
        'snooze 3 3w, done 2',
        'whatever this is',
        '',
        'On Mon, 23 Nov 2026 at 09:00, touchbase <digest@touchbase.localhost> wrote:',
        '> 1. Hannah wrote 5 days ago',
        '> mute 1',
      ].join('\n'),
    });
    env.fake.addMessage(reply);
    const workers = await startWorkers(ctx);
    try {
      await enqueueSync(ctx.queues(), accountId, 'manual');
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const row = await ctx.prisma.digestReply.findFirst({ where: { providerMessageId: reply.id } });
        if (row?.confirmationMessageId) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await workers.close(5_000);
    }
    const row = await ctx.prisma.digestReply.findFirstOrThrow({ where: { providerMessageId: reply.id } });
    expect(row.applied).toHaveLength(2);
    expect(row.notUnderstood).toEqual(['whatever this is']);

    // Item 3 snoozed three weeks; the quoted "mute 1" was not a command.
    expect((await contact(3)).snoozedUntil?.getTime()).toBeGreaterThan(now.getTime() + 20 * 86_400_000);
    expect((await contact(1)).mutedAt).toBeNull();
    // Item 2 (a reply awaited) is settled: the next digest does not list it.
    const user = await ctx.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    const next = await selectDigestContent(ctx.prisma, user, now, 'next', selectOptions(env.config));
    expect(next.items.filter((i) => i.kind === 'awaiting-reply')).toEqual([]);

    const confirmation = await PostalMime.parse(sink.messages.at(-1)?.raw ?? Buffer.alloc(0));
    expect(confirmation.inReplyTo).toBe(`<${reply.id}@mail.example.com>`);
    expect(confirmation.text).toMatch(/Snoozed .* until/);
    expect(confirmation.text).toMatch(/Not understood[\s\S]*whatever this is/);
  });

  it('applies the same reply once, however often it is seen', async () => {
    const sent = sink.messages.length;
    const candidate = {
      providerMessageId: 'reply-1',
      internetMessageId: '<reply-1@mail.example.com>',
      subject: 'Re: your digest',
      tokenDigestId: null,
      digestMessageIds: [digest.messageId],
    };
    expect((await apply(candidate)).status).toBe('already-applied');
    expect(sink.messages).toHaveLength(sent);
    expect(await ctx.prisma.digestReply.count()).toBe(1);
  });

  it('takes a one-click command sent as a new message, by its signed token', async () => {
    const tag = createCommandSigner(env.config.TOUCHBASE_SECRET).tag(digest.id);
    env.fake.addMessage(ownMessage({ sent: true, subject: `mute 4 ${tag}`, body: '' }));
    const [candidate, ...rest] = await candidatesOfNewMail();
    expect(rest).toEqual([]);
    expect(candidate?.tokenDigestId).toBe(digest.id);
    const outcome = await apply(candidate as NonNullable<typeof candidate>);
    expect(outcome.status).toBe('applied');
    expect((await contact(4)).mutedAt).not.toBeNull();
  });

  it('never takes a command from anyone else: inbox look-alikes, forged tokens, forwards', async () => {
    const forged = createCommandSigner(generateSecret()).tag(digest.id);
    env.fake.addMessage(
      ownMessage({ sent: false, subject: 'Re: digest', inReplyTo: digest.messageId, body: 'mute 5' }),
    );
    env.fake.addMessage(ownMessage({ sent: true, subject: `mute 5 ${forged}`, body: '' }));
    env.fake.addMessage(
      ownMessage({ sent: true, subject: 'Fwd: your digest', inReplyTo: digest.messageId, body: 'mute 5' }),
    );
    expect(await candidatesOfNewMail()).toEqual([]);
    expect((await contact(5)).mutedAt).toBeNull();
  });
});
