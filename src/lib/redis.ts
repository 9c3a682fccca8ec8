import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * BullMQ needs `maxRetriesPerRequest: null` on worker connections so a Redis restart pauses
 * work instead of failing jobs; queues used by short CLI commands fail fast instead.
 */
export function createRedis(url: string, options: { forWorker?: boolean } = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: options.forWorker ? null : 3,
    enableReadyCheck: true,
    lazyConnect: false,
  });
}

/**
 * Logs a Redis client's errors: it reconnects by itself, and while Redis is away it fails every
 * attempt, so one line at most every ERROR_LOG_MS says so (without a listener ioredis prints each
 * one to stderr). The message only: never a command or its arguments.
 */
export function logRedisErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  log: Logger,
  source: string,
): void {
  let lastLogged = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  emitter.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < ERROR_LOG_MS) {
      suppressed++;
      return;
    }
    log.warn({ event: 'redis.error', source, err: error.message, alsoSince: suppressed }, 'Redis error');
    lastLogged = now;
    suppressed = 0;
  });
}

const ERROR_LOG_MS = 30_000;
