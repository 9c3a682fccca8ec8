import type { PrismaClient } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { toInteractionFacts } from '../mail/to-interaction.ts';
import type { MessageMeta } from '../providers/types.ts';

/**
 * Stores one page of messages as interactions in one statement. A message already stored (same
 * account and provider id) is skipped, so storing a page twice changes nothing. Returns the
 * counterparties of the new person-to-person rows: the contacts to recompute.
 */
export async function storeInteractions(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  messages: readonly MessageMeta[],
  own: ReadonlySet<string>,
): Promise<{ inserted: number; touchedAddresses: string[] }> {
  if (messages.length === 0) return { inserted: 0, touchedAddresses: [] };
  const rows = messages.map((meta) => {
    const facts = toInteractionFacts(meta, own);
    return {
      userId: owner.userId,
      accountId: owner.accountId,
      providerMessageId: meta.providerId,
      threadId: meta.threadId,
      internetMessageId: meta.internetMessageId,
      inReplyTo: meta.inReplyTo,
      at: meta.at,
      direction: facts.direction,
      fromAddress: facts.fromAddress,
      fromName: facts.fromName,
      counterparties: facts.counterparties,
      counterpartyNames: facts.counterpartyNames,
      counterpartyKeys: facts.counterparties.map(canonicalAddress),
      recipientCount: facts.recipientCount,
      addressedToUser: facts.addressedToUser,
      subject: meta.subject,
      automatedReason: facts.automatedReason,
    };
  });
  const inserted = await prisma.interaction.createManyAndReturn({
    data: rows,
    skipDuplicates: true,
    select: { counterparties: true, automatedReason: true },
  });
  const touched = new Set<string>();
  for (const row of inserted) {
    // People, and addresses a bounce reported as failed (which may stop them being contacts).
    if (row.automatedReason === null || row.automatedReason === 'bounce') {
      for (const address of row.counterparties) touched.add(address);
    }
  }
  return { inserted: inserted.length, touchedAddresses: [...touched] };
}
