import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { runAdminStatement, withDatabase } from '../../src/lib/pg-migration-adapter.ts';
import { createPrisma, type PrismaClient } from '../../src/lib/prisma.ts';

/**
 * A database of the test's own, cloned from the migrated template that
 * test/support/global-setup.ts made for this run (a file copy: much faster than migrating).
 */
export async function createTestDatabase(): Promise<{
  url: string;
  prisma: PrismaClient;
  drop(): Promise<void>;
}> {
  const adminUrl = inject('testDatabaseAdminUrl');
  const template = inject('testTemplateDatabase');
  const name = `${inject('testDatabasePrefix')}${randomBytes(6).toString('hex')}`;

  await cloneTemplate(adminUrl, template, name);
  const url = withDatabase(adminUrl, name);
  const prisma = createPrisma(url);
  return {
    url,
    prisma,
    async drop() {
      await prisma.$disconnect();
      await runAdminStatement(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** A BullMQ key prefix no other test (or concurrent run) shares. */
export function testRedisPrefix(): string {
  return `tbtest:${randomBytes(6).toString('hex')}`;
}

export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

// 55006 object_in_use: "source database is being accessed by other users". Nobody may connect to
// the template, but a backend that just disconnected can linger for a moment, so retry briefly.
async function cloneTemplate(adminUrl: string, template: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runAdminStatement(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      return;
    } catch (error) {
      if (!isObjectInUse(error) || attempt >= 20) throw error;
      await sleep(100 * attempt);
    }
  }
}

function isObjectInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '55006';
}
