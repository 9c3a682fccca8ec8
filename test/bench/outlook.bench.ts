import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { parseConfig } from '../../src/config/config.ts';
import { createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { applyMigrations } from '../../src/lib/migrations.ts';
import { runAdminStatement, withDatabase } from '../../src/lib/pg-migration-adapter.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';
import { connectAccount } from '../../src/oauth/connect-account.ts';
import { backfillChunk } from '../../src/sync/backfill-chunk.ts';
import { startFakeGraph } from '../fakes/graph/fake-graph.ts';
import { generateMailbox } from '../fakes/graph/mailbox-generator.ts';
import { graphTlsEnv } from '../fakes/graph/tls.ts';
import { actLikeBrowser } from '../support/act-like-browser.ts';
import { syncOnce } from '../support/test-env.ts';

const DATABASE = 'touchbase_bench_outlook';
const OWNER = { name: 'Ada Lovelace', email: 'ada@contoso.com' };
const CLIENT = { id: 'touchbase-bench', secret: 'bench-secret' };
/** Graph's largest message page, as the provider asks for it. */
const PAGE_SIZE = 1000;
const CONCURRENCY = 4;
/** The generator's folders that hold nobody's exchange become two more user folders. */
const REHOMED: Record<string, string> = {
  junkemail: 'Clients',
  drafts: 'Clients',
  deleteditems: 'Travel',
  conversationhistory: 'Travel',
};

/**
 * `npm run bench -- outlook [--messages 100000] [--latency 400] [--jitter 100] [--heap-mb 256]
 *   [--only fetch|sync] [--url postgresql://...]`
 *
 * A fresh database, a fake Graph serving a generated mailbox of --messages over 8 folders (inbox
 * and two subfolders, Sent Items, Archive, three user folders) with --latency ms (+ 0..jitter) per
 * request, the account connected through the real OAuth flow; then ONE backfill in a child
 * process (so its CPU and peak RSS are the sync's own, not the fake's): the provider through the
 * real Graph client, storing interactions and contacts in Postgres as the worker does.
 */
export async function runOutlookBench(argv: string[]): Promise<void> {
  // Node trusts the fake's test CA only through NODE_EXTRA_CA_CERTS, read at start: run again with it.
  const tls = graphTlsEnv();
  if (process.env.NODE_EXTRA_CA_CERTS !== tls.NODE_EXTRA_CA_CERTS) {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      env: { ...process.env, ...tls },
      stdio: 'inherit',
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    process.exitCode = code ?? 1;
    return;
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '100000' },
      latency: { type: 'string', default: '400' },
      jitter: { type: 'string', default: '100' },
      url: {
        type: 'string',
        default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
      },
      'sync-child': { type: 'string' },
      // As in the Gmail bench: V8 grows its heap lazily up to a limit sized from the machine's
      // memory, so without a cap the RSS measures the collector's patience. 0 = no cap.
      'heap-mb': { type: 'string', default: '256' },
      // Run one of the two measurements only.
      only: { type: 'string' },
    },
  });
  if (values['sync-child']) return syncChild(values['sync-child']);

  const count = Number(values.messages);
  const latency = { fixedMs: Number(values.latency), jitterMs: Number(values.jitter), seed: 1 };
  const url = withDatabase(values.url, DATABASE);
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}; load average ${loadavg()[0]?.toFixed(1)} (other work skews wall times)`,
  );
  await runAdminStatement(values.url, `DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await runAdminStatement(values.url, `CREATE DATABASE "${DATABASE}"`);
  await applyMigrations(url);

  const generated = generateMailbox({ owner: OWNER, count, seed: 7, spanDays: 700 });
  const messages = generated.messages.map((m) => ({ ...m, folder: REHOMED[m.folder] ?? m.folder }));
  const folders = [...generated.folders, { displayName: 'Clients' }, { displayName: 'Travel' }];
  const byFolder = new Map<string, number>();
  for (const m of messages) byFolder.set(m.folder, (byFolder.get(m.folder) ?? 0) + 1);
  const graph = await startFakeGraph({
    email: OWNER.email,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    folders,
    messages,
  });
  const env: Record<string, string> = {
    DATABASE_URL: url,
    TOUCHBASE_SECRET: generateSecret(),
    MICROSOFT_CLIENT_ID: CLIENT.id,
    MICROSOFT_CLIENT_SECRET: CLIENT.secret,
    MICROSOFT_AUTHORITY_URL: graph.authorityUrl,
    MICROSOFT_TENANT: graph.tenant,
    GRAPH_API_URL: graph.graphUrl,
    QUEUE_PREFIX: `bench-outlook-${process.pid}`,
    BACKFILL_DAYS: '730',
    LOG_LEVEL: 'warn',
  };
  const ctx = createContext(parseConfig(env), { log: createLogger('warn') });
  try {
    const { account } = await connectAccount(ctx, 'outlook', {
      onAuthorizeUrl: (authorizeUrl) => actLikeBrowser(authorizeUrl).then(() => undefined),
    });
    await ctx.queues().sync.obliterate({ force: true });
    graph.setLatency(latency);
    console.log(
      `\nmailbox: ${fmt(count)} messages over ${byFolder.size} folders (${[...byFolder.entries()].map(([f, n]) => `${f} ${fmt(n)}`).join(', ')})`,
    );
    console.log(
      `fake Graph latency: ${latency.fixedMs} ms + 0..${latency.jitterMs} ms per request (mean ${latency.fixedMs + latency.jitterMs / 2} ms); pages of ${PAGE_SIZE}; ${CONCURRENCY} concurrent`,
    );
    const pages = [...byFolder.values()].map((n) => Math.max(1, Math.ceil(n / PAGE_SIZE)));
    const minimumPages = pages.reduce((a, b) => a + b, 0);
    const floorPages = Math.max(Math.max(...pages), Math.ceil(minimumPages / CONCURRENCY));
    // Folder discovery cannot overlap the delta it decides: the top-level listing (with the
    // well-known names beside it in one batch), then the one level of subfolders.
    const discovery = 2;
    // The fake adds a uniform 0..jitter to every answer: the floor is at its mean latency.
    const meanLatencyMs = latency.fixedMs + latency.jitterMs / 2;
    const floorMs = (floorPages + discovery) * meanLatencyMs;

    const modes = (['fetch', 'sync'] as const).filter((m) => !values.only || values.only === m);
    for (const mode of modes) {
      const before = { ...graph.stats, byRoute: { ...graph.stats.byRoute } };
      const heapMb = Number(values['heap-mb']);
      const args = [
        ...(heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : []),
        ...process.execArgv,
        ...process.argv.slice(1),
        '--sync-child',
        `${mode}:${account.id}`,
      ];
      const child = spawn(process.execPath, args, {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      await new Promise((resolve) => child.on('close', resolve));
      const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ChildReport;
      // As Microsoft counts them: each request outside a batch and each item inside one.
      const graphCalls = graph.stats.graphCalls - before.graphCalls;
      const httpRequests = graph.stats.requests - before.requests;
      const deltaPages =
        (graph.stats.byRoute['messages.delta'] ?? 0) - (before.byRoute['messages.delta'] ?? 0);
      const throttled = graph.stats.throttled - before.throttled;
      console.log(
        mode === 'fetch'
          ? "\n== the Graph side alone: the provider's backfill, pages read and dropped (no database) =="
          : `\n== a whole sync, as the worker runs it: backfill in ${report.chunks} chunk job(s) of at most ${report.chunkSeconds} s (BACKFILL_CHUNK_SECONDS), interactions and contacts stored ==`,
      );
      if (mode === 'sync') {
        console.log(
          `stored:            ${fmt(await ctx.prisma.interaction.count())} interactions, ${fmt(await ctx.prisma.contact.count())} contacts`,
        );
      }
      console.log(`messages:          ${fmt(report.fetched)}`);
      console.log(`wall time:         ${(report.wallMs / 1000).toFixed(1)} s`);
      console.log(
        `requests:          ${fmt(httpRequests)} HTTP (${fmt(graphCalls)} as Graph counts them, a $batch item each; ${fmt(deltaPages)} delta pages)`,
      );
      console.log(
        `minimum pages:     ${fmt(minimumPages)} -> HTTP / minimum = ${(httpRequests / minimumPages).toFixed(3)} (target <= 1.05); delta pages / minimum = ${(deltaPages / minimumPages).toFixed(3)}`,
      );
      // Graph's throttling counts each $batch item: folder discovery's listings and well-known
      // folder names, asked once per mailbox (kept for every later run), on top of the pages.
      console.log(
        `Graph-counted:     ${fmt(graphCalls)} = ${(graphCalls / minimumPages).toFixed(3)} x minimum, of which ${fmt(graphCalls - deltaPages)} not delta pages (folder discovery: listings and well-known folder names, once per mailbox)`,
      );
      console.log(
        `floor:             ${(floorMs / 1000).toFixed(1)} s (${floorPages} chained pages on the busiest lane + ${discovery} discovery round trips, x ${meanLatencyMs} ms mean latency)`,
      );
      console.log(`wall / floor:      ${(report.wallMs / floorMs).toFixed(2)} (target <= 1.2)`);
      console.log(
        `throttled (429):   ${fmt(throttled)}; most in flight at once: ${graph.stats.maxConcurrent}`,
      );
      console.log(
        `CPU (this process): ${((report.cpuMs / Math.max(1, report.fetched)) * 1000).toFixed(1)} ms per 1,000 messages (${(report.cpuMs / 1000).toFixed(1)} s; Postgres not included)`,
      );
      console.log(
        `peak RSS (this process): ${(report.maxRssKb / 1024).toFixed(0)} MB${heapMb > 0 ? ` (heap capped at ${heapMb} MB, as the Docker image runs the worker)` : ' (no heap cap)'}`,
      );
    }
  } finally {
    await ctx
      .queues()
      .sync.obliterate({ force: true })
      .catch(() => undefined);
    await ctx.close();
    await graph.close();
  }
}

interface ChildReport {
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
  fetched: number;
  /** Sync jobs the backfill took (sync mode), and their time limit. */
  chunks: number;
  chunkSeconds: number;
}

/**
 * The measured part, in its own process: `fetch` runs the provider's backfill alone (pages read
 * and dropped), `sync` one sync run of the account as the worker runs it.
 */
async function syncChild(arg: string): Promise<void> {
  const [mode, accountId = ''] = arg.split(':');
  const config = parseConfig(process.env);
  const ctx = createContext(config, { log: createLogger('warn') });
  try {
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    const provider = providerForAccount(ctx, account);
    const cpu = process.cpuUsage();
    const start = performance.now();
    let fetched = 0;
    let chunks = 0;
    if (mode === 'fetch') {
      const since = new Date(Date.now() - config.BACKFILL_DAYS * 86_400_000);
      let { state } = await provider.beginBackfill(since);
      for (;;) {
        const page = await provider.backfillPage(state);
        fetched += page.messages.length;
        state = page.state;
        if (page.done) break;
      }
    } else {
      // As the worker runs it: chunks of BACKFILL_CHUNK_SECONDS (backfillChunk), each with a
      // provider of its own (a job), one after the other (the hand-over through the queue is not
      // timed).
      const chunk = backfillChunk(config, provider);
      for (;;) {
        const result = await syncOnce(ctx, accountId, { chunk });
        fetched += result.fetched;
        chunks++;
        if (!result.continues) break;
      }
    }
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const report: ChildReport = {
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      maxRssKb: process.resourceUsage().maxRSS,
      fetched,
      chunks,
      chunkSeconds: config.BACKFILL_CHUNK_SECONDS,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await ctx.close();
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
