import type { DigestItem } from '../../src/digest/types.ts';
import type { AppContext } from '../../src/lib/context.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';

/** Waits until the account's first sync (backfill + catch-up) has finished, or failed. */
export async function waitForSync(
  ctx: AppContext,
  accountId: string,
  timeoutMs: number,
): Promise<{ interactions: number; ms: number }> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    if (account.status !== 'ACTIVE')
      throw new Error(`sync stopped: ${account.statusReason ?? account.status}`);
    if (account.lastSyncedAt && account.backfillDoneAt) {
      const interactions = await ctx.prisma.interaction.count({ where: { accountId } });
      return { interactions, ms: Date.now() - started };
    }
    if (account.lastSyncError) throw new Error(`sync failed: ${account.lastSyncError}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`sync did not finish within ${timeoutMs / 1000} s`);
}

export function describeItem(item: DigestItem, now: Date): string {
  const who = item.contact.name ?? item.contact.emails[0] ?? 'someone';
  const days = (at: Date | null) => (at ? Math.round((now.getTime() - at.getTime()) / 86_400_000) : 0);
  const subject = item.subject ? ` — "${item.subject}"` : '';
  switch (item.kind) {
    case 'owe-reply':
      return `${item.n}. ${who} wrote ${days(item.since)} days ago${subject}`;
    case 'awaiting-reply':
      return `${item.n}. you wrote to ${who} ${days(item.since)} days ago${subject}`;
    case 'lapsed':
      return `${item.n}. ${who}: last contact ${days(item.lastContactAt)} days ago${
        item.cadenceDays ? `, usually every ${item.cadenceDays} days` : ''
      }`;
  }
}

/** The user answers the digest from their own mailbox: a SENT message replying to it. */
export async function replyToDigest(
  fake: { addMessage(message: FakeGmailMessage): void },
  digestMessageId: string,
  body: string,
  now: Date,
): Promise<void> {
  fake.addMessage({
    id: 'demo-reply',
    threadId: 'demo-reply',
    labelIds: ['SENT'],
    internalDate: now.getTime() + 60_000,
    headers: [
      { name: 'From', value: `${SAMPLE_OWNER.name} <${SAMPLE_OWNER.email}>` },
      { name: 'To', value: SAMPLE_OWNER.email },
      { name: 'Subject', value: 'Re: your touchbase digest' },
      { name: 'Message-ID', value: '<demo-reply@mail.example.com>' },
      { name: 'In-Reply-To', value: digestMessageId },
      { name: 'References', value: digestMessageId },
    ],
    body: `${body}\n\nOn Mon, 23 Nov 2026 at 08:00, touchbase <digest@touchbase.localhost> wrote:\n> 1. ...`,
  });
}

/** Waits until the command worker applied the reply and sent its confirmation. */
export async function waitForReply(ctx: AppContext, accountId: string, timeoutMs: number) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const reply = await ctx.prisma.digestReply.findFirst({ where: { accountId } });
    if (reply?.confirmationMessageId) {
      return { ...reply, confirmationFile: reply.confirmationMessageId.slice(1, -1) };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the reply was not applied within ${timeoutMs / 1000} s`);
}
