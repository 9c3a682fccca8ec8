import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.ts';

/**
 * The one way app code gets a database client. The client runs on @prisma/adapter-pg (no native
 * query engine can be downloaded here); the URL is passed in because only src/config reads the
 * environment.
 */
export function createPrisma(databaseUrl: string): PrismaClient {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(prisma, pool);
  return prisma;
}

const pools = new WeakMap<PrismaClient, pg.Pool>();

/**
 * Runs `work` on a connection of the pool under `prisma` (the same connections, the same limit).
 * For the few bulk statements whose parameters or answers are whole documents - a page of
 * messages in, a contact's history out: the client passes every raw query through its query
 * compiler and decodes each answer value by value, which cost several times what Postgres spent
 * on the statement (docs/decisions/0011). Everything else goes through Prisma.
 */
export async function withConnection<T>(
  prisma: PrismaClient,
  work: (connection: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const pool = pools.get(prisma);
  if (!pool) throw new Error('withConnection needs a client made by createPrisma');
  const connection = await pool.connect();
  try {
    const result = await work(connection);
    connection.release();
    return result;
  } catch (error) {
    // A connection that failed mid-work may sit in an aborted transaction: it is closed, not reused.
    connection.release(true);
    throw error;
  }
}

export type { PrismaClient };
// App code imports generated names from here only, so the generator's output path stays a detail.
// Prisma goes out as a value too: its error classes (`instanceof`), Prisma.JsonNull / DbNull.
export { Prisma };
export type TransactionClient = Prisma.TransactionClient;
export type {
  Contact,
  ContactAddress,
  Digest,
  Interaction,
  MailAccount,
  PendingDigestReply,
  User,
} from '../generated/prisma/client.ts';
export { AccountStatus, DigestStatus, Direction, Provider } from '../generated/prisma/enums.ts';
