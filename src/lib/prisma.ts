import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.ts';

/**
 * The one way app code gets a database client. The client runs on @prisma/adapter-pg (no native
 * query engine can be downloaded here); the URL is passed in because only src/config reads the
 * environment.
 */
export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
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
  User,
} from '../generated/prisma/client.ts';
export { AccountStatus, DigestStatus, Direction, Provider } from '../generated/prisma/enums.ts';
