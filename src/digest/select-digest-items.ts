import { collectThreads } from '../contacts/collect-threads.ts';
import { findFollowUps } from '../contacts/find-follow-ups.ts';
import { type ContactView, sortContacts, toContactView } from '../contacts/list-contacts.ts';
import { rankLapsed } from '../contacts/rank-lapsed.ts';
import { DAY_MS } from '../lib/clock.ts';
import type { PrismaClient, User } from '../lib/prisma.ts';
import { toAccountReading } from '../sync/backfill-progress.ts';
import { loadDigestFacts } from './load-digest-facts.ts';
import type { AccountNotice, DigestContent, DigestItem } from './types.ts';

export interface SelectOptions {
  groupSizeLimit: number;
  oweReplyDays: number;
  awaitReplyDays: number;
  maxLapsed?: number;
  maxItems?: number;
  /** Follow-ups look at threads active within this many days. */
  followUpDays?: number;
}

/**
 * What this week's digest says: replies owed, replies awaited, then the people lapsing most
 * (ranked by closeness x overdue), with account problems on top. Muted and snoozed people are
 * left out; a person is listed once.
 */
export async function selectDigestContent(
  prisma: PrismaClient,
  user: User,
  now: Date,
  period: string,
  options: SelectOptions,
): Promise<DigestContent> {
  const maxItems = options.maxItems ?? 10;
  const followUpDays = options.followUpDays ?? 30;
  const facts = await loadDigestFacts(prisma, user.id, new Date(now.getTime() - followUpDays * DAY_MS));
  const contacts = sortContacts(facts.contacts.map((row) => toContactView(row, now)));
  const reachable = contacts.filter((c) => c.status === 'active' || c.status === 'lapsed');
  const byAddress = new Map<string, ContactView>();
  for (const contact of reachable) for (const email of contact.emails) byAddress.set(email, contact);
  const threads = collectThreads(facts.threads);
  // "done N" settled these threads until someone writes in them again.
  const dismissed = new Map(facts.dismissals.map((d) => [d.threadId, d.upTo]));
  const followUps = findFollowUps(threads, (address) => byAddress.has(address), now, {
    maxAgeDays: followUpDays,
    groupSizeLimit: options.groupSizeLimit,
    oweAfterDays: options.oweReplyDays,
    awaitAfterDays: options.awaitReplyDays,
  });

  const items: DigestItem[] = [];
  const listed = new Set<string>();
  const ordered = [
    ...followUps.filter((f) => f.kind === 'owe-reply'),
    ...followUps.filter((f) => f.kind === 'awaiting-reply'),
  ];
  for (const followUp of ordered) {
    const settledUpTo = dismissed.get(followUp.threadId);
    if (settledUpTo && followUp.since.getTime() <= settledUpTo.getTime()) continue;
    const contact = byAddress.get(followUp.address);
    if (!contact || listed.has(contact.id) || items.length >= maxItems) continue;
    listed.add(contact.id);
    items.push({
      n: items.length + 1,
      kind: followUp.kind,
      contact: { id: contact.id, name: contact.name, emails: contact.emails },
      lastContactAt: contact.lastContactAt,
      cadenceDays: contact.cadenceDays,
      lastDirection: contact.lastDirection,
      subject: followUp.subject,
      threadId: followUp.threadId,
      since: followUp.since,
    });
  }
  const lapsed = rankLapsed(
    reachable.filter((c) => c.status === 'lapsed' && !listed.has(c.id)),
    now,
    Math.min(options.maxLapsed ?? 5, maxItems - items.length),
  );
  for (const contact of lapsed) {
    items.push({
      n: items.length + 1,
      kind: 'lapsed',
      contact: { id: contact.id, name: contact.name, emails: contact.emails },
      lastContactAt: contact.lastContactAt,
      cadenceDays: contact.cadenceDays,
      lastDirection: contact.lastDirection,
      subject: contact.lastSubject,
      threadId: contact.lastThreadId,
      since: null,
    });
  }

  const broken = facts.broken;
  const notices: AccountNotice[] = broken.map((account) => ({
    email: account.email,
    provider: account.provider,
    problem: `touchbase can no longer read ${account.email}${account.statusReason ? ` (${account.statusReason})` : ''}.${waitingReplies(account.pendingReplies)}`,
    fix: `Reconnect it: touchbase connect ${account.provider} --user ${user.email}`,
  }));

  return {
    user: { email: user.email, name: user.name, timeZone: user.timeZone },
    period,
    generatedAt: now,
    items,
    notices,
    reading: facts.reading.map((account) => toAccountReading(account, now)),
  };
}

/** `touchbase digest preview --json`. */
/** The selection settings, from the configuration. */
export function selectOptions(config: {
  GROUP_SIZE_LIMIT: number;
  OWE_REPLY_DAYS: number;
  AWAIT_REPLY_DAYS: number;
}): SelectOptions {
  return {
    groupSizeLimit: config.GROUP_SIZE_LIMIT,
    oweReplyDays: config.OWE_REPLY_DAYS,
    awaitReplyDays: config.AWAIT_REPLY_DAYS,
  };
}

export function toDigestJson(content: DigestContent) {
  return {
    period: content.period,
    items: content.items.map((item) => ({
      n: item.n,
      kind: item.kind,
      contact: { name: item.contact.name, emails: item.contact.emails },
      lastContactAt: item.lastContactAt?.toISOString() ?? null,
      ...(item.subject ? { subject: item.subject } : {}),
      ...(item.since ? { since: item.since.toISOString() } : {}),
    })),
    notices: content.notices,
    reading: content.reading,
  };
}

/** The replies to a digest that wait for a reconnect: not lost, applied once it is done. */
function waitingReplies(count: number): string {
  if (count === 0) return '';
  const replies = count === 1 ? 'Your reply to a digest is' : `${count} of your replies to a digest are`;
  return ` ${replies} kept, and will be applied once you reconnect.`;
}
