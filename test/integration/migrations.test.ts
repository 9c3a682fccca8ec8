import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, pendingMigrations } from '../../src/lib/migrations.ts';
import { runAdminStatement, withDatabase } from '../../src/lib/pg-migration-adapter.ts';
import { createPrisma } from '../../src/lib/prisma.ts';
import { createTestDatabase } from '../support/test-database.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('migrations', () => {
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let migrationNames: string[];

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const entries = await readdir(new URL('../../prisma/migrations/', import.meta.url), {
      withFileTypes: true,
    });
    migrationNames = entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  });

  afterAll(async () => {
    await testDb?.drop();
  });

  it('finds nothing pending on a database cloned from the migrated template', async () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    expect(await pendingMigrations(testDb.url)).toEqual([]);
  });

  it('applies every migration to an empty database, once', async () => {
    // A database of our own, not a clone: the point is to start from nothing.
    const empty = `${testDb.url.split('/').pop()}_empty`;
    const url = withDatabase(testDb.url, empty);
    await runAdminStatement(testDb.url, `CREATE DATABASE "${empty}"`);
    try {
      expect(await pendingMigrations(url)).toEqual(migrationNames);
      expect(await applyMigrations(url)).toEqual({ applied: migrationNames });
      expect(await pendingMigrations(url)).toEqual([]);
      expect(await applyMigrations(url)).toEqual({ applied: [] });
    } finally {
      await runAdminStatement(testDb.url, `DROP DATABASE IF EXISTS "${empty}" WITH (FORCE)`);
    }
  });

  it('has migrations that match prisma/schema.prisma (no drift)', async () => {
    // The diff replays the migrations in a shadow database the adapter creates on this server.
    const result = await runPrisma(
      [
        'migrate',
        'diff',
        '--from-migrations',
        'prisma/migrations',
        '--to-schema-datamodel',
        'prisma/schema.prisma',
        '--exit-code',
      ],
      testDb.url,
    );
    expect(result.output).toContain('No difference detected');
    expect(result.code).toBe(0);
  });

  it('reads back a User row written through createPrisma', async () => {
    const prisma = createPrisma(testDb.url);
    try {
      const created = await prisma.user.create({ data: { email: 'ada@example.test', name: 'Ada' } });
      const read = await prisma.user.findUniqueOrThrow({ where: { email: 'ada@example.test' } });
      expect(read).toMatchObject({
        id: created.id,
        name: 'Ada',
        timeZone: 'UTC',
        digestDay: 1,
        digestHour: 8,
      });
      expect(read.createdAt).toBeInstanceOf(Date);
    } finally {
      await prisma.$disconnect();
    }
  });
});

async function runPrisma(
  args: string[],
  databaseUrl: string,
): Promise<{ code: number | null; output: string }> {
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return { code, output };
}
