import type { PrismaClient } from '../lib/prisma.ts';
import type { MessageMeta } from '../providers/types.ts';
import type { CommandSigner } from './command-token.ts';
import { findAccountDigestReplies } from './find-account-digest-replies.ts';
import type { DigestReplyCandidate } from './find-digest-replies.ts';

/**
 * The digest replies in one account's stored mail since `since` that no DigestReply row records:
 * for when their command jobs may have been lost with Redis and no pending_digest_replies row
 * kept them (a reply sync found before that table existed). The same rules as sync's
 * (findAccountDigestReplies), over what interactions keep of a message: SENT mail that is not
 * automated, with its In-Reply-To, subject and thread. Interactions do not keep References, so a
 * reply that names the digest there alone is not found this way.
 */
export async function findStoredDigestReplies(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  since: Date,
  signer: CommandSigner,
): Promise<DigestReplyCandidate[]> {
  const sent = await prisma.interaction.findMany({
    where: {
      userId: owner.userId,
      accountId: owner.accountId,
      at: { gte: since },
      direction: 'sent',
      automatedReason: null,
    },
    select: {
      providerMessageId: true,
      threadId: true,
      internetMessageId: true,
      inReplyTo: true,
      at: true,
      subject: true,
    },
  });
  if (sent.length === 0) return [];
  const candidates = await findAccountDigestReplies(prisma, owner, sent.map(asSentMeta), signer);
  if (candidates.length === 0) return [];
  const applied = await prisma.digestReply.findMany({
    where: {
      accountId: owner.accountId,
      providerMessageId: { in: candidates.map((c) => c.providerMessageId) },
    },
    select: { providerMessageId: true },
  });
  const done = new Set(applied.map((row) => row.providerMessageId));
  return candidates.filter((c) => !done.has(c.providerMessageId));
}

function asSentMeta(row: {
  providerMessageId: string;
  threadId: string | null;
  internetMessageId: string | null;
  inReplyTo: string | null;
  at: Date;
  subject: string | null;
}): MessageMeta {
  return {
    providerId: row.providerMessageId,
    threadId: row.threadId,
    internetMessageId: row.internetMessageId,
    inReplyTo: row.inReplyTo,
    references: [],
    at: row.at,
    direction: 'sent',
    from: null,
    to: null,
    cc: null,
    bcc: null,
    replyTo: null,
    subject: row.subject,
    labels: [],
    listId: null,
    listUnsubscribe: null,
    // Automated mail never got this far (automatedReason is null).
    autoSubmitted: null,
    precedence: null,
    category: null,
    extraHeaders: {},
  };
}
