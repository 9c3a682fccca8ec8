import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseConfig } from '../../src/config/config.ts';
import { createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { applyMigrations } from '../../src/lib/migrations.ts';
import { runAdminStatement, withDatabase } from '../../src/lib/pg-migration-adapter.ts';
import { connectAccount } from '../../src/oauth/connect-account.ts';
import { type GmailMethod, gmailQuota } from '../../src/providers/gmail/gmail-quota.ts';
import { type FakeGmailMessage, startFakeGmail } from '../fakes/gmail/fake-gmail.ts';
import { actLikeBrowser } from '../support/act-like-browser.ts';
import { recordMailbox } from './gmail-recording.ts';
import { postgresCpuMs } from './postgres-cpu.ts';
import { syntheticMailbox } from './synthetic-mailbox.ts';

const DATABASE = 'touchbase_bench_gmail';
const SECRET = Buffer.alloc(32, 7).toString('base64');
const CLIENT = { id: 'touchbase-bench', secret: 'bench-secret' };
/** The mailbox ends now: the sync process backfills BACKFILL_DAYS (730) back from its own clock. */
const NOW = Date.now();
const LIST_PAGE = 500;
/** Real Gmail metadata reads answer in roughly 70-130 ms; scaled down with the budget. */
const LATENCY = { fixedMs: 70, jitterMs: 60 };
/** Google publishes no number for its per-user concurrency limit; well above what sync uses. */
const MAX_CONCURRENT = 50;
/** Google's per-project Gmail quota, every user together (units a minute). */
const PROJECT_UNITS_PER_MINUTE = 1_200_000;
let heapMb = 0;

/**
 * `npm run bench -- gmail [--messages 100000] [--regimes legacy,2026] [--floor-seconds 150]
 *   [--ingest 100000] [--big 1000000] [--seed 7] [--url postgresql://...]`
 *
 * 1. For each quota regime, a synthetic mailbox on the fake Gmail with the per-user quota
 *    ENFORCED (sliding minute), synced through the real path in a process of its own (googleapis
 *    client, Gmail provider, quota governor in Redis, Postgres store). Time is compressed: the
 *    budget is multiplied and the latency divided by one factor, chosen so that the quota floor
 *    lasts --floor-seconds; every figure is printed at that scale.
 * 2. With the quota off, in processes of their own for their peak RSS: a backfill's work (the
 *    pages through storeInteractions, and the batched recompute of dirty contacts,
 *    refreshDirtyContacts, at the chunk ends sync does it at) at --ingest and at --big messages;
 *    then storing alone (the --ingest pages through storeInteractions, no recompute), with what
 *    Google's quota lets a sync read, for scale. The
 *    mailbox is first recorded to a file as Gmail's answers (written and read a page at a time,
 *    never held whole), so the ingest process does only what the sync's does with them. Each run
 *    prints its CPU, the ingest process's and Postgres's, per 100,000 messages.
 */
export async function runGmailBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '100000' },
      regimes: { type: 'string', default: 'legacy,2026' },
      'floor-seconds': { type: 'string', default: '150' },
      ingest: { type: 'string', default: '100000' },
      big: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '7' },
      url: {
        type: 'string',
        default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
      },
      redis: { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
      // V8 grows its heap lazily up to a limit sized from the machine's memory, so without a cap
      // the RSS measures the collector's patience, not what the sync holds. 0 = no cap.
      'heap-mb': { type: 'string', default: '192' },
    },
  });
  heapMb = Number(values['heap-mb']);
  const size = Number(values.messages);
  const seed = Number(values.seed);
  const floorSeconds = Number(values['floor-seconds']);
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}; load average ${loadavg()[0]?.toFixed(1)} (other work on the machine stretches wall times)`,
  );
  console.log(
    heapMb > 0
      ? `measured processes run with --max-old-space-size=${heapMb} (the Docker image caps app processes at 256); --heap-mb 0 for none`
      : 'measured processes run without a heap cap: V8 may grow the heap far beyond what is live',
  );

  if (size > 0) {
    const genStart = performance.now();
    const messages: FakeGmailMessage[] = [];
    for (const thread of syntheticMailbox({ messages: size, seed, now: NOW }).threads())
      messages.push(...thread);
    const threadSizes = new Map<string, number>();
    for (const m of messages) threadSizes.set(m.threadId, (threadSizes.get(m.threadId) ?? 0) + 1);
    const threads = threadSizes.size;
    console.log(
      `mailbox: ${fmt(messages.length)} messages in ${fmt(threads)} threads (${(messages.length / threads).toFixed(2)} a thread), generated in ${((performance.now() - genStart) / 1000).toFixed(1)} s`,
    );
    for (const regime of values.regimes.split(',') as ('legacy' | '2026')[]) {
      await syncRun({
        regime,
        messages,
        threads: [...threadSizes.values()],
        floorSeconds,
        adminUrl: values.url,
        redisUrl: values.redis,
      });
    }
  }
  // Each mailbox size is recorded once, for every run that reads it.
  const dir = await mkdtemp(join(tmpdir(), 'touchbase-bench-'));
  const recorded = new Map<number, Promise<Recording>>();
  const recording = (n: number) => {
    let made = recorded.get(n);
    if (!made) {
      const file = join(dir, `mailbox-${n}.jsonl`);
      made = recordMailbox(file, { messages: n, seed, now: NOW, pageSize: LIST_PAGE }).then(({ owner }) => ({
        n,
        file,
        owner,
      }));
      recorded.set(n, made);
    }
    return made;
  };
  try {
    for (const n of [Number(values.ingest), Number(values.big)]) {
      if (n > 0) await ingestRun(await recording(n), values.url, values.redis);
    }
    if (Number(values.ingest) > 0)
      await storeOnlyRun(await recording(Number(values.ingest)), values.url, values.redis);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A synthetic mailbox of `n` messages recorded as Gmail's answers (gmail-recording.ts). */
interface Recording {
  n: number;
  file: string;
  owner: string;
}

interface SyncRunOptions {
  regime: 'legacy' | '2026';
  messages: FakeGmailMessage[];
  /** The number of messages in each thread. */
  threads: number[];
  floorSeconds: number;
  adminUrl: string;
  redisUrl: string;
}

async function syncRun(o: SyncRunOptions): Promise<void> {
  const quota = gmailQuota(o.regime);
  const n = o.messages.length;
  const minimum = minimumUnits(quota.cost, n, o.threads);
  // The factor that makes the floor last floorSeconds: real-time floor / wanted floor.
  const realFloorSeconds = (minimum.units / quota.unitsPerMinute) * 60;
  const scale = Math.max(1, Math.round(realFloorSeconds / o.floorSeconds));
  const budget = quota.unitsPerMinute * scale;
  const floorMs = (minimum.units / budget) * 60_000;

  const url = await freshDatabase(o.adminUrl);
  const fake = await startFakeGmail({
    email: 'bench.owner@gmail.com',
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    messages: o.messages,
    quota: { regime: o.regime },
    timeScale: scale,
    latency: LATENCY,
    maxConcurrentRequests: MAX_CONCURRENT,
  });
  const env = {
    DATABASE_URL: url,
    REDIS_URL: o.redisUrl,
    TOUCHBASE_SECRET: SECRET,
    GOOGLE_CLIENT_ID: CLIENT.id,
    GOOGLE_CLIENT_SECRET: CLIENT.secret,
    GOOGLE_AUTH_URL: fake.authUrl,
    GOOGLE_TOKEN_URL: fake.tokenUrl,
    GMAIL_API_URL: fake.apiUrl,
    GMAIL_QUOTA_REGIME: o.regime,
    GMAIL_QUOTA_UNITS_PER_MINUTE: String(budget),
    QUEUE_PREFIX: `tbbench:${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'warn',
  };
  const ctx = createContext(parseConfig(env), { log: createLogger('silent') });
  try {
    const { account } = await connectAccount(ctx, 'gmail', {
      onAuthorizeUrl: (authorizeUrl) => actLikeBrowser(authorizeUrl).then(() => undefined),
    });
    const before = structuredClone(fake.stats.quota);
    const run = await runChild(['test/support/sync-process.ts', account.id], env);
    const q = fake.stats.quota;
    const spent = q.unitsTotal - before.unitsTotal;
    const limited =
      q.rejected.userRateLimit -
      before.rejected.userRateLimit +
      q.rejected.concurrency -
      before.rejected.concurrency;
    const stored = await ctx.prisma.interaction.count({ where: { accountId: account.id } });
    const calls = Object.entries(q.requests)
      .map(
        ([endpoint, count]) =>
          `${endpoint.replace('users.', '')} ${fmt(count - (before.requests[endpoint] ?? 0))}`,
      )
      .join(', ');
    const wall = Number(run.wallMs);
    console.log(`\n${o.regime}: ${fmt(quota.unitsPerMinute)} units/min per user; time compressed x${scale}`);
    console.log(
      `  (budget ${fmt(budget)} units per sliding minute, latency ${LATENCY.fixedMs}+${LATENCY.jitterMs} ms / ${scale})`,
    );
    console.log(
      `  cheapest plan: ${minimum.plan}, ${fmt(minimum.units)} units (per message ${fmt(minimum.perMessage)}, per thread ${fmt(minimum.perThread)})`,
    );
    console.log(`  calls: ${calls}`);
    console.log(`  stored ${fmt(stored)} of ${fmt(n)} messages`);
    console.log(
      `  wall ${(wall / 1000).toFixed(1)} s (= ${fmtMinutes((wall * scale) / 60_000)} at real speed); floor ${(floorMs / 1000).toFixed(1)} s (= ${fmtMinutes(realFloorSeconds / 60)}); wall/floor ${(wall / floorMs).toFixed(3)}`,
    );
    console.log(
      `  units spent / minimum ${(spent / minimum.units).toFixed(3)} (${fmt(spent)} / ${fmt(minimum.units)}); peak sliding minute ${fmt(q.peakWindowUnits)} of ${fmt(budget)} (${((100 * q.peakWindowUnits) / budget).toFixed(1)}%)`,
    );
    console.log(`  rate-limit errors received: ${limited}`);
    console.log(
      `  CPU ${(Number(run.cpuMs) / n).toFixed(2)} s per 1,000 messages (sync process); peak RSS ${Number(run.peakRssMb).toFixed(0)} MB`,
    );
  } finally {
    const queues = ctx.queues();
    await Promise.all([queues.sync.obliterate({ force: true }), queues.digest.obliterate({ force: true })]);
    await ctx.close();
    await fake.close();
  }
}

/**
 * The ingest child (test/bench/gmail-child.ts) on a fresh database; `mode` 'store-only' skips the
 * recomputes. The child reads the recorded answers, parses and normalises them, then stores, and
 * its process holds nothing of the fake's.
 */
async function ingestChild(
  recording: Recording,
  adminUrl: string,
  redisUrl: string,
  mode: 'sync' | 'store-only',
): Promise<{ url: string; run: Record<string, unknown> }> {
  const url = await freshDatabase(adminUrl);
  const args = ['test/bench/gmail-child.ts', recording.file, recording.owner];
  const pgBefore = await postgresCpuMs();
  const run = await runChild(mode === 'store-only' ? [...args, 'store-only'] : args, {
    DATABASE_URL: url,
    REDIS_URL: redisUrl,
    TOUCHBASE_SECRET: SECRET,
    LOG_LEVEL: 'warn',
  });
  const pgAfter = await postgresCpuMs();
  if (pgBefore !== null && pgAfter !== null) run.postgresCpuMs = pgAfter - pgBefore;
  return { url, run };
}

async function ingestRun(recording: Recording, adminUrl: string, redisUrl: string): Promise<void> {
  const { n } = recording;
  const { url, run } = await ingestChild(recording, adminUrl, redisUrl, 'sync');
  const storeMs = Number(run.storeMs);
  const refreshMs = Number(run.refreshMs);
  const refreshWaitMs = Number(run.refreshWaitMs);
  const ceiling = await insertCeiling(url);
  console.log(
    `\ningest as a backfill runs it, with its contact recomputes, quota off, ${fmt(n)} messages in list pages of ${LIST_PAGE}, read from a recording of Gmail's answers (storeInteractions per page; refreshDirtyContacts ${fmt(Number(run.refreshes))} times, where sync runs it: the first chunk's end, beside the chunks the policy picks (each doubling, at most one a minute), and the end): ${fmt(Number(run.messages) / (storeMs / 1000))} messages/s (${(storeMs / 1000).toFixed(1)} s, of which ${(refreshWaitMs / 1000).toFixed(1)} s waiting for recomputes, which ran ${(refreshMs / 1000).toFixed(1)} s in all; ${fmt(Number(run.contacts))} contacts); peak RSS ${Number(run.peakRssMb).toFixed(0)} MB, peak heap ${Number(run.peakHeapMb).toFixed(0)} MB`,
  );
  const storedMs = Number(run.storedMs);
  console.log(
    `  of which: the last page stored after ${(storedMs / 1000).toFixed(1)} s (${fmt(Number(run.messages) / (storedMs / 1000))} messages/s stored: target 30,000, docs/decisions/0022), the contacts complete ${((storeMs - storedMs) / 1000).toFixed(1)} s later (the backfill's last recompute, which reads every history once)`,
  );
  console.log(cpuLine(run));
  console.log(
    `  Postgres's own ceiling for storing them: INSERT ... SELECT of the ${fmt(ceiling.rows)} stored rows into an empty copy of interactions (same indexes and account check), no client, no recompute: ${(ceiling.ms / 1000).toFixed(1)} s = ${fmt(ceiling.rows / (ceiling.ms / 1000))} rows/s`,
  );
}

/**
 * The same pages through storeInteractions with no contact recompute: the store path on its own.
 * The backfill figure printed before it is this plus the recomputes.
 */
async function storeOnlyRun(recording: Recording, adminUrl: string, redisUrl: string): Promise<void> {
  const { n } = recording;
  const { run } = await ingestChild(recording, adminUrl, redisUrl, 'store-only');
  const storeMs = Number(run.storeMs);
  console.log(
    `\nstoring alone, quota off, ${fmt(n)} messages (every page through storeInteractions as sync stores it, no contact recompute: the backfill figure above is this plus the recomputes): ${fmt(Number(run.messages) / (storeMs / 1000))} messages/s stored (target 30,000) (${(storeMs / 1000).toFixed(1)} s)`,
  );
  console.log(cpuLine(run));
  console.log(quotaScale());
}

/**
 * What Google lets a sync read, in messages a second, for scale: one user's mailbox and one whole
 * project (every user together), per regime, reading each message singly (messages.get; reading
 * a thread whole, where that is cheaper, raises it by the units it saves, which the quota runs print).
 */
function quotaScale(): string {
  const rates = (['legacy', '2026'] as const).map((regime) => {
    const { unitsPerMinute, cost } = gmailQuota(regime);
    const perMessage = cost['messages.get'];
    const user = unitsPerMinute / 60 / perMessage;
    const project = PROJECT_UNITS_PER_MINUTE / 60 / perMessage;
    return `${regime}: one user ${fmt(user)}/s, one project ${fmt(project)}/s`;
  });
  return `  for scale, what Gmail's quota lets touchbase read, messages one at a time: ${rates.join('; ')}`;
}

/**
 * What an ingest run cost the machine: the ingest process's CPU and Postgres's (every Postgres
 * process, background writers included), against what the machine's cores offer over the run's
 * wall time (reading and normalising the pages included). At 100% nothing on this machine could
 * go faster: the way up is less work per message, or more cores.
 */
function cpuLine(run: Record<string, unknown>): string {
  const messages = Number(run.messages);
  const per100k = (ms: number) => `${((ms / 1000) * (100_000 / messages)).toFixed(1)}`;
  const node = Number(run.cpuMs);
  const wall = Number(run.wallMs);
  if (typeof run.postgresCpuMs !== 'number')
    return `  CPU per 100,000 messages: ingest process ${per100k(node)} s (Postgres's not visible from here)`;
  const postgres = run.postgresCpuMs;
  const busy = (node + postgres) / (wall * cpus().length);
  return `  CPU per 100,000 messages: ingest process ${per100k(node)} s + Postgres ${per100k(postgres)} s = ${per100k(node + postgres)} core-seconds; over the run's ${(wall / 1000).toFixed(1)} s (reading and normalising the pages included) the ${cpus().length} cores were ${(busy * 100).toFixed(0)}% busy`;
}

/**
 * How fast this Postgres stores the ingest's rows with nothing else in the way: the stored
 * interactions copied, inside the server, into an empty table with the same indexes and account check.
 * Whatever the code does, ingest cannot beat this.
 */
async function insertCeiling(url: string): Promise<{ rows: number; ms: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS ceiling_probe');
    await client.query('CREATE TABLE ceiling_probe (LIKE interactions INCLUDING ALL)');
    await client.query(
      'CREATE TRIGGER ceiling_probe_account AFTER INSERT ON ceiling_probe REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION interactions_check_account()',
    );
    await client.query('CHECKPOINT');
    const started = performance.now();
    const inserted = await client.query('INSERT INTO ceiling_probe SELECT * FROM interactions');
    const ms = performance.now() - started;
    await client.query('DROP TABLE ceiling_probe');
    return { rows: inserted.rowCount ?? 0, ms };
  } finally {
    await client.end();
  }
}

/**
 * The fewest units a full backfill can cost, from the fake's own price list: getProfile for the
 * cursor, every list page, the history.list that starts the catch-up, and for each thread the
 * cheaper of one threads.get or one metadata get per message (never dearer than reading every
 * thread whole, or every message singly, which are printed beside it).
 */
function minimumUnits(cost: Record<GmailMethod, number>, messages: number, threads: readonly number[]) {
  const fixed =
    cost.getProfile + Math.ceil(messages / LIST_PAGE) * cost['messages.list'] + cost['history.list'];
  const perMessage = fixed + messages * cost['messages.get'];
  const perThread = fixed + threads.length * cost['threads.get'];
  let mixed = fixed;
  for (const size of threads) mixed += Math.min(size * cost['messages.get'], cost['threads.get']);
  return { plan: 'the cheaper read of each thread', units: mixed, perMessage, perThread };
}

async function freshDatabase(adminUrl: string): Promise<string> {
  await runAdminStatement(adminUrl, `DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await runAdminStatement(adminUrl, `CREATE DATABASE "${DATABASE}"`);
  const url = withDatabase(adminUrl, DATABASE);
  await applyMigrations(url);
  return url;
}

/** Runs a script under tsx with `env` and returns the JSON line it prints last. */
function runChild(args: string[], env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const heap = heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : [];
    const child = spawn(process.execPath, [...heap, '--import', 'tsx', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`${args[0]} exited with ${code}: ${last}`));
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        reject(new Error(`${args[0]} printed no result: ${out.slice(-500)}`));
      }
    });
  });
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtMinutes(minutes: number): string {
  return minutes >= 60 ? `${(minutes / 60).toFixed(1)} h` : `${minutes.toFixed(1)} min`;
}
