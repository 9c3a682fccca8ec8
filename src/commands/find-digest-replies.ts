import { isAutoSubmitted } from '../mail/detect-automated.ts';
import type { MessageMeta } from '../providers/types.ts';
import type { CommandSigner } from './command-token.ts';

export interface DigestReplyCandidate {
  providerMessageId: string;
  internetMessageId: string | null;
  subject: string | null;
  /** The digest a genuine Subject token names. */
  tokenDigestId: string | null;
  /** Digest Message-IDs the message replies to (In-Reply-To, References). */
  digestMessageIds: string[];
}

/**
 * Messages that may be commands: SENT from the user's own mailbox (the provider's word, never a
 * From header anyone can forge), not automated, not a forward, and either replying to a digest
 * or carrying a digest's signed token. Nothing else is ever a command.
 */
export function findDigestReplies(
  messages: readonly MessageMeta[],
  signer: CommandSigner,
): DigestReplyCandidate[] {
  const found: DigestReplyCandidate[] = [];
  for (const message of messages) {
    if (message.direction !== 'sent' || isAutoSubmitted(message.autoSubmitted)) continue;
    if (isForward(message.subject)) continue;
    const digestMessageIds = [message.inReplyTo, ...message.references].filter(
      (id): id is string => id?.startsWith('<digest.') ?? false,
    );
    const tokenDigestId = signer.verify(message.subject);
    if (digestMessageIds.length === 0 && tokenDigestId === null) continue;
    found.push({
      providerMessageId: message.providerId,
      internetMessageId: message.internetMessageId,
      subject: message.subject,
      tokenDigestId,
      digestMessageIds: [...new Set(digestMessageIds)],
    });
  }
  return found;
}

/** A forward is passing the digest on, never answering it. */
export function isForward(subject: string | null): boolean {
  return /^\s*(fwd?|fw|wg|tr)\s*:/i.test(subject ?? '');
}
