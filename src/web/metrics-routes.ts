import type { FastifyPluginAsync } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AppContext } from '../lib/context.ts';
import { readProviderRequests } from '../lib/metrics.ts';
import { QUEUE_NAMES } from '../queues/queues.ts';
import { bearerToken, isSameSecret } from './secret-compare.ts';

const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;

/**
 * GET /metrics in Prometheus text format. Everything is read at scrape time from where the truth
 * lives (BullMQ's counts, Postgres, the counters workers keep in Redis), so every server instance
 * reports the same service-wide figures and no worker needs a port of its own.
 * Labels carry account ids, never addresses.
 */
export function metricsRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const { registry, refresh } = buildRegistry(ctx);
    const token = ctx.config.METRICS_TOKEN;
    let turn: Promise<unknown> = Promise.resolve();
    app.get('/metrics', async (request, reply) => {
      if (token && !isSameSecret(bearerToken(request), token)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send('metrics need the METRICS_TOKEN bearer\n');
      }
      // Scrapes take turns: each resets and refills the same registry.
      const scrape = turn.then(async () => {
        await refresh();
        return registry.metrics();
      });
      turn = scrape.catch(() => undefined);
      const text = await scrape;
      return reply.type(registry.contentType).send(text);
    });
  };
}

/** The registry, and `refresh` that reads every source into it: run before each scrape. */
function buildRegistry(ctx: AppContext): { registry: Registry; refresh(): Promise<void> } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'touchbase_server_' });
  const registers = [registry];
  const up = new Gauge({
    name: 'touchbase_metrics_source_up',
    help: 'Whether the last scrape could read this source (1) or not (0)',
    labelNames: ['source'],
    registers,
  });
  const queueJobs = new Gauge({
    name: 'touchbase_queue_jobs',
    help: 'Jobs in each queue by state (BullMQ getJobCounts at scrape time)',
    labelNames: ['queue', 'state'],
    registers,
  });
  const syncLag = new Gauge({
    name: 'touchbase_sync_lag_seconds',
    help: 'Seconds since each active account last synced (since it was connected, if never)',
    labelNames: ['account_id', 'provider'],
    registers,
  });
  const accounts = new Gauge({
    name: 'touchbase_accounts',
    help: 'Connected mail accounts by provider and status',
    labelNames: ['provider', 'status'],
    registers,
  });
  const digests = new Gauge({
    name: 'touchbase_digests',
    help: 'Digests recorded in the database by status (SENT, FAILED, PENDING, EMPTY)',
    labelNames: ['status'],
    registers,
  });
  const providerRequests = new Counter({
    name: 'touchbase_provider_requests_total',
    help: 'Provider API requests by provider, method and outcome (ok, rate_limited, error), from every worker',
    labelNames: ['provider', 'method', 'outcome'],
    registers,
  });

  // A source that cannot be read leaves its metrics empty for this scrape instead of failing it.
  const read = async (source: string, fn: () => Promise<void>) => {
    try {
      await fn();
      up.set({ source }, 1);
    } catch (error) {
      up.set({ source }, 0);
      ctx.log.warn(
        { event: 'metrics.source_failed', source, err: String(error) },
        'metrics source unreadable',
      );
    }
  };

  async function refresh(): Promise<void> {
    for (const metric of [queueJobs, syncLag, accounts, digests, providerRequests]) metric.reset();
    await Promise.all([
      read('queues', async () => {
        const queues = ctx.queues();
        for (const name of Object.values(QUEUE_NAMES)) {
          const counts = await queues[name].getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) queueJobs.set({ queue: name, state }, counts[state] ?? 0);
        }
      }),
      read('postgres', async () => {
        const [lagRows, accountGroups, digestGroups] = await Promise.all([
          ctx.prisma.$queryRaw<{ id: string; provider: string; lag: number }[]>`
            SELECT id::text, provider::text,
                   EXTRACT(EPOCH FROM (now() - COALESCE("lastSyncedAt", "createdAt")))::float8 AS lag
            FROM mail_accounts WHERE status = 'ACTIVE'`,
          ctx.prisma.mailAccount.groupBy({ by: ['provider', 'status'], _count: { _all: true } }),
          ctx.prisma.digest.groupBy({ by: ['status'], _count: { _all: true } }),
        ]);
        for (const row of lagRows)
          syncLag.set({ account_id: row.id, provider: row.provider }, Math.max(0, row.lag));
        for (const group of accountGroups)
          accounts.set({ provider: group.provider, status: group.status }, group._count._all);
        for (const group of digestGroups) digests.set({ status: group.status }, group._count._all);
      }),
      read('redis', async () => {
        const counts = await readProviderRequests(ctx.redis(), ctx.config.QUEUE_PREFIX);
        for (const { provider, method, outcome, count } of counts)
          providerRequests.inc({ provider, method, outcome }, count);
      }),
    ]);
  }

  return { registry, refresh };
}
