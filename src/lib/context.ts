import type { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { createQueues, type Queues } from '../queues/queues.ts';
import { type Clock, systemClock } from './clock.ts';
import { createLogger, type Logger } from './logger.ts';
import { createPrisma, type PrismaClient } from './prisma.ts';
import { ReadAhead } from './read-ahead.ts';
import { createRedis, logRedisErrors } from './redis.ts';
import { createTokenCipher, type TokenCipher } from './token-cipher.ts';

/** What a process builds once and hands to use cases: the dependencies, nothing global. */
export interface AppContext {
  readonly config: Config;
  readonly log: Logger;
  readonly prisma: PrismaClient;
  readonly cipher: TokenCipher;
  readonly clock: Clock;
  /** Backfill requests one chunk job leaves in flight for the next one in this process. */
  readonly readAhead: ReadAhead;
  /** Redis and the queues connect on first use: many CLI commands need neither. */
  redis(): Redis;
  queues(): Queues;
  close(): Promise<void>;
}

export function createContext(config: Config, options: { clock?: Clock; log?: Logger } = {}): AppContext {
  const log = options.log ?? createLogger(config.LOG_LEVEL);
  const prisma = createPrisma(config.DATABASE_URL);
  let redis: Redis | undefined;
  let queues: Queues | undefined;
  const context: AppContext = {
    config,
    log,
    prisma,
    cipher: createTokenCipher([config.TOUCHBASE_SECRET]),
    clock: options.clock ?? systemClock,
    readAhead: new ReadAhead(),
    redis() {
      if (!redis) {
        redis = createRedis(config.REDIS_URL);
        logRedisErrors(redis, log, 'app');
      }
      return redis;
    },
    queues() {
      queues ??= createQueues(context.redis(), config.QUEUE_PREFIX, {
        syncRetryBaseMs: config.SYNC_RETRY_BASE_SECONDS * 1000,
        log,
      });
      return queues;
    },
    async close() {
      await queues?.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      await prisma.$disconnect();
    },
  };
  return context;
}
