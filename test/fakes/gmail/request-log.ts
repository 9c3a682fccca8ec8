import type { ServerResponse } from 'node:http';

/** One request as the fake saw it: when it arrived, and how and when it was answered. */
export interface LoggedRequest {
  /** Arrival, epoch ms (the real clock, not the quota window's `now`). */
  at: number;
  /** Google method name, as in `stats.byEndpoint`. */
  endpoint: string;
  /** Path and query string. */
  path: string;
  /** The status answered; 0 until the answer is sent. */
  status: number;
  /** When the answer was sent, epoch ms; 0 until then. */
  answeredAt: number;
}

/** Appends the request to `log` now and completes its entry when the answer has been sent. */
export function logRequest(log: LoggedRequest[], endpoint: string, path: string, res: ServerResponse): void {
  const entry: LoggedRequest = { at: Date.now(), endpoint, path, status: 0, answeredAt: 0 };
  log.push(entry);
  res.once('finish', () => {
    entry.status = res.statusCode;
    entry.answeredAt = Date.now();
  });
}
