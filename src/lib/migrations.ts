import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const migrationsDir = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));
const prismaConfig = fileURLToPath(new URL('../../prisma.config.ts', import.meta.url));

/**
 * Applies pending migrations with the project's own `prisma migrate deploy` (JavaScript schema
 * engine, so it works offline). Prisma's migrate machinery is not exported as a library, hence the
 * child process; it writes the same `_prisma_migrations` rows the native engine would.
 */
export async function applyMigrations(databaseUrl: string): Promise<{ applied: string[] }> {
  const before = await pendingMigrations(databaseUrl);
  if (before.length === 0) return { applied: [] };

  await runMigrateDeploy(databaseUrl, async () => (await pendingMigrations(databaseUrl)).length === 0);

  const after = new Set(await pendingMigrations(databaseUrl));
  if (after.size > 0) {
    throw new Error(
      `prisma migrate deploy reported success but these migrations are still pending: ${[...after].join(', ')}`,
    );
  }
  return { applied: before.filter((name) => !after.has(name)) };
}

/**
 * Migrations in prisma/migrations that the database has not finished applying, oldest first.
 * Reads `_prisma_migrations` directly: fast enough to gate every worker and server start-up.
 */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const available = await migrationNames();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const done = new Set(rows.map((row) => row.migration_name));
    return available.filter((name) => !done.has(name));
  } catch (error) {
    // A database that was never migrated has no bookkeeping table yet: everything is pending.
    if (isUndefinedTable(error)) return available;
    throw error;
  } finally {
    await client.end();
  }
}

async function migrationNames(): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  // Folder names start with a UTC timestamp, so name order is application order, as for Prisma.
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

// Printed by `migrate deploy` once it has applied everything (or found nothing to apply).
const DEPLOY_DONE = /All migrations have been successfully applied|No pending migrations to apply/;

/**
 * The Wasm schema engine leaves a timer running after `migrate deploy` (its 10 s advisory-lock
 * timeout), so the CLI idles that long before exiting. Once it has printed that it is done and
 * `isDone` confirms it from the database, the child is stopped instead of waited for; if the
 * message ever changes, this falls back to waiting for a normal exit.
 */
async function runMigrateDeploy(databaseUrl: string, isDone: () => Promise<boolean>): Promise<void> {
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  const child = spawn(process.execPath, [cli, 'migrate', 'deploy', '--config', prismaConfig], {
    cwd: projectRoot,
    // Only what the CLI needs: the target, and no attempts to reach Prisma's update service.
    env: {
      DATABASE_URL: databaseUrl,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  let stoppedByUs = false;
  let checking = false;
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    if (checking || stoppedByUs || !DEPLOY_DONE.test(output)) return;
    checking = true;
    isDone()
      .then((done) => {
        if (!done) return;
        stoppedByUs = true;
        child.kill('SIGTERM');
      })
      .catch(() => {
        // Leave the child to exit on its own; its exit code decides.
      });
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );
  if (stoppedByUs || exit.code === 0) return;
  const reason = exit.code === null ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  throw new Error(`prisma migrate deploy failed (${reason}):\n${output.trim()}`);
}

function isUndefinedTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '42P01';
}
