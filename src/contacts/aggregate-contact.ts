import { DAY_MS } from '../lib/clock.ts';
import { cadenceOfSortedTimes } from './infer-cadence.ts';

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
  const ordered: ContactInteraction[] = [];
  // An address mail bounced from, that never wrote back, is a typo or a dead mailbox: not a person.
  let bounced = false;
  for (const row of rows) {
    if (row.automatedReason === 'bounce') bounced = true;
    if (row.automatedReason === null && Number.isFinite(row.at.getTime())) ordered.push(row);
  }
  ordered.sort(compareRows);

  // One pass in order. Person-to-person rows (at most `limit` recipients) come in time order, so
  // their times are already sorted for the cadence and their days counted as they change.
  let wroteBack = false;
  let lastSent: ContactInteraction | undefined;
  let lastReceived: ContactInteraction | undefined;
  let sentCount = 0;
  let receivedCount = 0;
  let exchangeDays = 0;
  let lastDay = Number.NaN;
  const personalTimes: number[] = [];
  // The display name seen most often; ties go to the one seen most recently (people fix their
  // names), then to the smaller string, so that the answer never depends on input order.
  const names = new Map<string, NameTally>();
  for (const row of ordered) {
    const ms = row.at.getTime();
    if (row.direction === 'sent') lastSent = row;
    else {
      lastReceived = row;
      wroteBack = true;
    }
    const name = row.name?.trim();
    if (name) {
      const entry = names.get(name);
      if (entry) {
        entry.count += 1;
        entry.lastAt = ms;
      } else names.set(name, { count: 1, lastAt: ms });
    }
    if (row.recipientCount > limit) continue;
    if (row.direction === 'sent') sentCount += 1;
    else receivedCount += 1;
    const day = Math.floor(ms / DAY_MS);
    if (day !== lastDay) exchangeDays += 1;
    lastDay = day;
    personalTimes.push(ms);
  }
  const first = ordered[0];
  const last = ordered[ordered.length - 1];

  return {
    isContact: sentCount > 0 && (wroteBack || !bounced),
    name: mostFrequentName(names),
    firstContactAt: first ? new Date(first.at.getTime()) : null,
    lastContactAt: last ? new Date(last.at.getTime()) : null,
    lastSentAt: lastSent ? new Date(lastSent.at.getTime()) : null,
    lastReceivedAt: lastReceived ? new Date(lastReceived.at.getTime()) : null,
    sentCount,
    receivedCount,
    exchangeDays,
    inferredCadenceDays: cadenceOfSortedTimes(personalTimes),
    lastSubject: last?.subject ?? null,
    lastThreadId: last?.threadId ?? null,
    lastDirection: last?.direction ?? null,
  };
}

/** How often a display name was seen, and the time of its latest message (ms). */
interface NameTally {
  count: number;
  lastAt: number;
}

function mostFrequentName(names: ReadonlyMap<string, NameTally>): string | null {
  let best: { name: string; count: number; at: number } | null = null;
  for (const [name, { count, lastAt }] of names) {
    const better =
      best === null ||
      count > best.count ||
      (count === best.count && (lastAt > best.at || (lastAt === best.at && name < best.name)));
    if (better) best = { name, count, at: lastAt };
  }
  return best?.name ?? null;
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
