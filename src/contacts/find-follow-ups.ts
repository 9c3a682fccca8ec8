import { DAY_MS } from '../lib/clock.ts';

/** One message of a thread, as stored (see InteractionFacts). */
export interface ThreadMessage {
  threadId: string;
  at: Date;
  direction: 'sent' | 'received';
  fromAddress: string | null;
  counterparties: string[];
  subject: string | null;
  automatedReason: string | null;
  recipientCount: number;
  /** Received: the user was in To, not only Cc. */
  addressedToUser: boolean;
}

export interface FollowUp {
  /** owe-reply: they wrote last and wait for the user; awaiting-reply: the other way round. */
  kind: 'owe-reply' | 'awaiting-reply';
  address: string;
  threadId: string;
  subject: string | null;
  /** When the unanswered message was sent or received. */
  since: Date;
}

export interface FollowUpOptions {
  /** A received message is owed a reply after this many days (default 2). */
  oweAfterDays?: number;
  /** A sent message is awaiting a reply after this many days (default 7). */
  awaitAfterDays?: number;
  /** Threads quiet for longer than this are over, not pending. */
  maxAgeDays?: number;
  groupSizeLimit?: number;
}

/**
 * The replies the user owes and awaits, oldest first (at most one per thread). Only the latest
 * non-automated message of a thread matters: if a contact wrote it to the user alone or a small
 * group more than oweAfterDays ago, the user owes a reply; if the user wrote it to a few people,
 * at least one a contact, more than awaitAfterDays ago, the user awaits one (from the first such
 * contact, To before Cc) - but only in a thread nobody has answered yet: the user's "Re:" that
 * ends a conversation is a close, not a question waiting. A later message in the thread, either
 * way, settles the earlier ones.
 */
export function findFollowUps(
  threads: readonly (readonly ThreadMessage[])[],
  isContact: (address: string) => boolean,
  now: Date,
  opts: FollowUpOptions = {},
): FollowUp[] {
  const oweAfterMs = (opts.oweAfterDays ?? 2) * DAY_MS;
  const awaitAfterMs = (opts.awaitAfterDays ?? 7) * DAY_MS;
  const maxAgeMs = (opts.maxAgeDays ?? 30) * DAY_MS;
  const groupSizeLimit = opts.groupSizeLimit ?? 10;

  const result: FollowUp[] = [];
  for (const thread of threads) {
    const last = latestPersonalMessage(thread);
    if (!last) continue;
    const age = now.getTime() - last.at.getTime();
    if (age > maxAgeMs || last.recipientCount > groupSizeLimit) continue;
    const base = { threadId: last.threadId, subject: last.subject, since: new Date(last.at.getTime()) };
    if (last.direction === 'received') {
      // Cc'd is informed, not asked: only mail addressed to the user directly is owed a reply.
      if (
        age > oweAfterMs &&
        last.addressedToUser &&
        last.fromAddress !== null &&
        isContact(last.fromAddress)
      ) {
        result.push({ kind: 'owe-reply', address: last.fromAddress, ...base });
      }
    } else if (age > awaitAfterMs && !hasPersonalReply(thread)) {
      const address = last.counterparties.find((candidate) => isContact(candidate));
      if (address !== undefined) result.push({ kind: 'awaiting-reply', address, ...base });
    }
  }
  return result.sort(compareFollowUps);
}

/** Someone (not an auto-reply) wrote in the thread: it is a conversation, not an open question. */
function hasPersonalReply(thread: readonly ThreadMessage[]): boolean {
  return thread.some((message) => message.automatedReason === null && message.direction === 'received');
}

/**
 * The latest message that is not automated, so an auto-reply or a list copy never decides who
 * owes whom. At the same instant a sent message is taken as the later one (it is the answer).
 */
function latestPersonalMessage(thread: readonly ThreadMessage[]): ThreadMessage | undefined {
  let latest: ThreadMessage | undefined;
  for (const message of thread) {
    if (message.automatedReason !== null || !Number.isFinite(message.at.getTime())) continue;
    const diff = latest === undefined ? 1 : message.at.getTime() - latest.at.getTime();
    if (diff > 0 || (diff === 0 && message.direction === 'sent' && latest?.direction === 'received')) {
      latest = message;
    }
  }
  return latest;
}

function compareFollowUps(a: FollowUp, b: FollowUp): number {
  return (
    a.since.getTime() - b.since.getTime() ||
    compareText(a.kind, b.kind) ||
    compareText(a.address, b.address) ||
    compareText(a.threadId, b.threadId)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
