import type { FastifyRequest } from 'fastify';

/**
 * What a request log line says about the request: the path without its query string, which can
 * hold a signed settings or unsubscribe link, an OAuth code or state. No cookies, no body.
 */
export function requestLogFields(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.split('?')[0],
    hostname: request.hostname,
    remoteAddress: request.ip,
  };
}
