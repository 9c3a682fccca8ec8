import { mapConcurrent } from '../lib/concurrency.ts';
import type { PrismaClient } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { ROWS_AT_ONCE, refreshContacts } from './contact-store.ts';

/** Addresses read from dirty_addresses at a time (one count query each). */
const WINDOW = 2_000;
/** Addresses recomputed together: one read of their interactions, one write of their contacts. */
export const BATCH_ADDRESSES = 500;
/**
 * Interactions a batch is packed to hold, by estimate: a close contact's history can be tens of
 * thousands of rows, so batches are cut by rows as well as by addresses; an address with more
 * history than this is a batch of its own. Batches of 20,000 made a 1M-message backfill peak at
 * 303 MB RSS, of 10,000 at 283 MB, at the same speed. The estimate can be far off (historySizes);
 * refreshContacts then reads the batch in parts of ROWS_AT_ONCE, counted.
 */
export const BATCH_ROWS = ROWS_AT_ONCE;
/**
 * Batches of one window recomputed at once: while Postgres reads one batch's histories, Node
 * aggregates another's (two cores). Safe because packBatches never splits one canonical key's
 * addresses: two batches never both create the same person (docs/decisions/0011).
 */
const LANES = 2;

/**
 * Recomputes the contacts of every address marked dirty for `userId` (storeInteractions marks
 * them), in batches, and clears each mark its recompute covered. A mark made again while a batch
 * ran (a newer seq) stays for the next run, so nothing stored is ever left uncounted. Each
 * address's history is read once per call, whatever number of pages stored it: the cost is
 * linear in the interactions of the dirty contacts. Returns how many contacts were written.
 */
export async function refreshDirtyContacts(
  prisma: PrismaClient,
  userId: string,
  options: { groupSizeLimit: number; own: ReadonlySet<string> },
): Promise<number> {
  let written = 0;
  let after = '';
  await mergePendingIndexEntries(prisma);
  for (;;) {
    const window = await prisma.$queryRaw<{ address: string; seq: string }[]>`
      SELECT address, seq::text AS seq FROM dirty_addresses
      WHERE "userId" = ${userId}::uuid AND address > ${after}
      ORDER BY address LIMIT ${WINDOW}`;
    const last = window.at(-1);
    if (!last) return written;
    after = last.address;
    const sizes = await historySizes(
      prisma,
      userId,
      window.map((row) => canonicalAddress(row.address)),
    );
    const counts = await mapConcurrent(packBatches(window, sizes), LANES, async (batch) => {
      const count = await refreshContacts(
        prisma,
        userId,
        batch.map((row) => row.address),
        options,
      );
      // The marks are locked in address order, as storeInteractions locks them, so a page
      // marking some of them at the same time waits or is waited for, never deadlocks. A mark a
      // page made again meanwhile (a newer seq) is not deleted.
      await prisma.$executeRaw`
        WITH covered AS (
          SELECT d.address FROM dirty_addresses d
          JOIN unnest(${batch.map((row) => row.address)}::text[], ${batch.map((row) => row.seq)}::text[]) AS v(a, s)
            ON d.address = v.a AND d.seq = v.s::bigint
          WHERE d."userId" = ${userId}::uuid
          ORDER BY d.address
          FOR UPDATE OF d)
        DELETE FROM dirty_addresses d USING covered
        WHERE d."userId" = ${userId}::uuid AND d.address = covered.address`;
      return count;
    });
    for (const count of counts) written += count;
    if (window.length < WINDOW) return written;
  }
}

/**
 * Cuts a window of dirty addresses into batches of at most BATCH_ADDRESSES addresses and about
 * BATCH_ROWS interactions (from `sizes`, an estimate per canonical key). The addresses of one
 * canonical key (variants of one mailbox) always share a batch, so batches recomputed at the same
 * time never both create that person; a key with more addresses than BATCH_ADDRESSES is a batch
 * of its own.
 */
export function packBatches<T extends { address: string }>(
  rows: readonly T[],
  sizes: ReadonlyMap<string, number>,
): T[][] {
  const byKey = new Map<string, T[]>();
  for (const row of rows) {
    const key = canonicalAddress(row.address);
    const group = byKey.get(key) ?? [];
    group.push(row);
    byKey.set(key, group);
  }
  const batches: T[][] = [];
  let batch: T[] = [];
  let batchRows = 0;
  for (const [key, group] of byKey) {
    const size = sizes.get(key) ?? 0;
    if (
      batch.length > 0 &&
      (batch.length + group.length > BATCH_ADDRESSES || batchRows + size > BATCH_ROWS)
    ) {
      batches.push(batch);
      batch = [];
      batchRows = 0;
    }
    batch.push(...group);
    batchRows += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * About how many interactions each canonical key's person has, from their contact row as last
 * recomputed (an index lookup, where counting the interactions themselves cost as much as reading
 * them). Where the backfill recomputed at every doubling of the mailbox read, a history is at most
 * about twice its last count; a fast backfill recomputes at most once a minute, and its mailbox may
 * have grown far more since. An address that is no contact yet has no count and counts as 0. Only
 * the lanes' balance rests on this: refreshContacts counts before it reads.
 */
async function historySizes(
  prisma: PrismaClient,
  userId: string,
  keys: readonly string[],
): Promise<Map<string, number>> {
  const unique = [...new Set(keys)];
  const rows = await prisma.$queryRaw<{ key: string; n: number }[]>`
    SELECT a.canonical AS key, max(2 * (c."sentCount" + c."receivedCount"))::int AS n
    FROM contact_addresses a JOIN contacts c ON c.id = a."contactId"
    WHERE a."userId" = ${userId}::uuid AND a.canonical = ANY(${unique}::text[])
    GROUP BY a.canonical`;
  return new Map(rows.map((row) => [row.key, row.n]));
}

/**
 * A backfill inserts faster than autovacuum merges the GIN index's pending list (fastupdate), and
 * every `&&` lookup scans that list whole: 100 pages left unmerged made the reads of one
 * recompute take seconds instead of tenths. Merging it first is one cheap bulk step. It needs
 * the table's owner (the role that ran the migrations); without that, the lookups are only slower.
 */
async function mergePendingIndexEntries(prisma: PrismaClient): Promise<void> {
  try {
    await prisma.$queryRaw`SELECT gin_clean_pending_list('"interactions_counterpartyKeys_idx"'::regclass)`;
  } catch (error) {
    if (!isInsufficientPrivilege(error)) throw error;
  }
}

function isInsufficientPrivilege(error: unknown): boolean {
  return error instanceof Error && /must be owner|permission denied|42501/.test(error.message);
}
