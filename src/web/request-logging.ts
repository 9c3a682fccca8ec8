import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { type Logger, withoutQueryValues } from '../lib/logger.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Fastify's logging options for touchbase: every request gets an id (a proxy's X-Request-Id when
 * it looks like one, else a UUID) that each log line of the request carries as `reqId`, and the
 * request serializer never writes a query string's values: they carry OAuth codes and states,
 * signed unsubscribe links and the like. Parameter names stay, so a log still says what came in.
 */
export function webLoggingOptions(log: Logger): {
  loggerInstance: Logger;
  genReqId: (req: IncomingMessage) => string;
} {
  return {
    loggerInstance: log.child(
      { component: 'web' },
      {
        serializers: {
          req: (req: { method?: string; url?: string; id?: string }) => ({
            method: req.method,
            url: withoutQueryValues(req.url ?? ''),
          }),
          res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
        },
      },
    ),
    genReqId: requestId,
  };
}

/**
 * Answers every request with its id, so a user's report or a proxy's log leads to our lines.
 * `skip-override` (what fastify-plugin sets) makes the hook apply to the whole server.
 */
export const exposeRequestIds: FastifyPluginAsync = Object.assign(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header(REQUEST_ID_HEADER, request.id);
    });
  },
  { [Symbol.for('skip-override')]: true },
);

function requestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && /^[\w.:-]{8,128}$/.test(given) ? given : randomUUID();
}
