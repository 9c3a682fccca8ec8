import type { DigestItem } from '../../src/digest/types.ts';
import type { AppContext } from '../../src/lib/context.ts';

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
