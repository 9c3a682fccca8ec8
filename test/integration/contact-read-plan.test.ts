import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_READS, withPinnedPlan } from '../../src/contacts/contact-store.ts';
import { withConnection } from '../../src/lib/prisma.ts';
import { storeInteractions } from '../../src/sync/store-interactions.ts';
import { createTestDatabase } from '../support/test-database.ts';
import { makeMeta } from '../unit/message-meta.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let userId: string;
let ids: string[];
const keys = Array.from({ length: 40 }, (_, i) => `friend${i}@example.com`);

/**
 * A recompute at a backfill's end meets the statistics of an emptier table, and then the planner
 * scans the whole mailbox once per batch and per slice of rows (docs/decisions/0022). Here the
 * table was analysed empty and then filled, as a first backfill leaves it.
 */
beforeAll(async () => {
  db = await createTestDatabase();
  const user = await db.prisma.user.create({ data: { email: 'me@example.org' } });
  const account = await db.prisma.mailAccount.create({
    data: { userId: user.id, provider: 'gmail', email: 'me@example.org' },
  });
  userId = user.id;
  await db.prisma.$executeRawUnsafe('ANALYZE interactions');
  const own = new Set(['me@example.org']);
  for (let page = 0; page < 4; page++) {
    const metas = Array.from({ length: 500 }, (_, i) => {
      const n = page * 500 + i;
      return makeMeta({
        providerId: `m${n}`,
        internetMessageId: `<m${n}@example.com>`,
        at: new Date(Date.UTC(2024, 0, 1) + n * 60_000),
        from: `Friend ${n % 40} <${keys[n % 40]}>`,
      });
    });
    await storeInteractions(db.prisma, { userId, accountId: account.id }, metas, own);
  }
  const rows = await db.prisma.interaction.findMany({ select: { id: true } });
  ids = rows.map((row) => String(row.id));
});
afterAll(async () => {
  await db.drop();
});

/** Every node of an EXPLAIN (FORMAT JSON) plan, as "node type on relation or index". */
async function planOf(sql: string, params: unknown[]): Promise<string[]> {
  const { rows } = await withConnection(db.prisma, (connection) =>
    withPinnedPlan(connection, () =>
      connection.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, params),
    ),
  );
  const nodes: string[] = [];
  const walk = (node: PlanNode) => {
    const on = node['Relation Name'] ?? node['Index Name'];
    nodes.push(on ? `${node['Node Type']} on ${on}` : node['Node Type']);
    for (const child of node.Plans ?? []) walk(child);
  };
  const [first] = rows[0]?.['QUERY PLAN'] ?? [];
  if (first) walk(first.Plan);
  return nodes;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

describe("the recompute's reads of a mailbox the statistics have not caught up with", () => {
  it("finds each person's interactions through the GIN index, never by scanning the mailbox", async () => {
    const plan = await planOf(HISTORY_READS.ids, [userId, keys]);
    expect(plan).toContain('Bitmap Heap Scan on interactions');
    expect(plan).toContain('Bitmap Index Scan on interactions_counterpartyKeys_idx');
    expect(plan.filter((node) => node.endsWith('on interactions'))).toEqual([
      'Bitmap Heap Scan on interactions',
    ]);
  });

  it('reads the rows by their ids through the primary key, never by scanning the mailbox', async () => {
    const plan = await planOf(HISTORY_READS.rows, [ids.slice(0, 1_500).join(',')]);
    expect(plan).toContain('Bitmap Index Scan on interactions_pkey');
    expect(plan.filter((node) => node.endsWith('on interactions'))).toEqual([
      'Bitmap Heap Scan on interactions',
    ]);
  });
});
