import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  method: string;
  /** Path and query string, as the client sent them. */
  path: string;
}

export interface RequestLog {
  /** Point GMAIL_API_URL here: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly requests: LoggedRequest[];
  /** The ids of the Gmail resources read, by kind: 'messages' or 'threads' (gets only). */
  reads(kind: 'messages' | 'threads'): string[];
  /** The next `times` requests whose path matches get no answer at all (the client times out). */
  stall(path: RegExp, times: number): void;
  /** The pageToken of every messages.list request ('' for the first page). */
  listPageTokens(): string[];
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of a fake server that records every request, so a test can
 * say which messages, threads and list pages were asked for (the fake itself only counts).
 */
export async function startRequestLog(target: string): Promise<RequestLog> {
  const base = new URL(target);
  const requests: LoggedRequest[] = [];
  const stalls: { path: RegExp; times: number }[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/' });
    const stall = stalls.find((s) => s.times > 0 && s.path.test(req.url ?? '/'));
    if (stall) {
      stall.times -= 1;
      return;
    }
    const upstream = request(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: base.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const gets = (kind: string) =>
    requests.flatMap((r) => {
      const match = new RegExp(`/gmail/v1/users/[^/]+/${kind}/([^/?]+)`).exec(r.path);
      return match?.[1] ? [decodeURIComponent(match[1])] : [];
    });
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    reads: (kind) => gets(kind),
    stall: (path, times) => void stalls.push({ path, times }),
    listPageTokens: () =>
      requests
        .filter((r) => /\/gmail\/v1\/users\/[^/]+\/messages\?/.test(r.path))
        .map((r) => new URL(r.path, 'http://x').searchParams.get('pageToken') ?? ''),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
