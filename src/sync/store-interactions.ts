import { setImmediate } from 'node:timers/promises';
import { type PrismaClient, withConnection } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { normalizeOwn, toInteractionFacts } from '../mail/to-interaction.ts';
import type { MessageMeta } from '../providers/types.ts';

/**
 * Stores one page of messages as interactions (one statement, or two for a big page). A message already stored (same
 * account and provider id) is skipped, so storing a page twice changes nothing. Returns the
 * counterparties of the new person-to-person rows (and of bounces): the contacts to recompute.
 * The same statement marks them dirty (dirty_addresses), so a worker killed before the recompute
 * leaves them for the next one (refreshDirtyContacts) instead of stale forever.
 */
export async function storeInteractions(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  messages: readonly MessageMeta[],
  own: ReadonlySet<string>,
): Promise<{ inserted: number; touchedAddresses: string[] }> {
  if (messages.length === 0) return { inserted: 0, touchedAddresses: [] };
  // A big page goes as two statements at once, on two connections: Postgres spends a core on
  // each, and the second half's rows are built while the first half is stored. Each statement
  // takes its row locks in key order (STORE_PAGE), so the halves, other pages stored at the same
  // time and the recompute's clearing of dirty marks can wait on each other but never deadlock.
  // A half that fails leaves the other stored: the page is stored again, and storing is
  // idempotent.
  const parts =
    messages.length >= 2 * MIN_PART
      ? [messages.slice(0, messages.length >> 1), messages.slice(messages.length >> 1)]
      : [messages];
  // Each half is sent as soon as its text is built, so Postgres stores the first while Node
  // builds the second (building the halves slice by slice in turn sent the first only at the
  // end). A failure of the first while the second is built is left for Promise.all to report,
  // not unhandled.
  const sent: Promise<PartResult | undefined>[] = [];
  for (const part of parts) {
    const statement = sendPart(prisma, owner, await partJson(part, own));
    statement.catch(() => {});
    sent.push(statement);
  }
  const results = await Promise.all(sent);
  const touched = new Set<string>();
  let inserted = 0;
  for (const result of results) {
    inserted += result?.inserted ?? 0;
    for (const address of result?.touched ?? []) touched.add(address);
  }
  return { inserted, touchedAddresses: [...touched] };
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

/** Below this many messages a page is one statement: a second costs more than it saves. */
const MIN_PART = 100;

/** What one statement stored: how many rows, and the addresses it marked dirty. */
interface PartResult {
  inserted: number;
  touched: string[];
}

/**
 * A part's rows as one JSON array, built a slice at a time with a turn of the event loop between:
 * this is the store's synchronous work (~25 µs a message), and a provider reading ahead (each
 * Outlook folder's next page waits for the answer before it) must not wait behind a whole page
 * of it.
 */
async function partJson(messages: readonly MessageMeta[], own: ReadonlySet<string>): Promise<string> {
  const texts: string[] = [];
  for (let start = 0; start < messages.length; start += SLICE) {
    if (start > 0) await setImmediate();
    texts.push(sliceJson(messages.slice(start, start + SLICE), own));
  }
  return `[${texts.join(',')}]`;
}

async function sendPart(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  payload: string,
): Promise<PartResult | undefined> {
  // The answer is one row (a count and the touched addresses), and the statement goes straight
  // to the connection (withConnection): the client's handling of a 200 kB parameter and of a
  // RETURNING list cost more than the insert itself. Named, so each connection plans it once.
  const { rows } = await withConnection(prisma, (connection) =>
    connection.query<PartResult>({
      name: 'store-interactions',
      text: STORE_PAGE,
      values: [owner.userId, owner.accountId, payload],
    }),
  );
  return rows[0];
}

/** Messages turned into rows between two turns of the event loop (a few milliseconds of work). */
const SLICE = 200;

/**
 * The rows of some messages as a JSON array's items (without its brackets): one JSON document
 * per page travels as one parameter, which Postgres unpacks itself (text[] columns included).
 * This replaced createManyAndReturn, whose per-row parameters made a 500-message page cost ~20x
 * more. jsonb refuses a lone UTF-16 surrogate (a header cut mid-character), which JSON.stringify
 * writes as a \udXXX escape and never otherwise: the replacer (a call per value, a tenth of the
 * store's CPU) runs only for a slice that has one.
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
  if (SURROGATE_ESCAPE.test(json)) json = JSON.stringify(records, wellFormed);
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
    -- Locks in key order: the unique index's entries, then the dirty marks (below).
    ORDER BY v.p
    ON CONFLICT ("accountId", "providerMessageId") DO NOTHING
    RETURNING counterparties, "automatedReason"),
  touched AS (
    -- People, and addresses a bounce reported as failed (which may stop them being contacts).
    SELECT DISTINCT a AS address FROM ins, unnest(ins.counterparties) AS a
    WHERE ins."automatedReason" IS NULL OR ins."automatedReason" = 'bounce'),
  marked AS (
    INSERT INTO dirty_addresses ("userId", address)
    SELECT $1::uuid, address FROM touched ORDER BY address
    ON CONFLICT ("userId", address) DO UPDATE SET seq = nextval('dirty_addresses_seq_seq'))
  SELECT (SELECT count(*) FROM ins)::int AS inserted,
    ARRAY(SELECT address FROM touched) AS touched`;

/** A lone surrogate becomes U+FFFD, as the text protocol would have stored it. */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(LONE_SURROGATE, '\uFFFD') : value;
}

const SURROGATE_ESCAPE = /\\ud[89a-f][0-9a-f]{2}/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
