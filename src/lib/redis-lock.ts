import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface Lock {
  release(): Promise<void>;
}

/** Deletes the key only if it still holds our token (someone else may own it after expiry). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * A lease in Redis shared by every worker process: held while renewed, lost by itself when its
 * holder dies (so a SIGKILLed worker never blocks the account for longer than `ttlMs`).
 */
export async function tryLock(redis: Redis, key: string, ttlMs = 60_000): Promise<Lock | null> {
  const token = randomUUID();
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return null;
  const timer = setInterval(() => {
    redis.eval(EXTEND, 1, key, token, String(ttlMs)).catch(() => undefined);
  }, ttlMs / 3);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await redis.eval(RELEASE, 1, key, token);
    },
  };
}

/** Waits (polling) until the lease is ours; gives up with an error after `timeoutMs`. */
export async function lock(
  redis: Redis,
  key: string,
  options: { ttlMs?: number; timeoutMs?: number } = {},
): Promise<Lock> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const held = await tryLock(redis, key, options.ttlMs ?? 30_000);
    if (held) return held;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${key}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
