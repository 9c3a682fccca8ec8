import { createHash } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { IServerAdapter } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../lib/context.ts';
import { createLinkSigner } from '../lib/link-signer.ts';
import { listAccountsNeedingReconnect, renderAdminHome, renderLogin } from './admin-pages.ts';
import { bearerToken, isSameSecret } from './secret-compare.ts';

export const ADMIN_COOKIE = 'touchbase_admin';
const SESSION_MS = 8 * 3600_000;

/**
 * The operator's area under /admin: bull-board for the three queues and the accounts that need
 * reconnecting. Off (404) unless ADMIN_TOKEN is set. A script sends the token as a bearer header;
 * a person types it once into /admin/login and gets a signed, httpOnly, SameSite=Strict cookie
 * (Strict: no other site can make the browser send it, which is what guards bull-board's buttons).
 */
export function adminRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const token = ctx.config.ADMIN_TOKEN;
    if (!token) return;
    const session = adminSession(ctx.config.TOUCHBASE_SECRET, token, () => ctx.clock.now());
    const secure = ctx.config.PUBLIC_URL.startsWith('https:');

    await app.register(async (open) => {
      if (!open.hasContentTypeParser('application/x-www-form-urlencoded')) {
        open.addContentTypeParser(
          'application/x-www-form-urlencoded',
          { parseAs: 'string', bodyLimit: 4096 },
          (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
        );
      }
      open.get('/admin/login', async (_request, reply) => reply.type('text/html').send(renderLogin()));
      open.post('/admin/login', async (request, reply) => {
        const given = (request.body as Record<string, unknown> | undefined)?.token;
        if (!isSameSecret(typeof given === 'string' ? given : undefined, token)) {
          ctx.log.warn({ event: 'admin.login_refused', reqId: request.id }, 'admin login refused');
          return reply.code(401).type('text/html').send(renderLogin('That is not the admin token.'));
        }
        ctx.log.info({ event: 'admin.login', reqId: request.id }, 'admin signed in');
        return reply
          .header('set-cookie', cookie(session.issue(), SESSION_MS / 1000, secure))
          .redirect('/admin', 303);
      });
      open.post('/admin/logout', async (_request, reply) =>
        reply.header('set-cookie', cookie('', 0, secure)).redirect('/admin/login', 303),
      );
    });

    await app.register(async (guarded) => {
      guarded.addHook('onRequest', async (request, reply) => {
        if (isSameSecret(bearerToken(request), token)) return;
        if (session.verify(readCookie(request, ADMIN_COOKIE))) return;
        return refuse(request, reply);
      });
      guarded.get('/admin', async (_request, reply) => {
        const accounts = await listAccountsNeedingReconnect(ctx.prisma);
        return reply.type('text/html').send(renderAdminHome(accounts, ctx.clock.now()));
      });
      guarded.get('/admin/accounts/needs-reconnect', async () => ({
        accounts: await listAccountsNeedingReconnect(ctx.prisma),
      }));
      await registerBullBoard(guarded, ctx);
    });
  };
}

async function registerBullBoard(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const queues = ctx.queues();
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({
    queues: [queues.sync, queues.digest, queues.command].map((queue) => new BullMQAdapter(queue)),
    // @bull-board/fastify 9.10.1 pins its own copy of @bull-board/api (9.10.1) beside ours (9.10.2):
    // the same interface, declared twice, so TypeScript sees two types.
    serverAdapter: serverAdapter as unknown as IServerAdapter,
    options: { uiConfig: { boardTitle: 'touchbase queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: '/admin/queues' });
}

/** A browser gets the login form (still a 401); a script gets a plain 401. */
function refuse(request: FastifyRequest, reply: FastifyReply) {
  reply.code(401).header('www-authenticate', 'Bearer realm="touchbase admin"');
  if (request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')) {
    return reply.type('text/html').send(renderLogin());
  }
  return reply.send({
    error: 'admin token required: Authorization: Bearer <ADMIN_TOKEN>, or sign in at /admin/login',
  });
}

/**
 * The cookie holds its expiry, signed under TOUCHBASE_SECRET for a purpose naming the admin token's
 * hash: changing ADMIN_TOKEN signs every operator out.
 */
function adminSession(secret: string, adminToken: string, now: () => Date) {
  const signer = createLinkSigner(secret);
  const purpose = `admin-session:${createHash('sha256').update(adminToken).digest('hex')}`;
  return {
    issue: () => signer.sign(purpose, String(now().getTime() + SESSION_MS)),
    verify(value: string | undefined): boolean {
      const expires = value ? signer.verify(purpose, value) : null;
      return expires !== null && Number(expires) > now().getTime();
    },
  };
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${ADMIN_COOKIE}=${value}`,
    'Path=/admin',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
