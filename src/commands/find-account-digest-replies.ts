import type { PrismaClient } from '../lib/prisma.ts';
import { isAutoSubmitted } from '../mail/detect-automated.ts';
import type { MessageMeta } from '../providers/types.ts';
import type { CommandSigner } from './command-token.ts';
import { type DigestReplyCandidate, findDigestReplies, isForward } from './find-digest-replies.ts';

/**
 * Every digest reply in a page of one account's mail: by In-Reply-To / References or a signed
 * Subject token (findDigestReplies), and by conversation. Outlook's Sent Items carry no
 * In-Reply-To, so a message SENT by the user (the provider's word) in the same conversation as a
 * digest the mailbox received (its copy's Message-ID is the digest's) and after it is a reply.
 */
export async function findAccountDigestReplies(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  messages: readonly MessageMeta[],
  signer: CommandSigner,
): Promise<DigestReplyCandidate[]> {
  const found = findDigestReplies(messages, signer);
  const seen = new Set(found.map((c) => c.providerMessageId));
  const loose = messages.filter(
    (m) =>
      m.direction === 'sent' &&
      m.threadId !== null &&
      !seen.has(m.providerId) &&
      !isAutoSubmitted(m.autoSubmitted) &&
      !isForward(m.subject),
  );
  if (loose.length === 0) return found;
  const threads = [...new Set(loose.map((m) => m.threadId as string))];
  const digests = await prisma.interaction.findMany({
    where: {
      userId: owner.userId,
      accountId: owner.accountId,
      threadId: { in: threads },
      internetMessageId: { startsWith: '<digest.' },
    },
    select: { threadId: true, internetMessageId: true, at: true },
  });
  for (const message of loose) {
    const digest = digests.find(
      (d) => d.threadId === message.threadId && d.at.getTime() <= message.at.getTime(),
    );
    if (!digest?.internetMessageId) continue;
    found.push({
      providerMessageId: message.providerId,
      internetMessageId: message.internetMessageId,
      subject: message.subject,
      tokenDigestId: signer.verify(message.subject),
      digestMessageIds: [digest.internetMessageId],
    });
  }
  return found;
}
