import type { StoredThreadMessage } from '../contacts/collect-threads.ts';
import type { ContactRow } from '../contacts/list-contacts.ts';
import type { PrismaClient } from '../lib/prisma.ts';

export interface DigestFacts {
  /** Contacts not muted, with their addresses. */
  contacts: ContactRow[];
  /** Every message of every thread active since the window start. */
  threads: StoredThreadMessage[];
  dismissals: { threadId: string; upTo: Date }[];
  /** Accounts that need reconnecting, with the replies to a digest that wait for it. */
  broken: {
    email: string;
    provider: 'gmail' | 'outlook';
    statusReason: string | null;
    pendingReplies: number;
  }[];
  /** Connected accounts whose first backfill is not done: the digest is drawn from part of their mail. */
  reading: {
    email: string;
    provider: 'gmail' | 'outlook';
    backfillListed: number;
    backfillTotal: number | null;
    backfillStartedAt: Date | null;
  }[];
}

/**
 * Everything one digest is selected from, in ONE statement (five JSON arrays). Six ORM queries
 * cost ~12 ms of client CPU per digest, a ceiling of ~70 digests/s per process; one statement
 * costs ~3 ms (npm run bench -- digest). Threads are read whole: a reply just inside the window
 * to a message just outside it still settles the thread.
 */
export async function loadDigestFacts(
  prisma: PrismaClient,
  userId: string,
  since: Date,
): Promise<DigestFacts> {
  const rows = await prisma.$queryRawUnsafe<
    Record<'contacts' | 'threads' | 'dismissals' | 'broken' | 'reading', string>[]
  >(DIGEST_FACTS_SQL, userId, since);
  const row = rows[0];
  const parse = <T>(text: string | undefined) => JSON.parse(text ?? '[]', reviveDates) as T[];
  return {
    contacts: parse<ContactRow>(row?.contacts),
    threads: parse<StoredThreadMessage>(row?.threads),
    dismissals: parse<{ threadId: string; upTo: Date }>(row?.dismissals),
    broken: parse<DigestFacts['broken'][number]>(row?.broken),
    reading: parse<DigestFacts['reading'][number]>(row?.reading),
  };
}

const CONTACTS = `SELECT c.id, c.name, c."firstContactAt", c."lastContactAt", c."lastSentAt", c."lastReceivedAt",
    c."sentCount", c."receivedCount", c."exchangeDays", c."inferredCadenceDays", c."cadenceDays",
    c."lastSubject", c."lastThreadId", c."mutedAt", c."snoozedUntil",
    COALESCE(array_agg(a.address ORDER BY a.address) FILTER (WHERE a.address IS NOT NULL), '{}') AS emails
  FROM contacts c
  LEFT JOIN contact_addresses a ON a."contactId" = c.id AND a."userId" = c."userId"
  WHERE c."userId" = $1::uuid AND c."mutedAt" IS NULL
  GROUP BY c.id`;

const THREADS = `SELECT "threadId", "internetMessageId", at, direction::text AS direction, "fromAddress",
    counterparties, subject, "automatedReason", "recipientCount", "addressedToUser"
  FROM interactions
  WHERE "userId" = $1::uuid AND "threadId" IN (
    SELECT "threadId" FROM interactions WHERE "userId" = $1::uuid AND at >= $2 AND "threadId" IS NOT NULL)`;

const DISMISSALS = `SELECT "threadId", "upTo" FROM follow_up_dismissals WHERE "userId" = $1::uuid`;

const BROKEN = `SELECT email, provider::text AS provider, "statusReason",
    (SELECT count(*) FROM pending_digest_replies p WHERE p."accountId" = m.id)::int AS "pendingReplies"
  FROM mail_accounts m WHERE "userId" = $1::uuid AND status = 'NEEDS_RECONNECT'`;

// Never synced to the end, as readingAccounts (src/sync/backfill-progress.ts) reads them: a
// resync reads again into rows that are already there, so only a first backfill leaves the
// digest short of mail.
const READING = `SELECT email, provider::text AS provider, "backfillListed", "backfillTotal",
    "backfillStartedAt"
  FROM mail_accounts WHERE "userId" = $1::uuid AND status = 'ACTIVE'
    AND "backfillDoneAt" IS NULL AND "lastSyncedAt" IS NULL
  ORDER BY email`;

const DIGEST_FACTS_SQL = `SELECT
  (SELECT COALESCE(json_agg(x), '[]') FROM (${CONTACTS}) x)::text AS contacts,
  (SELECT COALESCE(json_agg(x), '[]') FROM (${THREADS}) x)::text AS threads,
  (SELECT COALESCE(json_agg(x), '[]') FROM (${DISMISSALS}) x)::text AS dismissals,
  (SELECT COALESCE(json_agg(x), '[]') FROM (${BROKEN}) x)::text AS broken,
  (SELECT COALESCE(json_agg(x), '[]') FROM (${READING}) x)::text AS reading`;

const DATE_FIELDS = new Set([
  'firstContactAt',
  'lastContactAt',
  'lastSentAt',
  'lastReceivedAt',
  'mutedAt',
  'snoozedUntil',
  'at',
  'upTo',
  'backfillStartedAt',
]);

/** Prisma's columns are `timestamp(3)` holding UTC: JSON gives them without a zone. */
function reviveDates(key: string, value: unknown): unknown {
  return DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(`${value}Z`) : value;
}
