import { contactStatus, overdueRatio, type StatusFacts, silenceDays } from './contact-status.ts';

/** What ranking needs: the status facts plus the closeness counts of ContactAggregate. */
export interface RankableContact extends StatusFacts {
  id?: string;
  name?: string | null;
  sentCount: number;
  receivedCount: number;
  exchangeDays: number;
}

/** Beyond this many thresholds of silence, being "more overdue" adds nothing. */
const MAX_OVERDUE_FACTOR = 4;
/** Someone who never wrote back still counts, at a quarter of a mutual relationship. */
const ONE_WAY_WEIGHT = 0.25;

/**
 * The lapsed contacts most worth a nudge, best first, at most `limit`. Only contacts whose status
 * is 'lapsed' at `now` are considered (muted and snoozed ones never are). The score is closeness
 * (how many days they exchanged mail, how mutual it was, how recently) times how overdue they are;
 * ties break on id, then name, so the same input always gives the same digest.
 */
export function rankLapsed<T extends RankableContact>(contacts: readonly T[], now: Date, limit: number): T[] {
  const count = Math.max(0, Math.floor(limit));
  if (count === 0) return [];
  return contacts
    .filter((c) => contactStatus(c, now) === 'lapsed')
    .map((contact) => ({ contact, score: lapseScore(contact, now) }))
    .sort((a, b) => b.score - a.score || compareIdentity(a.contact, b.contact))
    .slice(0, count)
    .map((entry) => entry.contact);
}

/** closeness × min(overdueRatio, 4); 0 for a contact with no last contact. */
export function lapseScore(c: RankableContact, now: Date): number {
  return closeness(c, now) * Math.min(overdueRatio(c, now), MAX_OVERDUE_FACTOR);
}

/**
 * Volume (log of exchange days, so a chatty month does not swamp years of steady contact) ×
 * reciprocity (min/max of sent and received) × recency (halves after a year of silence, so a
 * relationship from long ago ranks below one that has just slipped).
 */
export function closeness(c: RankableContact, now: Date): number {
  const volume = Math.log2(2 + Math.max(0, c.exchangeDays));
  const most = Math.max(c.sentCount, c.receivedCount);
  const reciprocity = most > 0 ? Math.min(c.sentCount, c.receivedCount) / most : 0;
  const silence = c.lastContactAt ? silenceDays(c.lastContactAt, now) : 0;
  const recency = 1 / (1 + silence / 365);
  return volume * (ONE_WAY_WEIGHT + (1 - ONE_WAY_WEIGHT) * reciprocity) * recency;
}

function compareIdentity(a: RankableContact, b: RankableContact): number {
  return (
    compareText(a.id ?? '', b.id ?? '') ||
    compareText(a.name ?? '', b.name ?? '') ||
    (a.lastContactAt?.getTime() ?? 0) - (b.lastContactAt?.getTime() ?? 0)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
