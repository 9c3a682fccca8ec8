import { WWW_AUTHENTICATE } from './graph-auth.ts';
import { type Reply, sendGraphError } from './respond.ts';

export interface InjectedFault {
  /**
   * Matched against the decoded path + query: for Graph calls the part after /v1.0 (e.g.
   * `/me/mailFolders/inbox/messages/delta?$deltatoken=...`, batch items alike), for identity
   * the whole path (`/common/oauth2/v2.0/token`).
   */
  path: RegExp;
  status: number;
  /** Graph error code; defaults per status (410 syncStateNotFound, 429 ApplicationThrottled, ...) */
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
  /**
   * No answer at all (`status` is then ignored): the request is held, its socket open, until the
   * client gives up. A request lost on the way, as a load balancer or a stuck backend loses one.
   */
  hang?: boolean;
  /** default 1 */
  times?: number;
}

/**
 * The next matching fault, if any, counting one use of it. Faults are matched in the order they
 * were injected.
 */
export function takeFault(
  faults: (InjectedFault & { times: number })[],
  path: string,
): InjectedFault | undefined {
  const i = faults.findIndex((f) => f.times > 0 && f.path.test(path));
  const f = faults[i];
  if (!f) return undefined;
  f.times -= 1;
  if (f.times <= 0) faults.splice(i, 1);
  return f;
}

const FAULT_DEFAULTS: Record<number, [string, string]> = {
  400: ['BadRequest', 'The request is invalid.'],
  401: ['InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'],
  403: ['ErrorAccessDenied', 'Access is denied. Check credentials and try again.'],
  404: ['ErrorItemNotFound', 'The specified object was not found in the store.'],
  410: ['SyncStateNotFound', 'The sync state generation is not found; generation=1;[highest=2][2].'],
  429: ['ApplicationThrottled', 'Application is over its RequestRate limit.'],
  500: ['InternalServerError', 'An internal server error occurred.'],
  502: ['BadGateway', 'Bad gateway.'],
  503: ['ServiceNotAvailable', 'The service is temporarily unavailable.'],
  504: ['GatewayTimeout', 'The gateway timed out.'],
};

export function sendFault(reply: Reply, f: InjectedFault): void {
  const [code, message] = FAULT_DEFAULTS[f.status] ?? ['UnknownError', ''];
  const headers: Record<string, string> = {};
  if (f.retryAfterSeconds !== undefined) headers['Retry-After'] = String(f.retryAfterSeconds);
  if (f.status === 401) headers['WWW-Authenticate'] = WWW_AUTHENTICATE;
  sendGraphError(reply, f.status, f.code ?? code, f.message ?? message, headers);
}

/** What a fault's RegExp sees: the decoded path and query, so `$deltatoken` or an id reads as written. */
export function faultPath(path: string, query: URLSearchParams): string {
  return safeDecode(path) + queryString(query);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function queryString(q: URLSearchParams): string {
  // Decoded, so a fault's RegExp can name `$deltatoken` or a folder id as written.
  const s = [...q].map(([k, v]) => `${k}=${v}`).join('&');
  return s ? `?${s}` : '';
}
