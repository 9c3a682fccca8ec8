import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { deriveKey, mac, sameText } from './keys.ts';

export const SESSION_COOKIE = 'tb_session';

export interface Session {
  id: string;
  userId: string;
}

export interface SessionStore {
  /** A new session; returns the cookie value. */
  create(userId: string): Promise<string>;
  /** The session a cookie names, or null: forged, unknown, expired, signed out or user deleted. */
  read(cookie: string | undefined): Promise<Session | null>;
  destroy(sessionId: string): Promise<void>;
  /** Ends every session of a user (their data was deleted). */
  destroyAll(userId: string): Promise<void>;
}

/**
 * Sessions live in Redis (so signing out ends one for good, and any number of server processes
 * share them); the cookie carries only a random id and its MAC, so a forged or altered cookie is
 * refused before Redis is asked. A session expires after `lifetimeDays` without use.
 */
export function createSessionStore(
  redis: Redis,
  options: { secret: string; prefix: string; lifetimeDays: number },
): SessionStore {
  const key = deriveKey(options.secret, 'touchbase session');
  const ttl = options.lifetimeDays * 24 * 3600;
  const sessionKey = (id: string) => `${options.prefix}:web:session:${id}`;
  const userKey = (userId: string) => `${options.prefix}:web:user-sessions:${userId}`;
  return {
    async create(userId) {
      const id = randomBytes(24).toString('base64url');
      await redis
        .multi()
        .set(sessionKey(id), userId, 'EX', ttl)
        .sadd(userKey(userId), id)
        .expire(userKey(userId), ttl)
        .exec();
      return `${id}.${mac(key, id)}`;
    },
    async read(cookie) {
      const [id, signature, extra] = (cookie ?? '').split('.');
      if (!id || !signature || extra !== undefined || !sameText(signature, mac(key, id))) return null;
      const userId = await redis.get(sessionKey(id));
      if (!userId) return null;
      // Sliding expiry: a session in use stays alive.
      await redis.multi().expire(sessionKey(id), ttl).expire(userKey(userId), ttl).exec();
      return { id, userId };
    },
    async destroy(sessionId) {
      const userId = await redis.get(sessionKey(sessionId));
      const tx = redis.multi().del(sessionKey(sessionId));
      if (userId) tx.srem(userKey(userId), sessionId);
      await tx.exec();
    },
    async destroyAll(userId) {
      const ids = await redis.smembers(userKey(userId));
      await redis
        .multi()
        .del(...ids.map(sessionKey), userKey(userId))
        .exec();
    },
  };
}
