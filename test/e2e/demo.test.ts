import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  const database = `${inject('testDatabasePrefix')}demo_${randomBytes(3).toString('hex')}`;

  afterAll(async () => {
    const client = new pg.Client({ connectionString: inject('testDatabaseAdminUrl') });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await client.end();
  });

  it('shows the whole product working on the sample mailbox and exits 0', async () => {
    const outbox = await mkdtemp(join(tmpdir(), 'touchbase-demo-'));
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        'npm',
        [
          'run',
          '--silent',
          'demo',
          '--',
          '--postgres-url',
          inject('testDatabaseAdminUrl'),
          '--database',
          database,
          '--outbox',
          outbox,
        ],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Connected alex\.rivera@example\.com/);
    expect(result.stdout).toMatch(/You owe a reply:/);
    expect(result.stdout).toMatch(/Lapsing:/);
    // The demo answers its digest; the reply is applied and confirmed in the thread.
    expect(result.stdout).toMatch(/1\. Snoozed .* until/);
    expect(result.stdout).toMatch(/2\. Done: the thread with/);
    expect(result.stdout).not.toMatch(/not understood/);
    const confirmation = result.stdout.match(/Confirmation written to (\S+\.eml)/)?.[1];
    await access(confirmation as string);
    const eml = result.stdout.match(/Digest written to (\S+\.eml)/)?.[1];
    expect(eml).toBeDefined();
    await access(eml as string);
    const html = await readFile((eml as string).replace(/\.eml$/, '.html'), 'utf8');
    expect(html).toMatch(/<table/);
  });

  it('says how to start Postgres when it cannot be reached', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        'npm',
        ['run', '--silent', 'demo', '--', '--postgres-url', 'postgresql://postgres@127.0.0.1:1/postgres'],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() },
        },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot reach Postgres/);
    expect(result.stderr).toMatch(/docker compose up -d postgres redis/);
  });
});
