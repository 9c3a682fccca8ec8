import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export { readBody } from '../gmail/respond.ts';

/** Where a response goes: a real socket, or one slot of a JSON $batch answer. */
export interface Reply {
  send(status: number, body: unknown, headers?: Record<string, string>): void;
  /**
   * The body as this reply will send it, made ahead of time: the fake's latency is counted from
   * the request's arrival, its own work included, as a real service's is.
   */
  prepare?(body: unknown): unknown;
}

/** A body already serialized by Reply.prepare. */
class PreparedJson {
  constructor(readonly text: string) {}
}

/** A Reply that writes straight to the HTTP response. */
export function httpReply(res: ServerResponse): Reply {
  return {
    prepare: (body) => (body === undefined ? body : new PreparedJson(JSON.stringify(body))),
    send(status, body, headers = {}) {
      const requestId = randomUUID();
      const common: Record<string, string> = {
        'request-id': requestId,
        'client-request-id': requestId,
        'x-ms-ags-diagnostic':
          '{"ServerInfo":{"DataCenter":"Fake","Slice":"E","Ring":"5","ScaleUnit":"001","RoleInstance":"FAKE01"}}',
        'cache-control': 'no-cache',
        ...headers,
      };
      if (body === undefined) {
        res.writeHead(status, common);
        res.end();
        return;
      }
      res.writeHead(status, {
        'content-type':
          'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
        ...common,
      });
      res.end(body instanceof PreparedJson ? body.text : JSON.stringify(body));
    },
  };
}

/**
 * Graph's error envelope: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`.
 */
export function sendGraphError(
  reply: Reply,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const id = randomUUID();
  reply.send(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': id,
          'client-request-id': id,
        },
      },
    },
    headers,
  );
}

/**
 * The identity platform's token error shape (RFC 6749 fields plus Entra's diagnostics).
 * `aadsts` is the AADSTS number, which also prefixes error_description.
 */
export function sendIdentityError(
  res: ServerResponse,
  status: number,
  error: string,
  aadsts: number,
  description: string,
  extra: Record<string, unknown> = {},
): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  const body = {
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    ...extra,
  };
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
  });
  res.end(JSON.stringify(body));
}

export function sendHtmlPage(res: ServerResponse, status: number, title: string, detail: string): void {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(
    `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><h1>${esc(
      title,
    )}</h1><p>${esc(detail)}</p></body></html>`,
  );
}
