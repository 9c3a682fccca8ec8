import { z } from 'zod';
import type { Config } from '../config/config.ts';
import { effectiveCadenceDays } from '../contacts/contact-status.ts';
import { describeCadence } from '../contacts/parse-cadence.ts';
import { digestTransport } from '../digest/digest-transport.ts';
import { sendDigest } from '../digest/send-digest.ts';
import { DAY_MS } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { Prisma, type PrismaClient } from '../lib/prisma.ts';
import { subjectCommandText } from './command-token.ts';
import type { DigestReplyCandidate } from './find-digest-replies.ts';
import { type ParsedReply, parseReply, type ReplyCommand } from './parse-reply.ts';
import { renderConfirmation } from './render-confirmation.ts';
import { stripQuoted } from './strip-quoted.ts';

export interface ReplyDeps {
  prisma: PrismaClient;
  config: Config;
  now: Date;
  log: Logger;
  /** Reads the reply's text; null where the grant is metadata-only (subject commands still work). */
  fetchBody: ((providerMessageId: string) => Promise<string>) | null;
}

export type ReplyOutcome =
  | { status: 'applied' | 'already-applied'; applied: string[]; notUnderstood: string[] }
  | { status: 'ignored'; reason: string };

const HEADERS_ONLY =
  'your reply: touchbase reads only headers in this mailbox (GMAIL_SCOPE=metadata), so it cannot see what you wrote. Use the buttons in the digest: they work from the subject line.';

const storedItem = z.object({
  n: z.number(),
  kind: z.enum(['lapsed', 'owe-reply', 'awaiting-reply']),
  contact: z.object({ id: z.string(), name: z.string().nullable(), emails: z.array(z.string()) }),
  threadId: z.string().nullable(),
  since: z.coerce.date().nullable(),
});
type StoredItem = z.infer<typeof storedItem>;

/**
 * One reply to a digest: parse the commands, apply them, answer in the same thread. Applied at
 * most once per reply (a unique row per provider message), and the confirmation is re-sent only
 * if it never went out.
 */
export async function applyDigestReply(
  deps: ReplyDeps,
  accountId: string,
  candidate: DigestReplyCandidate,
): Promise<ReplyOutcome> {
  const { prisma, now } = deps;
  const account = await prisma.mailAccount.findUniqueOrThrow({
    where: { id: accountId },
    include: { user: true },
  });
  const user = account.user;
  const digest = await prisma.digest.findFirst({
    where: {
      userId: user.id,
      OR: [
        ...(candidate.tokenDigestId ? [{ id: candidate.tokenDigestId }] : []),
        { messageId: { in: candidate.digestMessageIds } },
      ],
    },
  });
  // A token or Message-ID of someone else's digest, or of one that no longer exists.
  if (!digest) return { status: 'ignored', reason: 'no digest of this user matches' };

  const key = { accountId_providerMessageId: { accountId, providerMessageId: candidate.providerMessageId } };
  let reply = await prisma.digestReply.findUnique({ where: key });
  if (reply?.confirmationMessageId) {
    return { status: 'already-applied', applied: reply.applied, notUnderstood: reply.notUnderstood };
  }
  if (!reply) {
    const text = candidate.tokenDigestId
      ? subjectCommandText(candidate.subject)
      : deps.fetchBody
        ? stripQuoted(await deps.fetchBody(candidate.providerMessageId))
        : null;
    const items = z.array(storedItem).catch([]).parse(digest.items);
    const parsed: ParsedReply =
      text === null
        ? { commands: [], notUnderstood: [HEADERS_ONLY] }
        : parseReply(text, { now, timeZone: user.timeZone, itemCount: items.length });
    try {
      reply = await prisma.$transaction(async (tx) => {
        const applied = await applyCommands(tx, parsed, items, { now, timeZone: user.timeZone });
        return tx.digestReply.create({
          data: {
            userId: user.id,
            accountId,
            providerMessageId: candidate.providerMessageId,
            internetMessageId: candidate.internetMessageId,
            digestId: digest.id,
            applied,
            notUnderstood: parsed.notUnderstood,
          },
        });
      });
    } catch (error) {
      // Another worker applied this very reply a moment ago: theirs stands, nothing twice.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        const done = await prisma.digestReply.findUniqueOrThrow({ where: key });
        return { status: 'already-applied', applied: done.applied, notUnderstood: done.notUnderstood };
      }
      throw error;
    }
  }

  const host = new URL(deps.config.PUBLIC_URL).hostname || 'touchbase.local';
  const messageId = `<reply.${reply.id}@${host}>`;
  await sendDigest(digestTransport(deps.config), {
    from: deps.config.DIGEST_FROM,
    to: user.email,
    replyTo: user.email,
    messageId,
    rendered: renderConfirmation({
      subject: candidate.subject,
      applied: reply.applied,
      notUnderstood: reply.notUnderstood,
      publicUrl: deps.config.PUBLIC_URL,
    }),
    headers: {
      ...(candidate.internetMessageId ? { 'In-Reply-To': candidate.internetMessageId } : {}),
      References: [digest.messageId, candidate.internetMessageId].filter(Boolean).join(' '),
    },
    date: now,
  });
  await prisma.digestReply.update({ where: { id: reply.id }, data: { confirmationMessageId: messageId } });
  deps.log.info(
    { event: 'command.applied', accountId, applied: reply.applied.length },
    'digest reply applied',
  );
  return { status: 'applied', applied: reply.applied, notUnderstood: reply.notUnderstood };
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** Applies the commands in order; returns what was done, in the words the confirmation uses. */
async function applyCommands(
  tx: Tx,
  parsed: ParsedReply,
  items: readonly StoredItem[],
  ctx: { now: Date; timeZone: string },
): Promise<string[]> {
  const applied: string[] = [];
  const day = (at: Date) =>
    new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: ctx.timeZone,
    }).format(at);
  for (const command of parsed.commands) {
    if (command.kind === 'help') {
      applied.push('Help: the commands are listed below.');
      continue;
    }
    for (const item of selected(command, items)) {
      const who = item.contact.name ?? item.contact.emails[0] ?? 'someone';
      const contact = await tx.contact.findUnique({ where: { id: item.contact.id } });
      if (!contact) {
        applied.push(`${item.n}. ${who} is no longer a contact: nothing to change.`);
        continue;
      }
      const where = { id: contact.id };
      switch (command.kind) {
        case 'snooze':
          await tx.contact.update({ where, data: { snoozedUntil: command.until } });
          applied.push(`${item.n}. Snoozed ${who} until ${day(command.until)}.`);
          break;
        case 'done':
          if (item.kind !== 'lapsed' && item.threadId && item.since) {
            await tx.followUpDismissal.upsert({
              where: { userId_threadId: { userId: contact.userId, threadId: item.threadId } },
              create: { userId: contact.userId, threadId: item.threadId, upTo: item.since },
              update: { upTo: item.since },
            });
            applied.push(
              `${item.n}. Done: the thread with ${who} is settled until someone writes in it again.`,
            );
          } else {
            // Caught up: quiet for one of their rhythms (at least two weeks), then counted afresh.
            const until = new Date(ctx.now.getTime() + Math.max(14, effectiveCadenceDays(contact)) * DAY_MS);
            await tx.contact.update({ where, data: { snoozedUntil: until } });
            applied.push(`${item.n}. Done: ${who} will not be suggested before ${day(until)}.`);
          }
          break;
        case 'mute':
          await tx.contact.update({ where, data: { mutedAt: contact.mutedAt ?? ctx.now } });
          applied.push(`${item.n}. Muted ${who}: never suggested again (touchbase contacts unmute to undo).`);
          break;
        case 'unmute':
          await tx.contact.update({ where, data: { mutedAt: null } });
          applied.push(`${item.n}. Unmuted ${who}.`);
          break;
        case 'cadence':
          await tx.contact.update({ where, data: { cadenceDays: command.days } });
          applied.push(`${item.n}. ${who}: ${describeCadence(command.days)} from now on.`);
          break;
      }
    }
  }
  return applied;
}

function selected(
  command: Exclude<ReplyCommand, { kind: 'help' }>,
  items: readonly StoredItem[],
): StoredItem[] {
  if (command.items === 'all') return [...items];
  const wanted = new Set(command.items);
  return items.filter((item) => wanted.has(item.n));
}
