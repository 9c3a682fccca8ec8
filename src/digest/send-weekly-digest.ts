import { createCommandSigner } from '../commands/command-token.ts';
import type { Config } from '../config/config.ts';
import type { Clock } from '../lib/clock.ts';
import { createLinkSigner } from '../lib/link-signer.ts';
import type { Logger } from '../lib/logger.ts';
import { DigestStatus, Prisma, type PrismaClient } from '../lib/prisma.ts';
import { settingsLinkUrl } from '../lib/settings-link.ts';
import { providerDefinition } from '../providers/create-provider.ts';
import { digestTransport } from './digest-transport.ts';
import { renderDigest } from './render-digest.ts';
import { lastDueAt } from './schedule.ts';
import { selectDigestContent, selectOptions } from './select-digest-items.ts';
import { DigestSendError, sendDigest } from './send-digest.ts';

export interface DigestDeps {
  prisma: PrismaClient;
  config: Config;
  clock: Clock;
  log: Logger;
  /**
   * Looks in the user's own mailbox for a Message-ID: after a crash between the mail server
   * accepting a digest and the record saying so, the digest may already be there.
   */
  findDelivered?: (userId: string, messageId: string) => Promise<boolean>;
}

export type DigestOutcome =
  | { status: 'sent'; period: string; messageId: string; location: string | null; items: number }
  | { status: 'already-sent'; period: string; messageId: string; location: string | null }
  | { status: 'in-progress'; period: string }
  | { status: 'empty'; period: string }
  | { status: 'paused'; period: string };

/** A claim older than this is taken to be from a worker that died mid-send. */
const CLAIM_LEASE_MS = 10 * 60_000;

/**
 * This period's digest for one user, at most once: a unique (user, period) row is claimed before
 * sending and marked sent after, with a deterministic Message-ID. An empty week sends nothing.
 */
export async function sendWeeklyDigest(deps: DigestDeps, userId: string): Promise<DigestOutcome> {
  const { prisma, config, clock, log } = deps;
  const now = clock.now();
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  // The period is that of the digest due most recently, so a job that runs late (or early, by
  // hand) still files it under the week the user expects, and the sweeper agrees.
  const { period } = lastDueAt(user, now);
  const messageId = digestMessageId(userId, period, config.PUBLIC_URL);
  if (user.digestPaused) return { status: 'paused', period };

  const claim = await claimPeriod(prisma, userId, period, messageId, now);
  if (claim.status !== 'claimed') return claim;
  // Taking over a claim that died mid-send: it may have reached the user. Their mailbox knows.
  if (claim.uncertain && (await deps.findDelivered?.(userId, messageId))) {
    await prisma.digest.update({ where: { id: claim.id }, data: { status: DigestStatus.SENT, sentAt: now } });
    log.info({ event: 'digest.found-delivered', userId, period }, 'digest was delivered before a crash');
    return { status: 'already-sent', period, messageId, location: null };
  }

  try {
    const content = await selectDigestContent(prisma, user, now, period, selectOptions(config));
    // An empty week sends nothing, unless the user asked for a one-line "all caught up".
    if (content.items.length === 0 && content.notices.length === 0 && user.emptyDigest !== 'caught-up') {
      // Recorded, so the sweeper does not try again all week; `digest send` may still re-check.
      await prisma.digest.update({ where: { id: claim.id }, data: { status: DigestStatus.EMPTY } });
      return { status: 'empty', period };
    }
    const links = createLinkSigner(config.TOUCHBASE_SECRET);
    const rendered = renderDigest(content, {
      publicUrl: config.PUBLIC_URL,
      // "Change your schedule" opens this user's settings without a sign-in (a signed link).
      settingsUrl: settingsLinkUrl(config.PUBLIC_URL, links, userId, now),
      // One-click commands name this digest with a signed token: they work as new messages too.
      commandTag: createCommandSigner(config.TOUCHBASE_SECRET).tag(claim.id),
      headersOnly: !(await canReadReplies(prisma, config, userId)),
    });
    const unsubscribe = `${config.PUBLIC_URL}/unsubscribe?u=${links.sign('unsubscribe', userId)}`;
    const sent = await sendDigest(digestTransport(config), {
      from: config.DIGEST_FROM,
      to: user.email,
      // Replies land in the user's own mailbox, where sync already looks for commands.
      replyTo: user.email,
      messageId,
      rendered,
      date: now,
      // One-click unsubscribe (RFC 8058): a POST to this URL pauses the digest, no login needed.
      headers: {
        'List-Unsubscribe': `<${unsubscribe}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
    await prisma.digest.update({
      where: { id: claim.id },
      data: {
        status: DigestStatus.SENT,
        sentAt: clock.now(),
        location: sent.location,
        error: null,
        items: JSON.parse(JSON.stringify(content.items)) as Prisma.InputJsonValue,
      },
    });
    log.info({ event: 'digest.sent', userId, period, items: content.items.length }, 'digest sent');
    return { status: 'sent', period, messageId, location: sent.location, items: content.items.length };
  } catch (error) {
    const permanent = error instanceof DigestSendError && error.permanent;
    // A permanent refusal is recorded and shown; anything else frees the claim for a retry.
    await prisma.digest.update({
      where: { id: claim.id },
      data: permanent
        ? { status: DigestStatus.FAILED, error: error.message }
        : { updatedAt: new Date(0), error: error instanceof Error ? error.message : String(error) },
    });
    throw error;
  }
}

export function digestMessageId(userId: string, period: string, publicUrl: string): string {
  const host = new URL(publicUrl).hostname || 'touchbase.local';
  return `<digest.${period}.${userId}@${host}>`;
}

type Claim =
  | { status: 'claimed'; id: string; uncertain: boolean }
  | { status: 'already-sent'; period: string; messageId: string; location: string | null }
  | { status: 'in-progress'; period: string };

async function claimPeriod(
  prisma: PrismaClient,
  userId: string,
  period: string,
  messageId: string,
  now: Date,
): Promise<Claim> {
  try {
    // The lease runs on the service's clock (updatedAt set from it), not the database's.
    const row = await prisma.digest.create({
      data: { userId, period, messageId, items: [], updatedAt: now },
    });
    return { status: 'claimed', id: row.id, uncertain: false };
  } catch (error) {
    if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')) throw error;
  }
  const existing = await prisma.digest.findUniqueOrThrow({ where: { userId_period: { userId, period } } });
  if (existing.status === DigestStatus.SENT) {
    return { status: 'already-sent', period, messageId: existing.messageId, location: existing.location };
  }
  // A refused send (FAILED) or an empty week (EMPTY) may be looked at again; a live claim may
  // not. Take over only if nobody else did in the meantime (compare-and-set on updatedAt).
  const stale = existing.updatedAt.getTime() <= now.getTime() - CLAIM_LEASE_MS;
  const settled = existing.status === DigestStatus.FAILED || existing.status === DigestStatus.EMPTY;
  if (!settled && !stale) return { status: 'in-progress', period };
  const taken = await prisma.digest.updateMany({
    where: { id: existing.id, updatedAt: existing.updatedAt },
    data: { updatedAt: now },
  });
  // A stale PENDING claim is a send that may have happened; a FAILED or EMPTY one is not.
  return taken.count === 1
    ? { status: 'claimed', id: existing.id, uncertain: !settled }
    : { status: 'in-progress', period };
}

/** Whether any of the user's accounts lets touchbase read the text of a reply. */
async function canReadReplies(prisma: PrismaClient, config: Config, userId: string): Promise<boolean> {
  const accounts = await prisma.mailAccount.findMany({
    where: { userId },
    select: { provider: true, scopes: true },
  });
  return accounts.some((account) => providerDefinition(account.provider, config).readsBodies(account.scopes));
}
