import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type PrismaClient, withConnection } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { aggregateContact, type ContactAggregate } from './aggregate-contact.ts';
import { InteractionGrouper, type StoredInteraction } from './group-interactions.ts';

/** The interaction fields contact recomputation reads (StoredInteraction). */
export const STORED_INTERACTION_FIELDS = {
  id: true,
  at: true,
  direction: true,
  recipientCount: true,
  automatedReason: true,
  subject: true,
  threadId: true,
  internetMessageId: true,
  counterparties: true,
  counterpartyNames: true,
  counterpartyKeys: true,
} as const;

/**
 * Recomputes the aggregates of every contact that owns one of `addresses`, and creates contacts
 * for addresses that now qualify (a two-way exchange). Aggregates are recomputed from all stored
 * interactions, never incremented, so the result does not depend on the order mail arrived in.
 * Returns how many contacts were created or updated.
 */
export async function refreshContacts(
  prisma: PrismaClient,
  userId: string,
  addresses: readonly string[],
  options: { groupSizeLimit: number; own: ReadonlySet<string>; rowsAtOnce?: number },
): Promise<number> {
  const wanted = [...new Set(addresses)].filter(
    (a) => !options.own.has(a) && !options.own.has(canonicalAddress(a)),
  );
  if (wanted.length === 0) return 0;
  const wantedKeys = [...new Set(wanted.map(canonicalAddress))];

  // Every address of every person a wanted mailbox already belongs to (a merged contact owns
  // several), in one round trip.
  const owned = await prisma.$queryRaw<{ contactId: string; address: string; canonical: string }[]>`
    SELECT a."contactId", a.address, a.canonical FROM contact_addresses a
    WHERE a."contactId" IN (
      SELECT k."contactId" FROM contact_addresses k
      WHERE k."userId" = ${userId}::uuid AND k.canonical = ANY(${wantedKeys}::text[]))`;
  const contactIds = [...new Set(owned.map((row) => row.contactId))];

  // Each group is one person, as the canonical keys of their mailboxes: a contact's, or one new mailbox.
  const groups = new Map<string, Set<string>>();
  const ownedKeys = new Set<string>();
  const ownedAddresses = new Set(owned.map((row) => row.address));
  for (const row of owned) {
    addTo(groups, row.contactId, row.canonical);
    ownedKeys.add(row.canonical);
  }
  for (const key of wantedKeys) if (!ownedKeys.has(key)) groups.set(`new:${key}`, new Set([key]));

  const { aggregates, seen } = await aggregateHistories(prisma, userId, groups, {
    groupSizeLimit: options.groupSizeLimit,
    rowsAtOnce: options.rowsAtOnce ?? ROWS_AT_ONCE,
  });
  // Variants of a known person's mailbox seen in mail (john.smith@ for johnsmith@gmail.com) join them.
  const attached: { contactId: string; address: string; canonical: string }[] = [];
  for (const contactId of contactIds) {
    for (const address of seen.get(contactId) ?? []) {
      if (!ownedAddresses.has(address))
        attached.push({ contactId, address, canonical: canonicalAddress(address) });
    }
  }

  const updates: { id: string; aggregate: ContactAggregate }[] = [];
  const creates: { id: string; addresses: string[]; aggregate: ContactAggregate }[] = [];
  const unqualified: string[] = [];
  for (const [key, set] of groups) {
    const aggregate = aggregates.get(key) ?? aggregateContact([]);
    if (key.startsWith('new:')) {
      const variants = [...(seen.get(key) ?? set)].sort();
      if (aggregate.isContact) creates.push({ id: randomUUID(), addresses: variants, aggregate });
    } else {
      updates.push({ id: key, aggregate });
      if (!aggregate.isContact) unqualified.push(key);
    }
  }
  // Mail that arrived later can undo a contact (the bounce of a typo'd address came in a later
  // page): it goes, unless the user made it theirs (muted, snoozed, a cadence, a merge).
  if (unqualified.length > 0) {
    await prisma.contact.deleteMany({
      where: {
        id: { in: unqualified },
        mutedAt: null,
        snoozedUntil: null,
        cadenceDays: null,
        addresses: { none: { source: 'merged' } },
      },
    });
  }
  if (attached.length > 0) {
    await prisma.contactAddress.createMany({
      data: attached.map((a) => ({ userId, ...a, source: 'auto-merge' })),
      skipDuplicates: true,
    });
  }
  await writeContacts(prisma, userId, creates, updates);
  return creates.length + updates.length;
}

/**
 * The user's own addresses are never contacts: when an address becomes theirs (a new account,
 * a new alias), the contact it made goes, and so does a contact left with no address.
 */
export async function forgetOwnAddresses(
  prisma: PrismaClient,
  userId: string,
  own: ReadonlySet<string>,
): Promise<void> {
  const removed = await prisma.contactAddress.deleteMany({ where: { userId, address: { in: [...own] } } });
  if (removed.count > 0) await prisma.contact.deleteMany({ where: { userId, addresses: { none: {} } } });
}

/** Interactions held in memory at once by a recompute (about 6 MB, and the JSON text they arrive as). */
export const ROWS_AT_ONCE = 10_000;

/**
 * Each person's aggregate, and the addresses they were seen with, reading their histories a part
 * at a time. The ids come first, per key, so each part holds at most `rowsAtOnce` interactions,
 * counted, not estimated: the batch was packed from the contacts' counts as last recomputed, and
 * a fast backfill's mailbox may have grown a hundredfold since (decision 0010). A person with more
 * history than that is a part of their own. Only the part being aggregated is held.
 */
async function aggregateHistories(
  prisma: PrismaClient,
  userId: string,
  groups: ReadonlyMap<string, ReadonlySet<string>>,
  options: { groupSizeLimit: number; rowsAtOnce: number },
): Promise<{ aggregates: Map<string, ContactAggregate>; seen: Map<string, Set<string>> }> {
  const keys = new Set<string>();
  for (const set of groups.values()) for (const key of set) keys.add(key);
  // One connection and one transaction for the ids and every part's rows, with the plan pinned:
  // the rows are those of the ids read, as of one snapshot.
  return withConnection(prisma, (connection) =>
    withPinnedPlan(connection, async () => {
      const idsByKey = await historyIds(connection, userId, [...keys]);
      const aggregates = new Map<string, ContactAggregate>();
      const seen = new Map<string, Set<string>>();
      for (const part of historyParts(groups, idsByKey, options.rowsAtOnce)) {
        const grouper = new InteractionGrouper(part.groups);
        await readRows(connection, part.ids, (rows) => grouper.add(rows));
        const { byPerson, addresses } = grouper.result();
        for (const person of part.groups.keys()) {
          aggregates.set(
            person,
            aggregateContact(byPerson.get(person) ?? [], { groupSizeLimit: options.groupSizeLimit }),
          );
          seen.set(person, addresses.get(person) ?? new Set());
        }
      }
      return { aggregates, seen };
    }),
  );
}

/**
 * Cuts people (each the keys of their mailboxes) into parts whose histories, `idsByKey`, hold at
 * most `limit` interactions together; a person over the limit is a part alone. Each part's ids
 * are distinct (a message naming two of its keys is read once). People stay in their order.
 */
export function historyParts(
  groups: ReadonlyMap<string, ReadonlySet<string>>,
  idsByKey: ReadonlyMap<string, readonly number[]>,
  limit: number,
): { groups: Map<string, ReadonlySet<string>>; ids: number[] }[] {
  const parts: { groups: Map<string, ReadonlySet<string>>; ids: Set<number> }[] = [];
  let part = { groups: new Map<string, ReadonlySet<string>>(), ids: new Set<number>() };
  for (const [person, keys] of groups) {
    const history = new Set<number>();
    for (const key of keys) for (const id of idsByKey.get(key) ?? []) history.add(id);
    if (part.groups.size > 0 && part.ids.size + history.size > limit) {
      parts.push(part);
      part = { groups: new Map(), ids: new Set() };
    }
    part.groups.set(person, keys);
    for (const id of history) part.ids.add(id);
  }
  if (part.groups.size > 0) parts.push(part);
  return parts.map((p) => ({ groups: p.groups, ids: [...p.ids] }));
}

/**
 * Runs `work` in a read-only transaction whose plan is pinned (docs/decisions/0010, 0022); the
 * recompute's two reads, HISTORY_IDS and READ_ROWS, run in it. Left to itself the planner prices
 * `&&` against a few hundred keys as cheap per row, where it costs about 10 µs: with fresh
 * statistics it picks a sequential scan (0.9 s for a batch on a 100k mailbox, against 0.08 s),
 * and with the statistics a backfill leaves behind (the table grew since the last ANALYZE) it
 * picks the ("userId", …) btree and rechecks `&&` on every row of the mailbox. The rows by id went
 * the same way: a sequential scan of the whole mailbox for each slice of 5,000 ids (17 ms at 100k
 * messages, against 9.5 ms by the primary key). So sequential scans and plain index scans are
 * off, and bitmap scans are the only path left (HISTORY_IDS's user condition is written so that
 * no btree can serve it: IS NOT DISTINCT FROM is never an index condition). JIT is off too:
 * disabled scans carry a huge nominal cost that would otherwise compile the query. A failure
 * leaves the transaction open: withConnection then closes the connection.
 */
export async function withPinnedPlan<T>(connection: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  // One round trip (no parameters: the simple protocol takes several statements).
  await connection.query(
    'BEGIN READ ONLY; SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL jit = off',
  );
  const result = await work();
  await connection.query('COMMIT');
  return result;
}

/**
 * The ids of the interactions naming each of `keys` (in withPinnedPlan's transaction). Raw SQL: with
 * the reads below, this dominates a backfill.
 *
 * The GIN index is asked one key at a time: one `&&` scan with 500 keys checks every matching
 * row against all 500 (80 ms for a batch of 20,000 rows), 500 one-key scans take 30 ms.
 */
async function historyIds(
  connection: pg.PoolClient,
  userId: string,
  keys: readonly string[],
): Promise<Map<string, number[]>> {
  const { rows } = await connection.query<{ key: string; ids: string }>(HISTORY_IDS, [userId, keys]);
  // One text per key, not an array: the client decodes a bigint[] element by element. Held as
  // numbers (exact below 2^53), a fifth of the memory of as many short strings.
  return new Map(rows.map((row) => [row.key, row.ids.split(',').map(Number)]));
}

/**
 * The interactions with these ids, with only the fields recomputation reads, READ_SLICE at a time,
 * each slice as one JSON document (arrays of arrays) that JSON.parse decodes natively: the
 * client's per-row and per-array decoding cost more than Postgres's whole query did. A close
 * contact's history can be tens of thousands of rows (67,000 at 1M messages): read as one JSON
 * text it was 30 MB of text and as much again parsed, at once. Each slice is handed to `onSlice`
 * and then dropped: only what the caller keeps of it is held (InteractionGrouper keeps the fields
 * an aggregate reads).
 */
async function readRows(
  connection: pg.PoolClient,
  ids: readonly number[],
  onSlice: (rows: StoredInteraction[]) => void,
): Promise<void> {
  for (let start = 0; start < ids.length; start += READ_SLICE) {
    const slice = await connection.query<{ doc: string }>(READ_ROWS, [
      ids.slice(start, start + READ_SLICE).join(','),
    ]);
    onSlice((JSON.parse(slice.rows[0]?.doc ?? '[]') as StoredRowTuple[]).map(toStoredInteraction));
  }
}

/** Rows decoded from one JSON text at a time (about 2 MB of it). At 10,000 the 1M backfill peaked at 286 MB. */
const READ_SLICE = 5_000;

/** Each key ($2) that names any interaction, with their ids, comma-separated: one GIN lookup per key. */
const HISTORY_IDS = `
  SELECT k.key, string_agg(i.id::text, ',') AS ids FROM unnest($2::text[]) AS k(key)
  JOIN interactions i ON i."counterpartyKeys" && ARRAY[k.key]
  WHERE i."userId" IS NOT DISTINCT FROM $1::uuid
  GROUP BY k.key`;

// Each field in the form Postgres writes fastest (a third less time than the plain columns): the
// time as a float8 (date_part, where extract's numeric is slower; rounded, since epoch seconds
// times 1,000 is not always a whole float), the direction as a boolean (an enum is looked up
// per row), and the canonical keys only where they differ from the addresses (a sixth of rows).
const READ_ROWS = `
  SELECT coalesce(json_agg(json_build_array(
    id::text, round(date_part('epoch', at) * 1000), direction = 'sent', "recipientCount",
    "automatedReason", subject, "threadId", "internetMessageId", counterparties,
    "counterpartyNames",
    CASE WHEN "counterpartyKeys" = counterparties THEN NULL ELSE "counterpartyKeys" END)), '[]')::text AS doc
  FROM interactions WHERE id = ANY (string_to_array($1, ',')::bigint[])`;

/** The recompute's reads, for the test that withPinnedPlan keeps them on their indexes (test/integration/contact-read-plan.test.ts). */
export const HISTORY_READS = { ids: HISTORY_IDS, rows: READ_ROWS } as const;

type StoredRowTuple = [
  id: string,
  atMs: number,
  sent: boolean,
  recipientCount: number,
  automatedReason: string | null,
  subject: string | null,
  threadId: string | null,
  internetMessageId: string | null,
  counterparties: string[] | null,
  counterpartyNames: string[] | null,
  /** Null where they are the counterparties themselves. */
  counterpartyKeys: string[] | null,
];

function toStoredInteraction(row: StoredRowTuple): StoredInteraction {
  return {
    id: row[0],
    at: new Date(row[1]),
    direction: row[2] ? 'sent' : 'received',
    recipientCount: row[3],
    automatedReason: row[4],
    subject: row[5],
    threadId: row[6],
    internetMessageId: row[7],
    counterparties: row[8] ?? [],
    counterpartyNames: row[9] ?? [],
    counterpartyKeys: row[10] ?? row[8] ?? [],
  };
}

function addTo(groups: Map<string, Set<string>>, key: string, address: string): void {
  const set = groups.get(key) ?? new Set<string>();
  set.add(address);
  groups.set(key, set);
}

async function writeContacts(
  prisma: PrismaClient,
  userId: string,
  creates: { id: string; addresses: string[]; aggregate: ContactAggregate }[],
  updates: { id: string; aggregate: ContactAggregate }[],
): Promise<void> {
  if (creates.length === 0 && updates.length === 0) return;
  // Straight to the connection, each list as one JSON document: through the client, creating a
  // first backfill's few thousand contacts cost seconds of per-row parameter handling.
  await withConnection(prisma, async (connection) => {
    if (creates.length > 0) {
      const payload = creates.map((c) => ({
        id: c.id,
        ...aggregateColumns(c.aggregate),
        // Variants of one mailbox seen together: the first is the person, the rest joined them.
        addresses: c.addresses.map((address, index) => ({
          address,
          canonical: canonicalAddress(address),
          source: index === 0 ? 'seen' : 'auto-merge',
        })),
      }));
      const { rows } = await connection.query<{ claimed: string[] }>(CREATE_CONTACTS, [
        userId,
        JSON.stringify(payload),
      ]);
      // Another worker created the same person a moment ago: drop our copy, theirs stands.
      const kept = new Set(rows[0]?.claimed ?? []);
      const orphans = creates.filter((c) => !kept.has(c.id)).map((c) => c.id);
      if (orphans.length > 0)
        await connection.query('DELETE FROM contacts WHERE id = ANY($1::uuid[])', [orphans]);
    }
    if (updates.length > 0) {
      // One statement for every updated contact, however many a page touched.
      const payload = updates.map((u) => ({ id: u.id, ...aggregateColumns(u.aggregate) }));
      await connection.query(UPDATE_CONTACTS, [userId, JSON.stringify(payload)]);
    }
  });
}

/** The aggregate columns as jsonb_to_recordset reads them, for CREATE_CONTACTS and UPDATE_CONTACTS. */
const AGGREGATE_RECORD = `
  name text, "firstContactAt" timestamp(3), "lastContactAt" timestamp(3), "lastSentAt" timestamp(3),
  "lastReceivedAt" timestamp(3), "sentCount" int, "receivedCount" int, "exchangeDays" int,
  "inferredCadenceDays" int, "lastSubject" text, "lastThreadId" text`;

const CREATE_CONTACTS = `
  WITH v AS (
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS v(id uuid, addresses jsonb, ${AGGREGATE_RECORD})),
  created AS (
    INSERT INTO contacts (id, "userId", name, "firstContactAt", "lastContactAt", "lastSentAt",
      "lastReceivedAt", "sentCount", "receivedCount", "exchangeDays", "inferredCadenceDays",
      "lastSubject", "lastThreadId", "updatedAt")
    SELECT v.id, $1::uuid, v.name, v."firstContactAt", v."lastContactAt", v."lastSentAt",
      v."lastReceivedAt", v."sentCount", v."receivedCount", v."exchangeDays",
      v."inferredCadenceDays", v."lastSubject", v."lastThreadId", now()
    FROM v),
  claimed AS (
    INSERT INTO contact_addresses (id, "userId", "contactId", address, canonical, source)
    SELECT gen_random_uuid(), $1::uuid, v.id, a.address, a.canonical, a.source
    FROM v, jsonb_to_recordset(v.addresses) AS a(address text, canonical text, source text)
    ON CONFLICT DO NOTHING
    RETURNING "contactId")
  SELECT ARRAY(SELECT DISTINCT "contactId"::text FROM claimed) AS claimed`;

const UPDATE_CONTACTS = `
  UPDATE contacts AS c SET
    name = COALESCE(v.name, c.name),
    "firstContactAt" = v."firstContactAt",
    "lastContactAt" = v."lastContactAt",
    "lastSentAt" = v."lastSentAt",
    "lastReceivedAt" = v."lastReceivedAt",
    "sentCount" = v."sentCount",
    "receivedCount" = v."receivedCount",
    "exchangeDays" = v."exchangeDays",
    "inferredCadenceDays" = v."inferredCadenceDays",
    "lastSubject" = v."lastSubject",
    "lastThreadId" = v."lastThreadId",
    "updatedAt" = now()
  FROM jsonb_to_recordset($2::jsonb) AS v(id uuid, ${AGGREGATE_RECORD})
  WHERE c.id = v.id AND c."userId" = $1::uuid`;

function aggregateColumns(a: ContactAggregate) {
  return {
    name: a.name,
    firstContactAt: a.firstContactAt,
    lastContactAt: a.lastContactAt,
    lastSentAt: a.lastSentAt,
    lastReceivedAt: a.lastReceivedAt,
    sentCount: a.sentCount,
    receivedCount: a.receivedCount,
    exchangeDays: a.exchangeDays,
    inferredCadenceDays: a.inferredCadenceDays,
    lastSubject: a.lastSubject,
    lastThreadId: a.lastThreadId,
  };
}
