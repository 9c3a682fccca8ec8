import Fastify from 'fastify';
import type { AppContext } from '../lib/context.ts';
import { pendingMigrations } from '../lib/migrations.ts';
import { adminRoutes } from './admin-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { exposeRequestIds, webLoggingOptions } from './request-logging.ts';
import { webApp } from './web-app.ts';

/** The HTTP server: the operator endpoints, and the web app as one plugin. */
export async function buildServer(ctx: AppContext) {
  const app = Fastify({ ...webLoggingOptions(ctx.log), trustProxy: ctx.config.TRUST_PROXY });
  await app.register(exposeRequestIds);

  // Liveness: the process answers. Nothing external is checked, so a database outage
  // does not get the process restarted in a loop.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: every dependency a request needs is there.
  app.get('/readyz', async (_request, reply) => {
    const checks = await Promise.all([
      check('postgres', async () => {
        await ctx.prisma.$queryRaw`SELECT 1`;
      }),
      check('redis', async () => {
        await ctx.redis().ping();
      }),
      check('migrations', async () => {
        const pending = await pendingMigrations(ctx.config.DATABASE_URL);
        if (pending.length) throw new Error(`${pending.length} pending: run touchbase migrate`);
      }),
    ]);
    const ready = checks.every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  await app.register(metricsRoutes(ctx));
  await app.register(adminRoutes(ctx));
  // The pages for people (connect, settings, people, delete my data, unsubscribe).
  await app.register(webApp(ctx));
  return app;
}

async function check(
  name: string,
  fn: () => Promise<void>,
): Promise<{ name: string; ok: boolean; error?: string }> {
  try {
    await withTimeout(fn(), 3000);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
