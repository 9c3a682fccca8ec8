import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDigestReply } from '../../src/commands/apply-digest-reply.ts';
import { createCommandSigner } from '../../src/commands/command-token.ts';
import { findDigestReplies } from '../../src/commands/find-digest-replies.ts';
import { listContacts } from '../../src/contacts/list-contacts.ts';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { SAMPLE_OWNER, type SampleMailbox } from '../fixtures/sample-mailbox.ts';
import { type SampleEnv, startSampleEnv } from '../support/sample-env.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { syncOnce, type TestEnv } from '../support/test-env.ts';

const now = new Date('2026-11-23T09:00:00Z');
describe('least privilege: GMAIL_SCOPE=metadata (headers only)', () => {
  let started: SampleEnv;
  let env: TestEnv;
  let sink: SmtpSink;
  let ctx: AppContext;
  let sample: SampleMailbox;
  let userId: string;
  let accountId: string;

  beforeAll(async () => {
    started = await startSampleEnv({ now, settings: { GMAIL_SCOPE: 'metadata' } });
    ({ env, sink, ctx, sample } = started);
    ({ userId, accountId } = started.owner);
  });
  afterAll(async () => {
    await started?.close();
  });

  it('asks Google for gmail.metadata only, and syncs without the searches that scope refuses', async () => {
    expect(env.fake.lastAuthorizeRequest?.get('scope')).toBe(
      'https://www.googleapis.com/auth/gmail.metadata',
    );
    await syncOnce(ctx, accountId);
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillDoneAt).not.toBeNull();
    // The alias is learnt from the From of sent mail, since sendAs.list needs more than metadata.
    expect(account.aliases).toEqual(sample.expected.aliases);
    const emails = (await listContacts(ctx.prisma, userId, now)).flatMap((c) => c.emails);
    expect(emails.sort()).toEqual([...sample.expected.contacts].sort());
  });

  it('sends a digest whose footer points to the buttons, and takes their subject-line commands', async () => {
    expect((await sendWeeklyDigest(ctx, userId)).status).toBe('sent');
    const digest = await PostalMime.parse(sink.messages[0]?.raw ?? Buffer.alloc(0));
    expect(digest.text).toMatch(/Use the buttons above/);
    const row = await ctx.prisma.digest.findFirstOrThrow({ where: { userId } });

    const tag = createCommandSigner(env.config.TOUCHBASE_SECRET).tag(row.id);
    const [oneClick] = findDigestReplies(
      [
        {
          providerId: 'cmd-1',
          threadId: 'cmd-1',
          internetMessageId: '<cmd-1@x>',
          inReplyTo: null,
          references: [],
          at: now,
          direction: 'sent',
          from: SAMPLE_OWNER.email,
          to: SAMPLE_OWNER.email,
          cc: null,
          bcc: null,
          replyTo: null,
          subject: `snooze 3 for 2 weeks ${tag}`,
          labels: ['SENT'],
          listId: null,
          listUnsubscribe: null,
          autoSubmitted: null,
          precedence: null,
          category: null,
          extraHeaders: {},
        },
      ],
      createCommandSigner(env.config.TOUCHBASE_SECRET),
    );
    const deps = { prisma: ctx.prisma, config: env.config, now, log: ctx.log, fetchBody: null };
    const applied = await applyDigestReply(deps, accountId, oneClick as NonNullable<typeof oneClick>);
    expect(applied.status).toBe('applied');
    expect(applied.status === 'applied' && applied.applied[0]).toMatch(/^3\. Snoozed/);

    // A written reply cannot be read under this scope: nothing changes, and the user is told why.
    const written = await applyDigestReply(deps, accountId, {
      providerMessageId: 'reply-2',
      internetMessageId: '<reply-2@x>',
      subject: 'Re: digest',
      tokenDigestId: null,
      digestMessageIds: [row.messageId],
    });
    expect(written.status === 'applied' && written.notUnderstood[0]).toMatch(/reads only headers/);
  });
});
