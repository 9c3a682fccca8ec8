import { defineConfig } from 'prisma/config';
import { createMigrationAdapterFactory } from './src/lib/pg-migration-adapter.ts';

// Without DATABASE_URL the 6.19 CLI falls back to downloading the native query engine (and fails
// with an unhelpful network error), even for `prisma generate`; say what is missing instead.
// `prisma generate` is happy with any placeholder, e.g. postgresql://x@localhost/x.
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  throw new Error(
    'DATABASE_URL is not set. Prisma commands need it (a placeholder such as postgresql://x@localhost/x is enough for `prisma generate`).',
  );
}

// Prisma's native engines cannot be downloaded here, so migrations run on the JavaScript schema
// engine through a driver adapter (docs/decisions/0001-prisma-offline.md).
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Only migration commands connect, so a placeholder URL is fine for `prisma generate`.
  adapter: async () => createMigrationAdapterFactory(databaseUrl),
});
