import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createCommandSigner } from '../../src/commands/command-token.ts';
import { parseConfig } from '../../src/config/config.ts';
import { renderDigest } from '../../src/digest/render-digest.ts';
import { lastDueAt } from '../../src/digest/schedule.ts';
import { selectDigestContent, selectOptions } from '../../src/digest/select-digest-items.ts';
import { applyMigrations } from '../../src/lib/migrations.ts';
import { runAdminStatement, withDatabase } from '../../src/lib/pg-migration-adapter.ts';
import { createPrisma, type User } from '../../src/lib/prisma.ts';

/** Issue 6: digests selected, built and rendered per second, SMTP excluded, on one core. */
const TARGET_PER_SECOND = 200;
const DATABASE = 'touchbase_bench_digest';
/** The bench's clock: every generated history is relative to it (a Monday morning, UTC). */
const NOW = new Date('2026-11-23T09:00:00.000Z');
/** Any valid secret: the command tag is signed as in sendWeeklyDigest, which derives a key per digest. */
const SECRET = Buffer.alloc(32, 7).toString('base64');

/**
 * `npm run bench -- digest [--users 10000] [--sample 1500|0=all] [--concurrency 4] [--url postgresql://...]
 *   [--keep-data]`
 *
 * Builds its own database (dropped and recreated every run, migrated with the project's
 * migrations), fills it with bulk SQL - users, accounts, 30-80 contacts each with addresses, two
 * years of older mail, a month of recent threads and newsletters, follow-up dismissals - then
 * times, per user, what sendWeeklyDigest does between claiming the period and handing the message
 * to SMTP: the period (lastDueAt), selectDigestContent, and renderDigest (subject, text, html,
 * with a signed command tag). Users are read in one query first, as the sweeper lists them.
 * Once sequentially (one Node thread: the one-core figure), once with a few digests in flight,
 * since Postgres is another process and the round trips can overlap.
 */
export async function runDigestBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string', default: '10000' },
      // At today's ~40-60 users/s a full sequential pass over 10,000 users takes minutes; a fixed,
      // evenly spread sample keeps the run under ~3 minutes. --sample 0 times every user.
      sample: { type: 'string', default: '1500' },
      concurrency: { type: 'string', default: '4' },
      url: {
        type: 'string',
        default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
      },
      'keep-data': { type: 'boolean', default: false },
    },
  });
  const userCount = Math.max(1, Number(values.users));
  const concurrency = Math.max(1, Number(values.concurrency));
  const sampleSize = Number(values.sample) > 0 ? Math.min(Number(values.sample), userCount) : userCount;
  const adminUrl = values.url;
  const url = withDatabase(adminUrl, DATABASE);
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}; Postgres on ${new URL(adminUrl).host}; load average ${loadavg()[0]?.toFixed(1)} (other work skews wall times; node CPU ms/user less so)`,
  );

  // Reuse the data of the previous run only when asked (handy while investigating a query).
  let reused = false;
  if (values['keep-data']) reused = await hasData(url, userCount);
  if (!reused) {
    const setupStart = performance.now();
    await runAdminStatement(adminUrl, `DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
    await runAdminStatement(adminUrl, `CREATE DATABASE "${DATABASE}"`);
    await applyMigrations(url);
    const migrateMs = performance.now() - setupStart;
    const gen = await generate(url, userCount);
    console.log(
      `database ${DATABASE}: created and migrated in ${(migrateMs / 1000).toFixed(1)} s; data generated in ${(gen.ms / 1000).toFixed(1)} s (bulk SQL, then VACUUM ANALYZE; not timed below)`,
    );
    console.log(`  ${gen.summary}`);
  } else {
    console.log(`database ${DATABASE}: reusing the data of an earlier run (--keep-data)`);
  }

  const prisma = createPrisma(url);
  try {
    const config = parseConfig({ DATABASE_URL: url, TOUCHBASE_SECRET: SECRET });
    const options = selectOptions(config);
    const all = await prisma.user.findMany({ orderBy: { email: 'asc' } });
    const users = sampleSize >= all.length ? all : spread(all, sampleSize);
    const digestOf = async (user: User): Promise<Timing> => {
      const t0 = performance.now();
      const { period } = lastDueAt(user, NOW);
      const t1 = performance.now();
      const content = await selectDigestContent(prisma, user, NOW, period, options);
      const t2 = performance.now();
      const rendered = renderDigest(content, {
        publicUrl: config.PUBLIC_URL,
        commandTag: createCommandSigner(config.TOUCHBASE_SECRET).tag(randomUUID()),
      });
      const t3 = performance.now();
      return {
        periodMs: t1 - t0,
        selectMs: t2 - t1,
        renderMs: t3 - t2,
        totalMs: t3 - t0,
        items: content.items.length,
        owe: content.items.filter((i) => i.kind === 'owe-reply').length,
        awaiting: content.items.filter((i) => i.kind === 'awaiting-reply').length,
        notices: content.notices.length,
        bytes: rendered.html.length + rendered.text.length,
      };
    };

    // Untimed warm-up: JIT, the connection pool, Postgres' caches.
    await runPass(users.slice(0, Math.min(300, users.length)), 1, digestOf);
    const scope =
      users.length === all.length
        ? `all ${fmt(users.length)} users`
        : `a fixed sample of ${fmt(users.length)} of ${fmt(all.length)} users (evenly spread; --sample 0 for all)`;
    console.log(
      `\ntiming ${scope}, each pass once; per user: lastDueAt + selectDigestContent + renderDigest`,
    );

    const sequential = await runPass(users, 1, digestOf);
    const parallel = await runPass(users, concurrency, digestOf);
    printReport(users.length, [
      { label: 'sequential', pass: sequential },
      { label: `${concurrency} in flight`, pass: parallel },
    ]);
  } finally {
    await prisma.$disconnect();
  }
}

interface Timing {
  periodMs: number;
  selectMs: number;
  renderMs: number;
  totalMs: number;
  items: number;
  owe: number;
  awaiting: number;
  notices: number;
  bytes: number;
}

interface Pass {
  wallMs: number;
  cpuMs: number;
  timings: Timing[];
}

async function runPass(
  users: readonly User[],
  concurrency: number,
  digestOf: (user: User) => Promise<Timing>,
): Promise<Pass> {
  const timings: Timing[] = [];
  let next = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < users.length) {
      const user = users[next++];
      if (user) timings.push(await digestOf(user));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, timings };
}

function printReport(n: number, passes: { label: string; pass: Pass }[]): void {
  const header = [
    'pass'.padEnd(12),
    'users/s'.padStart(8),
    'wall s'.padStart(7),
    'p50 ms'.padStart(7),
    'p95 ms'.padStart(7),
    'p99 ms'.padStart(7),
    'select p50/p95'.padStart(15),
    'render+tag p50/p95'.padStart(19),
    'period mean'.padStart(12),
    'node CPU ms/user'.padStart(17),
  ].join(' ');
  const lines = [header];
  for (const { label, pass } of passes) {
    const col = (pick: (t: Timing) => number) => pass.timings.map(pick).sort((a, b) => a - b);
    const total = col((t) => t.totalMs);
    const select = col((t) => t.selectMs);
    const render = col((t) => t.renderMs);
    const period = col((t) => t.periodMs);
    lines.push(
      [
        label.padEnd(12),
        fmt(n / (pass.wallMs / 1000)).padStart(8),
        (pass.wallMs / 1000).toFixed(1).padStart(7),
        ms(pct(total, 0.5)).padStart(7),
        ms(pct(total, 0.95)).padStart(7),
        ms(pct(total, 0.99)).padStart(7),
        `${ms(pct(select, 0.5))} / ${ms(pct(select, 0.95))}`.padStart(15),
        `${ms(pct(render, 0.5))} / ${ms(pct(render, 0.95))}`.padStart(19),
        ms(mean(period), 3).padStart(12),
        ms(pass.cpuMs / n).padStart(17),
      ].join(' '),
    );
  }
  console.log(lines.join('\n'));

  const seq = passes[0]?.pass;
  if (!seq) return;
  const selectShare = sum(seq.timings.map((t) => t.selectMs)) / sum(seq.timings.map((t) => t.totalMs));
  console.log(
    `split (sequential, share of time per user): select ${(100 * selectShare).toFixed(0)}%, render + period + tag ${(100 * (1 - selectShare)).toFixed(0)}%; mean select ${ms(mean(seq.timings.map((t) => t.selectMs)))} ms, mean render ${ms(mean(seq.timings.map((t) => t.renderMs)))} ms`,
  );
  const t = seq.timings;
  console.log(
    `digests: mean ${(sum(t.map((x) => x.items)) / t.length).toFixed(1)} items (owe-reply ${(sum(t.map((x) => x.owe)) / t.length).toFixed(2)}, awaiting ${(sum(t.map((x) => x.awaiting)) / t.length).toFixed(2)}), ${t.filter((x) => x.items === 0).length} empty, ${t.filter((x) => x.notices > 0).length} with an account notice, mean ${fmt(sum(t.map((x) => x.bytes)) / t.length)} chars of html + text`,
  );
  const best = Math.max(...passes.map((p) => n / (p.pass.wallMs / 1000)));
  const seqRate = n / (seq.wallMs / 1000);
  const verdict = (rate: number) =>
    rate >= TARGET_PER_SECOND ? 'met' : `NOT met (${((100 * rate) / TARGET_PER_SECOND).toFixed(0)}% of it)`;
  console.log(
    `target ${TARGET_PER_SECOND} users/s on one core: sequential ${fmt(seqRate)} users/s -> ${verdict(seqRate)}; best with overlap ${fmt(best)} users/s -> ${verdict(best)}`,
  );
  // Node is single-threaded, so its CPU time per digest bounds the rate whatever Postgres does.
  const cpuBound = 1000 / (Math.min(...passes.map((p) => p.pass.cpuMs)) / n);
  console.log(
    `ceiling from Node CPU alone: ${fmt(cpuBound)} users per CPU-second (${ms(1000 / cpuBound)} ms of Node CPU per digest)`,
  );
}

/** True when the database exists and holds the users a previous run generated. */
async function hasData(url: string, userCount: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM users');
    return Number(rows[0]?.n) === userCount;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `count` users evenly spread over the list, the same ones every run. */
function spread<T>(items: readonly T[], count: number): T[] {
  const step = items.length / count;
  const out: T[] = [];
  for (let i = 0; i < count; i++) {
    const item = items[Math.floor(i * step)];
    if (item !== undefined) out.push(item);
  }
  return out;
}

/**
 * The data, generated in Postgres with generate_series: the content is deterministic (hash-based,
 * not random()), so every run benchmarks the same mailboxes. Helper functions live in a `bench` schema that is
 * dropped afterwards, leaving the database exactly as the migrations made it plus rows.
 *
 * Per user (n = 1..users):
 * - one mail account (a second one, Outlook, for every 5th user; every 33rd needs reconnecting);
 * - 30-80 contacts with names, counts, cadences (inferred, sometimes explicit), last contact over
 *   the last two years skewed recent; ~3% muted, ~3% snoozed; an address each, every 5th a second
 *   (work) address, Gmail ones with their canonical key;
 * - 60 older messages (threads of 3 with random contacts, 31-730 days ago);
 * - 3-8 recent threads with contacts 1..8, 1-4 messages alternating direction, some starting
 *   before the 30-day window, some to large groups, some received only in Cc;
 * - 20-59 newsletters (automated) in the last 30 days, one thread each;
 * - the first two recent threads also in the second account (same Message-IDs, other thread ids);
 * - "done" dismissals: every 3rd user's first recent thread, plus three old threads each.
 */
async function generate(url: string, users: number): Promise<{ ms: number; summary: string }> {
  const start = performance.now();
  // Two connections, two lanes (people and mail), so both cores work while the data is made.
  const [client, other] = [
    new pg.Client({ connectionString: url }),
    new pg.Client({ connectionString: url }),
  ];
  await Promise.all([client.connect(), other.connect()]);
  try {
    // The planner badly overestimates these generate_series joins, and JIT-compiling every
    // statement would cost more than running it.
    await Promise.all([client.query('SET jit = off'), other.query('SET jit = off')]);
    await client.query(helpersSql(NOW));
    const stepTimes: string[] = [];
    const lane = async (steps: [string, () => Promise<unknown>][]): Promise<void> => {
      for (const [label, run] of steps) {
        const t = performance.now();
        await run();
        stepTimes.push(`${label} ${((performance.now() - t) / 1000).toFixed(1)}s`);
      }
    };
    const sql = (c: pg.Client, text: string) => () => c.query(text);
    // Bulk loading the usual way: keys, indexes and foreign keys off, rows in, then rebuilt from
    // the definitions the migrations made (read back from the catalog, so they cannot drift).
    const saved = await dropKeysAndIndexes(client);
    await Promise.all([
      lane([
        ['users', sql(client, usersSql(users))],
        ['accounts', sql(client, accountsSql(users))],
        ['contacts', sql(client, contactsSql(users))],
        ['addresses', sql(client, addressesSql(users))],
        ['people: keys + indexes', () => rebuild(client, saved, (table) => table !== 'interactions')],
      ]),
      lane([
        ['interactions (older)', sql(other, olderSql(users))],
        ['interactions (recent threads)', sql(other, recentSql(users))],
        ['interactions (newsletters)', sql(other, newslettersSql(users))],
        ['interactions: keys + indexes', () => rebuild(other, saved, (table) => table === 'interactions')],
      ]),
    ]);
    await lane([
      [
        'foreign keys',
        async () => {
          for (const statement of saved.foreignKeys) await client.query(statement);
          // The account check of interactions is a statement trigger (docs/decisions/0012),
          // off while the two lanes load: it is run once over every row, then turned back on.
          const { rows } = await client.query(
            `SELECT count(*)::int AS n FROM interactions i
              WHERE NOT EXISTS (SELECT 1 FROM mail_accounts a WHERE a.id = i."accountId" AND a."userId" = i."userId")`,
          );
          if (rows[0]?.n !== 0)
            throw new Error(`${rows[0]?.n} generated interactions name no account of their user`);
          await client.query('ALTER TABLE interactions ENABLE TRIGGER USER');
        },
      ],
      ['interactions (second account copies)', sql(client, copiesSql(users))],
      ['dismissals', sql(client, dismissalsSql(users))],
    ]);
    await client.query('DROP SCHEMA bench CASCADE');
    const t = performance.now();
    await client.query('VACUUM ANALYZE');
    stepTimes.push(`vacuum analyze ${((performance.now() - t) / 1000).toFixed(1)}s`);
    const { rows } = await client.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM mail_accounts) AS accounts,
              (SELECT count(*) FROM contacts) AS contacts, (SELECT count(*) FROM contact_addresses) AS addresses,
              (SELECT count(*) FROM interactions) AS interactions,
              (SELECT count(*) FROM interactions WHERE at >= $1::timestamp - interval '30 days') AS recent,
              (SELECT count(*) FROM follow_up_dismissals) AS dismissals,
              pg_size_pretty(pg_database_size(current_database())) AS size`,
      [sqlTimestamp(NOW)],
    );
    const c = rows[0] ?? {};
    const summary =
      `${fmt(Number(c.users))} users, ${fmt(Number(c.accounts))} accounts, ${fmt(Number(c.contacts))} contacts, ` +
      `${fmt(Number(c.addresses))} addresses, ${fmt(Number(c.interactions))} interactions ` +
      `(${fmt(Number(c.recent))} in the last 30 days), ${fmt(Number(c.dismissals))} dismissals; ${c.size}\n  steps: ${stepTimes.join(', ')}`;
    return { ms: performance.now() - start, summary };
  } finally {
    await Promise.all([client.end(), other.end()]);
  }
}

/** The tables the generator fills; their keys and indexes are dropped while it does. */
const LOADED_TABLES = ['users', 'mail_accounts', 'contacts', 'contact_addresses', 'interactions'];

interface SavedSchema {
  /** Per table: ADD CONSTRAINT ... PRIMARY KEY, then CREATE INDEX for the other indexes. */
  byTable: Map<string, string[]>;
  /** ADD CONSTRAINT ... FOREIGN KEY, once every table has its keys back. */
  foreignKeys: string[];
}

async function dropKeysAndIndexes(client: pg.Client): Promise<SavedSchema> {
  const { rows: constraints } = await client.query<{ tbl: string; name: string; def: string; type: string }>(
    `SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def, contype AS type
       FROM pg_constraint
      WHERE contype IN ('p', 'f') AND connamespace = 'public'::regnamespace
        AND (conrelid::regclass::text = ANY($1) OR confrelid::regclass::text = ANY($1))
      ORDER BY conname`,
    [LOADED_TABLES],
  );
  const { rows: indexes } = await client.query<{ tbl: string; name: string; def: string }>(
    `SELECT tablename AS tbl, indexname AS name, indexdef AS def FROM pg_indexes
      WHERE schemaname = 'public' AND tablename = ANY($1)
        AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace)
      ORDER BY indexname`,
    [LOADED_TABLES],
  );
  const foreign = constraints.filter((c) => c.type === 'f');
  const primary = constraints.filter((c) => c.type === 'p');
  // Foreign keys first (they depend on the primary keys), then primary keys, then indexes.
  for (const c of [...foreign, ...primary])
    await client.query(`ALTER TABLE ${c.tbl} DROP CONSTRAINT "${c.name}"`);
  for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
  await client.query('ALTER TABLE interactions DISABLE TRIGGER USER');
  const add = (c: { tbl: string; name: string; def: string }) =>
    `ALTER TABLE ${c.tbl} ADD CONSTRAINT "${c.name}" ${c.def}`;
  const byTable = new Map<string, string[]>();
  for (const [table, statement] of [
    ...primary.map((c) => [c.tbl.replaceAll('"', ''), add(c)] as const),
    ...indexes.map((i) => [i.tbl, i.def] as const),
  ]) {
    byTable.set(table, [...(byTable.get(table) ?? []), statement]);
  }
  return { byTable, foreignKeys: foreign.map(add) };
}

/** Primary keys and indexes back on the tables `which` picks. */
async function rebuild(
  client: pg.Client,
  saved: SavedSchema,
  which: (table: string) => boolean,
): Promise<void> {
  await client.query(`SET maintenance_work_mem = '256MB'`);
  for (const [table, statements] of saved.byTable) {
    if (!which(table)) continue;
    for (const statement of statements) await client.query(statement);
  }
}

function sqlTimestamp(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}

const FIRST_NAMES = [
  'Anna',
  'Ben',
  'Chloe',
  'David',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Luca',
  'Maya',
  'Noah',
  'Olga',
  'Pablo',
  'Quinn',
  'Rosa',
  'Sam',
  'Tariq',
  'Uma',
  'Victor',
  'Wen',
  'Zoe',
];
const LAST_NAMES = [
  'Adams',
  'Berg',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Murphy',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quint',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Usman',
  'Varga',
];
const SUBJECTS = [
  'Lunch next week?',
  'Re: the offer',
  'Photos from the weekend',
  'Quick question',
  'Draft for review',
  'Catching up',
  'Your talk',
  'Trip in March',
  'Invoice 2291',
  'Happy birthday!',
  'Intro: a friend of mine',
  'Reading list',
  'Board meeting notes',
  'Moving house',
  'Re: Re: plans for the summer',
];
const TIME_ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Europe/London',
  'Asia/Kolkata',
];
const DOMAINS = ['gmail.com', 'outlook.com', 'fastmail.com', 'example.org', 'acme.example', 'uni.example'];

function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}]::text[]`;
}

function helpersSql(now: Date): string {
  return `
CREATE SCHEMA bench;
CREATE FUNCTION bench.t0() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT TIMESTAMP '${sqlTimestamp(now)}' $$;
-- Pseudo-random 0..9999 from (user, item, salt): the same data every run.
CREATE FUNCTION bench.h(n int, k int, salt int) RETURNS int LANGUAGE sql STABLE AS
  $$ SELECT (abs(hashint8((n::bigint << 32) + (k::bigint << 8) + salt)::bigint) % 10000)::int $$;
CREATE FUNCTION bench.ncontacts(n int) RETURNS int LANGUAGE sql STABLE AS $$ SELECT 30 + bench.h(n, 0, 99) % 51 $$;
CREATE FUNCTION bench.first(n int, k int) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT (${textArray(FIRST_NAMES)})[1 + bench.h(n, k, 1) % ${FIRST_NAMES.length}] $$;
CREATE FUNCTION bench.last(n int, k int) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT (${textArray(LAST_NAMES)})[1 + bench.h(n, k, 2) % ${LAST_NAMES.length}] $$;
CREATE FUNCTION bench.subject(n int, k int) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT (${textArray(SUBJECTS)})[1 + bench.h(n, k, 3) % ${SUBJECTS.length}] $$;
CREATE FUNCTION bench.zone(n int) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT (${textArray(TIME_ZONES)})[1 + n % ${TIME_ZONES.length}] $$;
CREATE FUNCTION bench.addr(n int, k int) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT lower(bench.first(n, k)) || '.' || lower(bench.last(n, k)) || k || '@' ||
            (${textArray(DOMAINS)})[1 + bench.h(n, k, 4) % ${DOMAINS.length}] $$;
CREATE FUNCTION bench.addr2(n int, k int) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT lower(bench.first(n, k)) || k || '@work' || (k % 9) || '.example' $$;
CREATE FUNCTION bench.name(n int, k int) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT bench.first(n, k) || ' ' || bench.last(n, k) $$;
-- canonicalAddress, as the identity migration writes it.
CREATE FUNCTION bench.canon(a text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT CASE
  WHEN split_part(a, '@', 2) IN ('gmail.com', 'googlemail.com')
    AND replace(split_part(split_part(a, '@', 1), '+', 1), '.', '') <> ''
  THEN replace(split_part(split_part(a, '@', 1), '+', 1), '.', '') || '@gmail.com'
  ELSE a END $$;
CREATE FUNCTION bench.uid(n int) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT md5('user' || n)::uuid $$;
CREATE FUNCTION bench.aid(n int, which int) RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT md5('account' || n || '/' || which)::uuid $$;
CREATE FUNCTION bench.cid(n int, k int) RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT md5('contact' || n || '/' || k)::uuid $$;
CREATE FUNCTION bench.email(n int) RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'user' || n || '@bench.example' $$;
CREATE FUNCTION bench.days(d float8) RETURNS interval LANGUAGE sql STABLE AS $$ SELECT d * interval '1 day' $$;
`;
}

function usersSql(users: number): string {
  return `
INSERT INTO users (id, email, name, "timeZone", "digestDay", "digestHour", "digestPaused", "emptyDigest", "createdAt", "updatedAt")
SELECT bench.uid(n), bench.email(n), CASE WHEN n % 10 = 0 THEN NULL ELSE bench.name(n, 0) END,
       bench.zone(n), 1 + n % 7, 6 + n % 4, false, CASE WHEN n % 4 = 0 THEN 'caught-up' ELSE 'skip' END,
       bench.t0() - interval '400 days', bench.t0()
  FROM generate_series(1, ${users}) n`;
}

function accountsSql(users: number): string {
  return `
INSERT INTO mail_accounts (id, "userId", provider, email, status, "statusReason", scopes, aliases, "lastSyncedAt", "backfillDoneAt", "createdAt", "updatedAt")
SELECT bench.aid(n, 1), bench.uid(n), (CASE WHEN n % 3 = 0 THEN 'outlook' ELSE 'gmail' END)::"Provider", bench.email(n),
       (CASE WHEN n % 33 = 0 THEN 'NEEDS_RECONNECT' ELSE 'ACTIVE' END)::"AccountStatus",
       CASE WHEN n % 33 = 0 THEN 'access was revoked in the provider''s security settings' END,
       ARRAY['mail.readonly'], ARRAY[]::text[], bench.t0() - interval '10 minutes', bench.t0() - interval '390 days',
       bench.t0() - interval '400 days', bench.t0()
  FROM generate_series(1, ${users}) n
UNION ALL
SELECT bench.aid(n, 2), bench.uid(n), 'outlook', 'user' || n || '@work.example', 'ACTIVE', NULL,
       ARRAY['Mail.Read'], ARRAY['u' || n || '@work.example'], bench.t0() - interval '12 minutes', bench.t0() - interval '300 days',
       bench.t0() - interval '310 days', bench.t0()
  FROM generate_series(1, ${users}) n WHERE n % 5 = 0`;
}

function contactsSql(users: number): string {
  // Contacts 1..8 carry the recent threads, so their last contact is recent.
  return `
INSERT INTO contacts (id, "userId", name, "firstContactAt", "lastContactAt", "lastSentAt", "lastReceivedAt",
                      "sentCount", "receivedCount", "exchangeDays", "inferredCadenceDays", "cadenceDays",
                      "lastSubject", "lastThreadId", "mutedAt", "snoozedUntil", "createdAt", "updatedAt")
SELECT bench.cid(n, k), bench.uid(n), CASE WHEN bench.h(n, k, 5) % 10 = 0 THEN NULL ELSE bench.name(n, k) END,
       last - bench.days(30 + bench.h(n, k, 6) % 900), last,
       CASE WHEN sent > 0 THEN last - bench.days(CASE WHEN bench.h(n, k, 7) % 2 = 0 THEN 0 ELSE bench.h(n, k, 8) % 20 END) END,
       CASE WHEN received > 0 THEN last - bench.days(CASE WHEN bench.h(n, k, 7) % 2 = 1 THEN 0 ELSE bench.h(n, k, 9) % 20 END) END,
       sent, received, GREATEST(1, (sent + received) * 2 / 3),
       (ARRAY[7, 14, 21, 30, 45, 60, 90, 180, NULL])[1 + bench.h(n, k, 10) % 9],
       CASE WHEN bench.h(n, k, 11) % 20 = 0 THEN 30 END,
       bench.subject(n, k), 'thr-' || n || '-c' || k,
       CASE WHEN bench.h(n, k, 12) % 33 = 0 THEN bench.t0() - interval '40 days' END,
       CASE WHEN bench.h(n, k, 13) % 29 = 0 THEN bench.t0() + interval '14 days' END,
       bench.t0() - interval '390 days', bench.t0()
  FROM generate_series(1, ${users}) n,
       LATERAL generate_series(1, bench.ncontacts(n)) k,
       LATERAL (SELECT bench.t0() - bench.days(CASE WHEN k <= 8 THEN bench.h(n, k, 14) % 25
                                                    ELSE power(bench.h(n, k, 14) / 10000.0, 2) * 730 END) AS last,
                       1 + bench.h(n, k, 15) % 40 AS sent,
                       CASE WHEN bench.h(n, k, 16) % 5 = 0 THEN 0 ELSE bench.h(n, k, 16) % 50 END AS received OFFSET 0) x`;
}

function addressesSql(users: number): string {
  return `
INSERT INTO contact_addresses (id, "userId", "contactId", address, canonical, source)
SELECT gen_random_uuid(), bench.uid(n), bench.cid(n, k), a, bench.canon(a), 'seen'
  FROM generate_series(1, ${users}) n,
       LATERAL generate_series(1, bench.ncontacts(n)) k,
       LATERAL (SELECT bench.addr(n, k) AS a UNION ALL SELECT bench.addr2(n, k) WHERE k % 5 = 0) x`;
}

/** Columns every interaction insert fills, in this order. */
const INTERACTION_COLUMNS = `(
  "userId", "accountId", "providerMessageId", "threadId", "internetMessageId", "inReplyTo", at, direction,
  "fromAddress", "fromName", counterparties, "counterpartyNames", "counterpartyKeys", "recipientCount",
  "addressedToUser", subject, "automatedReason", "createdAt")`;

function olderSql(users: number): string {
  return `
INSERT INTO interactions ${INTERACTION_COLUMNS}
SELECT bench.uid(n), bench.aid(n, 1), 'h' || j, 'thr-' || n || '-h' || th, '<h' || j || '.' || n || '@mail.example>',
       CASE WHEN j % 3 <> 1 THEN '<h' || (j - 1) || '.' || n || '@mail.example>' END,
       bench.t0() - bench.days(31 + bench.h(n, th, 20) % 700) + (j % 3) * interval '7 hours',
       dir::"Direction", CASE WHEN dir = 'sent' THEN bench.email(n) ELSE a END,
       CASE WHEN dir = 'sent' THEN NULL ELSE bench.name(n, k) END,
       ARRAY[a], ARRAY[bench.name(n, k)], ARRAY[bench.canon(a)], 1, true,
       bench.subject(n, th), NULL, bench.t0()
  FROM generate_series(1, ${users}) n,
       LATERAL generate_series(1, 60) j,
       LATERAL (SELECT (j - 1) / 3 AS th) t,
       LATERAL (SELECT 1 + bench.h(n, th, 21) % bench.ncontacts(n) AS k OFFSET 0) c,
       LATERAL (SELECT bench.addr(n, k) AS a,
                       CASE WHEN (j + bench.h(n, th, 22)) % 2 = 0 THEN 'sent' ELSE 'received' END AS dir OFFSET 0) d`;
}

function recentSql(users: number): string {
  // Thread t is with contact t; message m follows m-1 by 1-3 days; nothing after now.
  return `
INSERT INTO interactions ${INTERACTION_COLUMNS}
SELECT bench.uid(n), bench.aid(n, 1), 'r' || t || '.' || m, 'thr-' || n || '-r' || t,
       '<r' || t || '.' || m || '.' || n || '@mail.example>',
       CASE WHEN m > 1 THEN '<r' || t || '.' || (m - 1) || '.' || n || '@mail.example>' END,
       at, dir::"Direction", CASE WHEN dir = 'sent' THEN bench.email(n) ELSE a END,
       CASE WHEN dir = 'sent' THEN NULL ELSE bench.name(n, t) END,
       CASE WHEN grp THEN ARRAY[a, bench.addr(n, t + 10), bench.addr(n, t + 11)] ELSE ARRAY[a] END,
       CASE WHEN grp THEN ARRAY[bench.name(n, t), '', ''] ELSE ARRAY[bench.name(n, t)] END,
       CASE WHEN grp THEN ARRAY[bench.canon(a), bench.canon(bench.addr(n, t + 10)), bench.canon(bench.addr(n, t + 11))]
            ELSE ARRAY[bench.canon(a)] END,
       CASE WHEN grp THEN 14 ELSE 1 + bench.h(n, t, 30) % 2 END,
       NOT (dir = 'received' AND bench.h(n, t, 31) % 7 = 0),
       CASE WHEN m > 1 THEN 'Re: ' ELSE '' END || bench.subject(n, t + 100), NULL, bench.t0()
  FROM generate_series(1, ${users}) n,
       LATERAL generate_series(1, 3 + n % 6) t,
       LATERAL generate_series(1, 1 + bench.h(n, t, 32) % 4) m,
       LATERAL (SELECT bench.addr(n, t) AS a, bench.h(n, t, 33) % 10 = 0 AS grp,
                       bench.t0() - bench.days(3 + bench.h(n, t, 34) % 40)
                         + (m - 1) * bench.days(1 + bench.h(n, t, 35) % 3) + interval '1 hour' * (bench.h(n, t, 36) % 9) AS at,
                       CASE WHEN (m + bench.h(n, t, 37)) % 2 = 0 THEN 'sent' ELSE 'received' END AS dir OFFSET 0) d
 WHERE at < bench.t0()`;
}

function newslettersSql(users: number): string {
  return `
INSERT INTO interactions ${INTERACTION_COLUMNS}
SELECT bench.uid(n), bench.aid(n, 1), 'a' || i, 'thr-' || n || '-a' || i, '<a' || i || '.' || n || '@list.example>', NULL,
       bench.t0() - bench.days(bench.h(n, i, 40) % 30 + bench.h(n, i, 41) / 10000.0), 'received',
       f, 'News ' || (i % 7), ARRAY[f], ARRAY['News ' || (i % 7)], ARRAY[f], 1, true,
       'Your weekly update #' || i, 'list-id', bench.t0()
  FROM generate_series(1, ${users}) n,
       LATERAL generate_series(1, 20 + n % 40) i,
       LATERAL (SELECT 'news@list' || (i % 7) || '.example' AS f) x`;
}

function copiesSql(users: number): string {
  // The first two recent threads seen by the second account too: same Message-IDs, other thread.
  return `
INSERT INTO interactions ${INTERACTION_COLUMNS}
SELECT i."userId", bench.aid(n, 2), 'x' || i."providerMessageId", replace(i."threadId", '-r', '-x'), i."internetMessageId",
       i."inReplyTo", i.at, i.direction, i."fromAddress", i."fromName", i.counterparties, i."counterpartyNames",
       i."counterpartyKeys", i."recipientCount", i."addressedToUser", i.subject, i."automatedReason", i."createdAt"
  FROM generate_series(5, ${users}, 5) n
  JOIN interactions i ON i."userId" = bench.uid(n) AND i."threadId" IN ('thr-' || n || '-r1', 'thr-' || n || '-r2')`;
}

function dismissalsSql(users: number): string {
  return `
INSERT INTO follow_up_dismissals (id, "userId", "threadId", "upTo", "createdAt")
SELECT gen_random_uuid(), i."userId", i."threadId", max(i.at), bench.t0() - interval '1 day'
  FROM generate_series(3, ${users}, 3) n
  JOIN interactions i ON i."userId" = bench.uid(n) AND i."threadId" = 'thr-' || n || '-r1'
 GROUP BY i."userId", i."threadId"
UNION ALL
SELECT gen_random_uuid(), bench.uid(n), 'thr-' || n || '-h' || th, bench.t0() - bench.days(60 + th), bench.t0() - bench.days(50 + th)
  FROM generate_series(1, ${users}) n, generate_series(1, 3) th`;
}

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : sum(values) / values.length;
}

function ms(x: number, digits = 2): string {
  return x.toFixed(digits);
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}
