import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../../src/lib/migrations.ts';
import { runAdminStatement, withDatabase } from '../../src/lib/pg-migration-adapter.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A server-level URL (any database) that may CREATE and DROP databases. */
    testDatabaseAdminUrl: string;
    /** Migrated once per run; test files clone it instead of migrating again. */
    testTemplateDatabase: string;
    /** Prefix of every database this run creates, so teardown can find leftovers. */
    testDatabasePrefix: string;
  }
}

/**
 * Integration-project globalSetup: one migrated template database per run, cloned per test file
 * by test/support/test-database.ts, and everything this run created dropped at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const runId = randomBytes(4).toString('hex');
  const template = `touchbase_test_tmpl_${runId}`;
  const prefix = `touchbase_test_${runId}_`;

  await runAdminStatement(adminUrl, `CREATE DATABASE "${template}"`);
  try {
    await applyMigrations(withDatabase(adminUrl, template));
    // Postgres refuses to clone a database anyone is connected to; closing the template to
    // connections keeps a stray client from breaking every test file's CREATE DATABASE.
    await runAdminStatement(adminUrl, `ALTER DATABASE "${template}" WITH ALLOW_CONNECTIONS false`);
  } catch (error) {
    await dropDatabases(adminUrl, [template]);
    throw error;
  }

  project.provide('testDatabaseAdminUrl', adminUrl);
  project.provide('testTemplateDatabase', template);
  project.provide('testDatabasePrefix', prefix);

  return async () => {
    await dropDatabases(adminUrl, [...(await databasesNamed(adminUrl, prefix)), template]);
  };
}

async function databasesNamed(adminUrl: string, prefix: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    return rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  for (const name of names) {
    await runAdminStatement(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}
