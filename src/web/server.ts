import Fastify, { type FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../lib/context.ts';
import { createLinkSigner } from '../lib/link-signer.ts';
import { pendingMigrations } from '../lib/migrations.ts';
import { adminRoutes } from './admin-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { exposeRequestIds, webLoggingOptions } from './request-logging.ts';

/** The HTTP server. For now the operator endpoints; the web issue adds the pages. */
export async function buildServer(ctx: AppContext) {
  const app = Fastify(webLoggingOptions(ctx.log));
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

  await app.register(unsubscribeRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  await app.register(adminRoutes(ctx));
  return app;
}

/**
 * The digest's List-Unsubscribe target (RFC 8058). A POST pauses the digest at once (mail clients
 * send `List-Unsubscribe=One-Click`); a GET only shows a button, because link scanners open GETs.
 * The signed link works without a session.
 */
function unsubscribeRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const signer = createLinkSigner(ctx.config.TOUCHBASE_SECRET);
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      },
    );
    const userOf = (token: unknown) =>
      typeof token === 'string' ? signer.verify('unsubscribe', token) : null;
    const invalid =
      'This link is not valid (it may have been cut or changed). Use the link in your latest digest.';

    app.get('/unsubscribe', async (request, reply) => {
      const token = (request.query as Record<string, unknown>).u;
      if (!userOf(token)) return reply.code(400).type('text/html').send(page('Link not valid', invalid));
      const form = `<form method="post" action="/unsubscribe?u=${encodeURIComponent(String(token))}"><button type="submit">Pause my weekly digest</button></form>`;
      return reply
        .type('text/html')
        .send(
          page('Pause your touchbase digest?', 'You will get no more digests until you resume them.', form),
        );
    });

    app.post('/unsubscribe', async (request, reply) => {
      const userId = userOf((request.query as Record<string, unknown>).u);
      if (!userId) return reply.code(400).type('text/html').send(page('Link not valid', invalid));
      await ctx.prisma.user.updateMany({ where: { id: userId }, data: { digestPaused: true } });
      ctx.log.info({ event: 'digest.paused', userId }, 'digest paused by unsubscribe link');
      return reply
        .type('text/html')
        .send(page('Your digest is paused', 'Resume it any time: touchbase users set --resume.'));
    });
  };
}

function page(title: string, text: string, extra = ''): string {
  const html = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${html(title)} · touchbase</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5"><h1>${html(title)}</h1><p>${html(text)}</p>${extra}</body></html>`;
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
