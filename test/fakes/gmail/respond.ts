import type { IncomingMessage, ServerResponse } from 'node:http';

/** One entry of Google's legacy `errors[]` array, still sent by the Gmail API beside `status`. */
export interface GoogleErrorItem {
  message: string;
  domain: string;
  reason: string;
  location?: string;
  locationType?: string;
}

export interface GoogleErrorSpec {
  code: number;
  message: string;
  reason: string;
  /** errors[0].message when Google words it differently from the top-level message */
  itemMessage?: string;
  domain?: string;
  status?: string;
  location?: string;
  locationType?: string;
  /** google.rpc.ErrorInfo reason, e.g. ACCESS_TOKEN_SCOPE_INSUFFICIENT */
  errorInfoReason?: string;
  headers?: Record<string, string>;
}

/**
 * Sends an error in the JSON shape every Google REST API uses (code, message, errors[], status),
 * so clients exercise the same parsing they need against the real service.
 */
export function sendGoogleError(res: ServerResponse, spec: GoogleErrorSpec): void {
  const item: GoogleErrorItem = {
    message: spec.itemMessage ?? spec.message,
    domain: spec.domain ?? 'global',
    reason: spec.reason,
  };
  if (spec.location) item.location = spec.location;
  if (spec.locationType) item.locationType = spec.locationType;
  const error: Record<string, unknown> = {
    code: spec.code,
    message: spec.message,
    errors: [item],
    status: spec.status ?? statusForCode(spec.code),
  };
  if (spec.errorInfoReason) {
    error.details = [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: spec.errorInfoReason,
        domain: 'googleapis.com',
        metadata: { service: 'gmail.googleapis.com' },
      },
    ];
  }
  sendJson(res, spec.code, { error }, spec.headers);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'cache-control': 'private',
    vary: 'Origin, X-Origin, Referer',
    ...headers,
  });
  res.end(text);
}

/** OAuth endpoints answer with the flat RFC 6749 shape, not the API error envelope. */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
): void {
  sendJson(
    res,
    status,
    { error, error_description: description },
    { 'cache-control': 'no-store', pragma: 'no-cache' },
  );
}

/** Google's consent screen shows a human page, never a redirect, when it cannot trust the client. */
export function sendHtmlError(res: ServerResponse, status: number, error: string, detail: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error ${status}: ${escapeHtml(
    error,
  )}</title></head><body><h1>Access blocked: authorization error</h1><p>Error ${status}: ${escapeHtml(
    error,
  )}</p><p>${escapeHtml(detail)}</p></body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(html);
}

export function sendNotFoundPage(res: ServerResponse, path: string): void {
  res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8' });
  res.end(
    `<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> That’s an error.<p>The requested URL <code>${escapeHtml(
      path,
    )}</code> was not found on this server. That’s all we know.`,
  );
}

export async function readBody(req: IncomingMessage, limitBytes = 1_000_000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function statusForCode(code: number): string {
  switch (code) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ABORTED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 500:
      return 'INTERNAL';
    case 501:
      return 'NOT_IMPLEMENTED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
