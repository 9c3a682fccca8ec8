import { DAY_MS } from '../lib/clock.ts';
import { inferCadenceDays } from './infer-cadence.ts';

/** One stored interaction between the user and one person (any of that person's addresses). */
export interface ContactInteraction {
  at: Date;
  direction: 'sent' | 'received';
  recipientCount: number;
  automatedReason: string | null;
  subject: string | null;
  threadId: string | null;
  /** The display name seen for this person in that message. */
  name: string | null;
}

export interface ContactAggregate {
  /** The user wrote to them at least once in a message that was not a group message. */
  isContact: boolean;
  name: string | null;
  firstContactAt: Date | null;
  lastContactAt: Date | null;
  lastSentAt: Date | null;
  lastReceivedAt: Date | null;
  /** Person-to-person messages only: group messages do not measure closeness. */
  sentCount: number;
  receivedCount: number;
  /** Distinct UTC days with a person-to-person message. */
  exchangeDays: number;
  inferredCadenceDays: number | null;
  lastSubject: string | null;
  lastThreadId: string | null;
  lastDirection: 'sent' | 'received' | null;
}

export const DEFAULT_GROUP_SIZE_LIMIT = 10;

/**
 * Folds every interaction with one person into their contact facts. Automated rows are ignored,
 * but for a bounce of mail to this address, which stops it becoming a contact. Group messages (more than groupSizeLimit recipients) still refresh the first/last
 * contact times and the "last message" fields, but make no contact and count towards neither the
 * counts, the exchange days nor the cadence. The result does not depend on the order of `rows`:
 * they are put in one total order first.
 */
export function aggregateContact(
  rows: readonly ContactInteraction[],
  opts: { groupSizeLimit?: number } = {},
): ContactAggregate {
  const limit = opts.groupSizeLimit ?? DEFAULT_GROUP_SIZE_LIMIT;
  // Rows without a valid time cannot be placed in the order every field below depends on.
  const ordered = rows
    .filter((row) => row.automatedReason === null && Number.isFinite(row.at.getTime()))
    .sort(compareRows);
  const personal = ordered.filter((row) => row.recipientCount <= limit);
  const last = ordered[ordered.length - 1];
  // An address mail bounced from, that never wrote back, is a typo or a dead mailbox: not a person.
  const bounced = rows.some((row) => row.automatedReason === 'bounce');
  const wroteBack = ordered.some((row) => row.direction === 'received');

  return {
    isContact: personal.some((row) => row.direction === 'sent') && (wroteBack || !bounced),
    name: mostFrequentName(ordered),
    firstContactAt: ordered[0] ? new Date(ordered[0].at.getTime()) : null,
    lastContactAt: last ? new Date(last.at.getTime()) : null,
    lastSentAt: latestAt(ordered, 'sent'),
    lastReceivedAt: latestAt(ordered, 'received'),
    sentCount: personal.filter((row) => row.direction === 'sent').length,
    receivedCount: personal.filter((row) => row.direction === 'received').length,
    exchangeDays: new Set(personal.map((row) => Math.floor(row.at.getTime() / DAY_MS))).size,
    inferredCadenceDays: inferCadenceDays(personal.map((row) => row.at)),
    lastSubject: last?.subject ?? null,
    lastThreadId: last?.threadId ?? null,
    lastDirection: last?.direction ?? null,
  };
}

/**
 * The display name seen most often; ties go to the one seen most recently (people fix their
 * names), then to the smaller string so that the answer never depends on input order.
 * Expects rows in compareRows order.
 */
function mostFrequentName(ordered: readonly ContactInteraction[]): string | null {
  const seen = new Map<string, { count: number; lastIndex: number }>();
  ordered.forEach((row, index) => {
    const name = row.name?.trim();
    if (!name) return;
    const entry = seen.get(name) ?? { count: 0, lastIndex: -1 };
    seen.set(name, { count: entry.count + 1, lastIndex: index });
  });
  let best: { name: string; count: number; at: number } | null = null;
  for (const [name, { count, lastIndex }] of seen) {
    const at = ordered[lastIndex]?.at.getTime() ?? 0;
    const better =
      best === null ||
      count > best.count ||
      (count === best.count && (at > best.at || (at === best.at && name < best.name)));
    if (better) best = { name, count, at };
  }
  return best?.name ?? null;
}

function latestAt(ordered: readonly ContactInteraction[], direction: 'sent' | 'received'): Date | null {
  for (let i = ordered.length - 1; i >= 0; i--) {
    const row = ordered[i];
    if (row?.direction === direction) return new Date(row.at.getTime());
  }
  return null;
}

/**
 * A total order on rows: time, then direction ('received' < 'sent': a reply sent in the same
 * millisecond is taken as the later message), then the remaining fields, so equal-time rows always sort the same way.
 */
function compareRows(a: ContactInteraction, b: ContactInteraction): number {
  return (
    a.at.getTime() - b.at.getTime() ||
    compareText(a.direction, b.direction) ||
    compareText(a.threadId ?? '', b.threadId ?? '') ||
    compareText(a.subject ?? '', b.subject ?? '') ||
    a.recipientCount - b.recipientCount ||
    compareText(a.name ?? '', b.name ?? '')
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
