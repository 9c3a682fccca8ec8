import { expect } from 'vitest';
import { createCommandSigner } from '../../src/commands/command-token.ts';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import type { Clock } from '../../src/lib/clock.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import type { CommandJob } from '../../src/queues/queues.ts';
import { queueDigestReplies } from '../../workers/sync.worker.ts';
import { SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { type SampleEnv, startSampleEnv } from './sample-env.ts';
import { syncOnce } from './test-env.ts';

/** The sample mailbox's env (startSampleEnv), synced, with its digest sent. */
export interface DigestReplyEnv extends SampleEnv {
  readonly digest: { messageId: string; items: { n: number; contact: { id: string } }[] };
  /** The user's reply in their Sent mail, `minutes` after `now`; `names`: the header naming the digest. */
  addReply(id: string, names: 'In-Reply-To' | 'References', body: string, minutes: number): void;
  /** A reply's command job as sync would queue it (not added to the mailbox). */
  pendingJob(id: string): CommandJob;
  /** Syncs the new mail and queues its replies, as the sync worker does; returns the pages' messages. */
  syncAndQueue(): Promise<MessageMeta[]>;
  /** Until when item `n` of the digest is snoozed. */
  snoozedUntil(n: number): Promise<Date | null>;
}

/**
 * The sample mailbox synced and its weekly digest sent at `now`, with an SMTP sink for what
 * touchbase sends: where the tests of replies to a digest, applied by the real workers, start.
 */
export async function startDigestReplyEnv(options: {
  now: Date;
  clock?: Clock;
  settings?: Record<string, string>;
}): Promise<DigestReplyEnv> {
  const { now } = options;
  const started = await startSampleEnv(options);
  const { env, ctx, owner } = started;
  await syncOnce(ctx, owner.accountId);
  expect((await sendWeeklyDigest(ctx, owner.userId)).status).toBe('sent');
  const row = await ctx.prisma.digest.findFirstOrThrow({ where: { userId: owner.userId } });
  const digest = { messageId: row.messageId ?? '', items: row.items as DigestReplyEnv['digest']['items'] };
  const signer = createCommandSigner(env.config.TOUCHBASE_SECRET);

  return {
    ...started,
    digest,
    addReply(id, names, body, minutes) {
      env.fake.addMessage({
        id,
        threadId: `${id}-thread`,
        labelIds: ['SENT'],
        internalDate: now.getTime() + minutes * 60_000,
        headers: [
          { name: 'From', value: `${SAMPLE_OWNER.name} <${SAMPLE_OWNER.email}>` },
          { name: 'To', value: SAMPLE_OWNER.email },
          { name: 'Subject', value: 'Re: your digest' },
          { name: 'Message-ID', value: `<${id}@mail.example.com>` },
          {
            name: names,
            value:
              names === 'References' ? `<earlier@mail.example.com> ${digest.messageId}` : digest.messageId,
          },
        ],
        body,
      });
    },
    pendingJob(id) {
      const candidate = {
        providerMessageId: id,
        internetMessageId: `<${id}@mail.example.com>`,
        subject: 'Re: your digest',
        tokenDigestId: null,
        digestMessageIds: [digest.messageId],
      };
      return { accountId: owner.accountId, candidate };
    },
    async syncAndQueue() {
      const synced: MessageMeta[] = [];
      await syncOnce(ctx, owner.accountId, {
        onMessages: (messages) => {
          synced.push(...messages);
          return queueDigestReplies(ctx, owner, messages, signer);
        },
      });
      return synced;
    },
    async snoozedUntil(n) {
      const item = digest.items.find((i) => i.n === n);
      return (await ctx.prisma.contact.findUniqueOrThrow({ where: { id: item?.contact.id ?? '' } }))
        .snoozedUntil;
    },
  };
}
