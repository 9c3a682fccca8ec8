import { setImmediate } from 'node:timers/promises';
import { BinaryCopyRows } from '../lib/pg-binary-copy.ts';
import { copyIn } from '../lib/pg-copy-in.ts';
import { type PrismaClient, withConnection } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { type InteractionFacts, normalizeOwn, toInteractionFacts } from '../mail/to-interaction.ts';
import type { MessageMeta } from '../providers/types.ts';

/**
 * Stores one page of messages as interactions, by one COPY. A message already stored (same
 * account and provider id) is skipped, so storing a page twice changes nothing. Returns the
 * counterparties of the new person-to-person rows (and of bounces): the contacts to recompute.
 * The same statement marks them dirty (dirty_addresses, by a trigger), so a worker killed before
 * the recompute leaves them for the next one (refreshDirtyContacts) instead of stale forever.
 *
 * A page is one statement: the backfill stores a page while the next one is built and sent
 * (StorePipeline, docs/decisions/0018), so two statements run at once already. Halves on two
 * connections on top of that made four, which contended for the same index pages: 20% more of
 * Postgres's CPU (docs/decisions/0020). The rows are written in key order (sorted by provider
 * id), then the dirty marks in address order, so pages stored at the same time and the
 * recompute's clearing of dirty marks can wait on each other but never deadlock.
 */
export async function storeInteractions(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  messages: readonly MessageMeta[],
  own: ReadonlySet<string>,
): Promise<{ inserted: number; touchedAddresses: string[] }> {
  if (messages.length === 0) return { inserted: 0, touchedAddresses: [] };
  const rows = building.then(() => pageRows(owner, messages, own));
  building = rows.then(
    () => {},
    () => {},
  );
  const stored = await sendPage(prisma, owner, messages, own, await rows);
  return { inserted: stored?.inserted ?? 0, touchedAddresses: stored?.touched ?? [] };
}

/**
 * Judges stored rows again against the user's own addresses as now known. A row's facts are fixed
 * from the own addresses known when it is stored, and an alias may be learnt only later, from the
 * Sent mail a backfill reads after mail to it, or as the address of an account connected later.
 * Received rows none of them was in the To of (their `toKeys`) become addressed to the user where
 * one now is, and own addresses leave the counterparties of every row: each row ends as it would
 * have been stored had the address been known (docs/decisions/0003). Returns the rows changed.
 * Contacts need no recompute: a recompute leaves own addresses out already.
 */
export async function judgeAgainAsOwn(
  prisma: PrismaClient,
  userId: string,
  own: ReadonlySet<string>,
): Promise<number> {
  // The own addresses as toInteractionFacts judges them: each normalised, and its canonical key.
  // Stored keys are canonical, so only the canonical ones can match.
  const ownKeys = [...normalizeOwn(own)];
  if (ownKeys.length === 0) return 0;
  return prisma.$transaction(async (tx) => {
    // One judge per user at a time: two accounts learning aliases at once would otherwise update
    // the same rows in different orders and deadlock.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`judge-own:${userId}`}))`;
    const addressed = await tx.$executeRaw`
      UPDATE interactions SET "addressedToUser" = true, "toKeys" = NULL
      WHERE "userId" = ${userId}::uuid AND "toKeys" && ${ownKeys}::text[]`;
    // The three arrays are aligned: each keeps the entries whose key is not the user's, in order.
    const counterparties = await tx.$executeRaw`
      UPDATE interactions SET
        counterparties = ARRAY(SELECT u.c FROM unnest(counterparties, "counterpartyNames", "counterpartyKeys")
          WITH ORDINALITY AS u(c, n, k, o) WHERE u.k <> ALL(${ownKeys}::text[]) ORDER BY u.o),
        "counterpartyNames" = ARRAY(SELECT u.n FROM unnest(counterparties, "counterpartyNames", "counterpartyKeys")
          WITH ORDINALITY AS u(c, n, k, o) WHERE u.k <> ALL(${ownKeys}::text[]) ORDER BY u.o),
        "counterpartyKeys" = ARRAY(SELECT u.k FROM unnest(counterparties, "counterpartyNames", "counterpartyKeys")
          WITH ORDINALITY AS u(c, n, k, o) WHERE u.k <> ALL(${ownKeys}::text[]) ORDER BY u.o)
      WHERE "userId" = ${userId}::uuid AND "counterpartyKeys" && ${ownKeys}::text[]`;
    return addressed + counterparties;
  });
}

/**
 * The end of the page being built in this process, if any: each page's building begins once the
 * page before it is built. Building is synchronous work, done a slice at a time (pageRows); two
 * pages built at once, their slices in turn, both finish late. A backfill's pages then went to
 * Postgres in pairs, and Node and Postgres took turns instead of working at the same time
 * (docs/decisions/0021).
 */
let building: Promise<void> = Promise.resolve();

/** What a page stored: how many rows, and the addresses it marked dirty. */
interface PageResult {
  inserted: number;
  touched: string[];
}

/** A page's rows as COPY data, and the addresses they mark dirty when all of them are new. */
interface PageRows {
  data: Buffer;
  touched: string[];
}

/**
 * A page's rows in COPY's binary format, sorted by provider id (the lock order), built a slice
 * at a time with a turn of the event loop between: this is the store's synchronous work, and a
 * provider reading ahead (each Outlook folder's next page waits for the answer before it) must
 * not wait behind a whole page of it.
 */
async function pageRows(
  owner: { userId: string; accountId: string },
  messages: readonly MessageMeta[],
  own: ReadonlySet<string>,
): Promise<PageRows> {
  const sorted = messages.toSorted(byProviderId);
  // About 420 bytes a row in the bench mailbox: room for most pages without growing.
  const rows = new BinaryCopyRows(512 * sorted.length);
  const touched = new Set<string>();
  for (let start = 0; start < sorted.length; start += SLICE) {
    if (start > 0) await setImmediate();
    for (const meta of sorted.slice(start, start + SLICE)) {
      const facts = toInteractionFacts(meta, own);
      writeRow(rows, owner, meta, facts);
      if (facts.automatedReason === null || facts.automatedReason === 'bounce')
        for (const address of facts.counterparties) touched.add(address);
    }
  }
  return { data: rows.finish(), touched: [...touched] };
}

/** One interaction in COPY_PAGE's column order. */
function writeRow(
  rows: BinaryCopyRows,
  owner: { userId: string; accountId: string },
  meta: MessageMeta,
  facts: InteractionFacts,
): void {
  rows.row(COPY_COLUMNS);
  rows.uuid(owner.userId);
  rows.uuid(owner.accountId);
  rows.text(meta.providerId);
  rows.text(meta.threadId);
  rows.text(meta.internetMessageId);
  rows.text(meta.inReplyTo);
  rows.timestamp(meta.at.getTime());
  rows.text(facts.direction);
  rows.text(facts.fromAddress);
  rows.text(facts.fromName);
  rows.textArray(facts.counterparties);
  rows.textArray(facts.counterpartyNames);
  rows.textArray(facts.counterparties.map(canonicalAddress));
  rows.int4(facts.recipientCount);
  rows.bool(facts.addressedToUser);
  rows.textArray(facts.toKeys.length > 0 ? facts.toKeys : null);
  rows.text(meta.subject);
  rows.text(facts.automatedReason);
}

/**
 * Stores a page: its rows by one COPY, which also marks their people dirty (a trigger, migration
 * 20261204120000_interactions_mark_dirty). COPY has no ON CONFLICT, so a page some of whose
 * messages are stored already (a page stored again after a worker was killed, a message listed
 * twice) fails as a whole, stores nothing, and goes again as one INSERT that skips them. COPY
 * because Postgres takes binary rows for much less CPU than the JSON the statement unpacks
 * (docs/decisions/0020); the statement stays for the rare page that needs it.
 */
async function sendPage(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  messages: readonly MessageMeta[],
  own: ReadonlySet<string>,
  rows: PageRows,
): Promise<PageResult | undefined> {
  // Straight to the connection (withConnection): the client's handling of a big parameter and of
  // a RETURNING list cost more than the insert itself.
  return withConnection(prisma, async (connection) => {
    try {
      const inserted = await copyIn(connection, COPY_PAGE, rows.data);
      return { inserted, touched: rows.touched };
    } catch (error) {
      if (!isStoredAlready(error)) throw error;
    }
    const { rows: result } = await connection.query<PageResult>({
      name: 'store-interactions',
      text: STORE_PAGE,
      values: [owner.userId, owner.accountId, await pageJson(messages, own)],
    });
    return result[0];
  });
}

function isStoredAlready(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    error.code === UNIQUE_VIOLATION &&
    'constraint' in error &&
    error.constraint === 'interactions_accountId_providerMessageId_key'
  );
}

const UNIQUE_VIOLATION = '23505';

/**
 * Code-unit order, the lock order. STORE_PAGE sorts by bytes (COLLATE "C"): the same order for the
 * ASCII ids Gmail and Graph give.
 */
function byProviderId(a: MessageMeta, b: MessageMeta): number {
  return a.providerId < b.providerId ? -1 : a.providerId > b.providerId ? 1 : 0;
}

const COPY_COLUMNS = 18;

const COPY_PAGE = `COPY interactions (
  "userId", "accountId", "providerMessageId", "threadId", "internetMessageId", "inReplyTo", at,
  direction, "fromAddress", "fromName", counterparties, "counterpartyNames", "counterpartyKeys",
  "recipientCount", "addressedToUser", "toKeys", subject, "automatedReason") FROM STDIN (FORMAT binary)`;

/** Messages turned into rows between two turns of the event loop (a few milliseconds of work). */
const SLICE = 200;

/**
 * A page's rows as one JSON array for STORE_PAGE, built a slice at a time with a turn of the
 * event loop between, as pageRows.
 */
async function pageJson(messages: readonly MessageMeta[], own: ReadonlySet<string>): Promise<string> {
  const texts: string[] = [];
  for (let start = 0; start < messages.length; start += SLICE) {
    if (start > 0) await setImmediate();
    texts.push(sliceJson(messages.slice(start, start + SLICE), own));
  }
  return `[${texts.join(',')}]`;
}

/**
 * The rows of some messages as a JSON array's items (without its brackets): one JSON document
 * per page travels as one parameter, which Postgres unpacks itself (text[] columns included).
 * jsonb refuses a lone UTF-16 surrogate (a header cut mid-character) and NUL, which
 * JSON.stringify writes as \udXXX and \u0000 escapes and never otherwise: the replacer (a call
 * per value) runs only for a slice that has one, and stores each as U+FFFD, as COPY does.
 */
function sliceJson(messages: readonly MessageMeta[], own: ReadonlySet<string>): string {
  const records = messages.map((meta) => {
    const facts = toInteractionFacts(meta, own);
    const keys = facts.counterparties.map(canonicalAddress);
    // Absent, not null, where a field is empty or its usual value (JSON.stringify leaves out
    // undefined): a smaller text to send and to parse. STORE_PAGE puts the values back.
    return {
      p: meta.providerId,
      t: meta.threadId ?? undefined,
      m: meta.internetMessageId ?? undefined,
      r: meta.inReplyTo ?? undefined,
      // Epoch milliseconds: a Date's toJSON was half of this function's JSON text time.
      at: meta.at.getTime(),
      out: facts.direction === 'sent' ? true : undefined,
      fa: facts.fromAddress ?? undefined,
      fn: facts.fromName ?? undefined,
      c: facts.counterparties,
      cn: facts.counterpartyNames,
      // Only where some address differs from its canonical key (a sixth of rows).
      ck: keys.some((key, i) => key !== facts.counterparties[i]) ? keys : undefined,
      rc: facts.recipientCount,
      cc: facts.addressedToUser ? undefined : true,
      tk: facts.toKeys.length > 0 ? facts.toKeys : undefined,
      s: meta.subject ?? undefined,
      ar: facts.automatedReason ?? undefined,
    };
  });
  let json = JSON.stringify(records);
  if (UNSTORABLE_ESCAPE.test(json)) json = JSON.stringify(records, wellFormed);
  return json.slice(1, -1);
}

const STORE_PAGE = `
  WITH ins AS (
    INSERT INTO interactions (
      "userId", "accountId", "providerMessageId", "threadId", "internetMessageId", "inReplyTo", at,
      direction, "fromAddress", "fromName", counterparties, "counterpartyNames", "counterpartyKeys",
      "recipientCount", "addressedToUser", "toKeys", subject, "automatedReason")
    SELECT $1::uuid, $2::uuid, v.p, v.t, v.m, v.r, to_timestamp(v.at / 1000) AT TIME ZONE 'UTC',
      CASE WHEN v.out THEN 'sent' ELSE 'received' END::"Direction", v.fa, v.fn, v.c, v.cn,
      coalesce(v.ck, v.c), v.rc, v.cc IS NOT TRUE, v.tk, v.s, v.ar
    FROM jsonb_to_recordset($3::jsonb) AS v(
      p text, t text, m text, r text, at float8, out boolean, fa text, fn text, c text[],
      cn text[], ck text[], rc int, cc boolean, tk text[], s text, ar text)
    -- Locks in key order: the unique index's entries, then the dirty marks (its trigger).
    ORDER BY v.p COLLATE "C"
    ON CONFLICT ("accountId", "providerMessageId") DO NOTHING
    RETURNING counterparties, "automatedReason"),
  touched AS (
    -- The addresses the insert's trigger marked dirty (interactions_mark_dirty).
    SELECT DISTINCT a AS address FROM ins, unnest(ins.counterparties) AS a
    WHERE ins."automatedReason" IS NULL OR ins."automatedReason" = 'bounce')
  SELECT (SELECT count(*) FROM ins)::int AS inserted,
    ARRAY(SELECT address FROM touched) AS touched`;

/** A lone surrogate or a NUL becomes U+FFFD, as BinaryCopyRows stores it. */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(UNSTORABLE, '\uFFFD') : value;
}

const UNSTORABLE_ESCAPE = /\\u(?:d[89a-f][0-9a-f]{2}|0000)/i;
const UNSTORABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\0/g;
